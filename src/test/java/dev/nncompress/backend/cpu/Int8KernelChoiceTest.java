package dev.nncompress.backend.cpu;

import dev.nncompress.backend.BackendUnavailableException;
import dev.nncompress.backend.cpu.Int8KernelChoice.Choice;
import dev.nncompress.backend.cpu.NativeInt8Kernels.Variant;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The run-time choice of int8 kernels and the library loader's failure paths (no native code needed). */
class Int8KernelChoiceTest {
    static final NativeLibrary.Status NOT_BUILT = NativeLibrary.Status.failed("libnncompress_native.so is not on the class path (built without g++?)");

    @Test
    void autoFallsBackToTheTwinWithTheLoadersReason() {
        Choice c = Int8KernelChoice.choose("auto", 2, NOT_BUILT, List.of(), null);
        assertEquals("java", c.kernels().name());
        assertEquals(2, c.kernels().threads());
        assertEquals("int8 kernels java (native int8 kernels unavailable: libnncompress_native.so is not on the class path (built without g++?))", c.line());
    }

    @Test
    void nativeFailsWithTheLoadersReason() {
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                () -> Int8KernelChoice.choose("native", 1, NOT_BUILT, List.of(), null));
        assertEquals("native int8 kernels unavailable: libnncompress_native.so is not on the class path (built without g++?)", e.getMessage());
    }

    @Test
    void javaIsForcedWithoutTouchingTheLibrary() {
        Choice c = Int8KernelChoice.choose("JAVA", 3);
        assertEquals("java", c.kernels().name());
        assertEquals("forced by --int8-kernels java", c.reason());
    }

    @Test
    void badArgumentsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> Int8KernelChoice.choose("fast", 1));
        assertThrows(IllegalArgumentException.class, () -> Int8KernelChoice.choose("auto", 0, NOT_BUILT, List.of(), null));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Int8KernelChoice.variant(List.of(Variant.SCALAR), "avx-512"));
        assertEquals("int8 kernel variant must be avx512vnni, avx2 or scalar, got 'avx-512'", e.getMessage());
    }

    @Test
    void theBestVariantWinsAndThePropertyCapsIt() {
        List<Variant> all = List.of(Variant.SCALAR, Variant.AVX2, Variant.AVX512VNNI);
        assertEquals(new Int8KernelChoice.VariantChoice(Variant.AVX512VNNI, "the CPU has AVX-512 VNNI"), Int8KernelChoice.variant(all, null));
        assertEquals(new Int8KernelChoice.VariantChoice(Variant.AVX2, "the CPU has AVX2 but not AVX-512 VNNI"),
                Int8KernelChoice.variant(List.of(Variant.SCALAR, Variant.AVX2), ""));
        assertEquals(Variant.SCALAR, Int8KernelChoice.variant(List.of(Variant.SCALAR), null).variant());
        assertEquals(new Int8KernelChoice.VariantChoice(Variant.AVX2, "forced by -Dnncompress.int8.variant=avx2"), Int8KernelChoice.variant(all, "AVX2"));
        assertEquals(Variant.SCALAR, Int8KernelChoice.variant(all, "scalar").variant());
        Int8KernelChoice.VariantChoice up = Int8KernelChoice.variant(List.of(Variant.SCALAR, Variant.AVX2), "avx512vnni");
        assertEquals(Variant.AVX2, up.variant());
        assertEquals("-Dnncompress.int8.variant=avx512vnni cannot run here; the CPU has AVX2 but not AVX-512 VNNI", up.reason());
    }

    @Test
    void autoPicksTheNativeKernelsWhenTheyLoad() {
        String reason = NativeInt8Kernels.unavailableReason();
        Choice c = Int8KernelChoice.choose("auto", 1);
        if (reason != null) {
            assertEquals("java", c.kernels().name());
            assertTrue(c.reason().contains(reason), c.reason());
            return;
        }
        List<Variant> cpu = NativeInt8Kernels.cpuVariants();
        String forced = System.getProperty(Int8KernelChoice.VARIANT_PROPERTY);
        Variant expected = Int8KernelChoice.variant(cpu, forced).variant();
        assertEquals("native-" + expected.label(), c.kernels().name());
        assertEquals(c.kernels().name(), Int8KernelChoice.choose("native", 1).kernels().name());
    }

    // ---- the loader ----

    @Test
    void aMissingResourceIsAReason() {
        NativeLibrary.Status s = NativeLibrary.load("/dev/nncompress/native/linux-x86_64/no-such-library.so", "Linux", "amd64");
        assertFalse(s.loaded());
        assertEquals("no-such-library.so is not on the class path (built without g++?)", s.reason());
    }

    @Test
    void aFileTheDynamicLoaderRejectsIsAReason() {
        NativeLibrary.Status s = NativeLibrary.load("/dev/nncompress/backend/cpu/not-a-library.so", "Linux", "amd64");
        assertFalse(s.loaded());
        assertTrue(s.reason().startsWith("cannot load /dev/nncompress/backend/cpu/not-a-library.so: "), s.reason());
    }

    @Test
    void otherPlatformsAreAReason() {
        NativeLibrary.Status s = NativeLibrary.load(NativeLibrary.RESOURCE, "Mac OS X", "aarch64");
        assertFalse(s.loaded());
        assertEquals("no native kernels for Mac OS X/aarch64 (built for linux/x86-64 only)", s.reason());
    }
}

package dev.nncompress.int8;

import dev.nncompress.backend.Int8Kernels;
import dev.nncompress.backend.cpu.NativeInt8Kernels;
import dev.nncompress.backend.ref.JavaInt8Kernels;

import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The int8 kernel providers the end-to-end {@link Int8Runner} tests run on: the Java twin, and each native variant
 * (scalar, AVX2, AVX-512 VNNI), so that a model's whole int8 path (quantize, packed GEMMs and convs, pools, layout
 * changes) is checked on the kernels users run, not only on the twin. A native variant that this machine cannot run
 * (library not built, CPU without the instructions) is skipped with the reason, never silently left out.
 */
final class Int8KernelProviders {
    /** Every provider, in the order the tests list them; "native" alone means the fastest variant this CPU runs. */
    static final List<String> ALL = List.of("java", "native-scalar", "native-avx2", "native-avx512vnni");

    private Int8KernelProviders() {}

    /** For {@code @MethodSource("dev.nncompress.int8.Int8KernelProviders#all")}. */
    static Stream<String> all() { return ALL.stream(); }

    /** The provider {@code name} on {@code threads} threads; the calling test is skipped, naming why, where it cannot run here. */
    static Int8Kernels create(String name, int threads) {
        if (name.equals("java")) return new JavaInt8Kernels(threads);
        List<NativeInt8Kernels.Variant> cpu = NativeInt8Kernels.cpuVariants();
        assumeTrue(!cpu.isEmpty(), () -> "native int8 kernels unavailable: " + NativeInt8Kernels.unavailableReason());
        if (name.equals("native")) return NativeInt8Kernels.of(cpu.get(cpu.size() - 1), threads);
        if (!name.startsWith("native-")) throw new IllegalArgumentException("no int8 kernel provider " + name);
        NativeInt8Kernels.Variant v = NativeInt8Kernels.Variant.parse(name.substring("native-".length()));
        assumeTrue(cpu.contains(v), () -> "this CPU cannot run the native " + v.label() + " int8 kernels (it runs " + cpu + ")");
        return NativeInt8Kernels.of(v, threads);
    }
}

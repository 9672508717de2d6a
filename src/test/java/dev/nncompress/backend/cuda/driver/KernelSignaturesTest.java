package dev.nncompress.backend.cuda.driver;

import dev.nncompress.backend.cuda.KernelSourceTree;
import dev.nncompress.backend.cuda.driver.KernelSignatures.ParamType;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The launch-argument check: the C parser on our real sources and on the awkward forms, and the mismatch messages. */
class KernelSignaturesTest {
    @Test
    void parsesQualifiersLaunchBoundsCommentsAndEveryScalarType() {
        Map<String, List<ParamType>> sig = KernelSignatures.parse("""
                // extern "C" __global__ void nnc_commented_out(int x)
                extern "C" __global__ void __launch_bounds__(256, 2)
                nnc_a(const float* __restrict__ x, int8_t *q, /* note */ const int n, long long m,
                      float f, double d, unsigned int u, int64_t big) {}
                extern "C" __global__ void nnc_b() {}
                #define SHARED_PARAMS const int8_t* a, \\
                    int n, float f
                extern "C" __global__ void nnc_c(SHARED_PARAMS) {}
                """);
        assertEquals(List.of(ParamType.POINTER, ParamType.INT, ParamType.FLOAT), sig.get("nnc_c"));
        assertEquals(List.of("nnc_a", "nnc_b", "nnc_c"), List.copyOf(sig.keySet()));
        assertEquals(List.of(ParamType.POINTER, ParamType.POINTER, ParamType.INT, ParamType.LONG, ParamType.FLOAT,
                ParamType.DOUBLE, ParamType.INT, ParamType.LONG), sig.get("nnc_a"));
        assertEquals(List.of(), sig.get("nnc_b"));
    }

    @Test
    void aTypeTheLauncherCannotPassIsRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KernelSignatures.parse("extern \"C\" __global__ void nnc_s(short s) {}"));
        assertTrue(e.getMessage().contains("nnc_s") && e.getMessage().contains("short"), e.getMessage());
    }

    @Test
    void mismatchesNameKernelPositionAndTypes() {
        List<ParamType> p = List.of(ParamType.POINTER, ParamType.LONG, ParamType.FLOAT);
        assertNull(KernelSignatures.mismatch("k", p, new Object[] {new jcuda.driver.CUdeviceptr(), 3L, 1f}));
        assertEquals("k: argument 1 must be LONG, the launch passes Integer",
                KernelSignatures.mismatch("k", p, new Object[] {new jcuda.driver.CUdeviceptr(), 3, 1f}));
        assertEquals("k takes 3 arguments, the launch passes 2", KernelSignatures.mismatch("k", p, new Object[] {null, 3L}));
        assertTrue(KernelSignatures.mismatch("k", p, new Object[] {null, 3L, 1f}).contains("null"));
    }

    @Test
    void functionLikeMacrosWithPastingStampOutVariants() {
        Map<String, List<ParamType>> sig = KernelSignatures.parse("""
                #define GEO int n, \\
                    int c
                #define VARIANT(TM, TN) \\
                    extern "C" __global__ void __launch_bounds__(128) nnc_v_##TM##x##TN(const float* x, GEO) { \\
                        body<TM, TN>(x, n, c); \\
                    }
                VARIANT(64, 128)
                VARIANT(16, 512)
                #undef VARIANT
                """);
        assertEquals(List.of("nnc_v_64x128", "nnc_v_16x512"), List.copyOf(sig.keySet()));
        assertEquals(List.of(ParamType.POINTER, ParamType.INT, ParamType.INT), sig.get("nnc_v_16x512"));
    }

    @Test
    void everyKernelInTheTreeParses() throws Exception {
        Pattern externC = Pattern.compile("extern\\s+\"C\"");
        int total = 0;
        for (Map.Entry<Path, String> f : KernelSourceTree.families().entrySet()) {
            long declared = externC.matcher(CMacros.expand(f.getValue())).results().count();
            int parsed = KernelSignatures.parse(f.getValue()).size();
            assertEquals(declared, parsed, f.getKey() + ": every extern \"C\" kernel (after macro expansion) parsed");
            total += parsed;
        }
        assertTrue(total >= 30, "kernels found in cuda-kernels/: " + total);
    }
}

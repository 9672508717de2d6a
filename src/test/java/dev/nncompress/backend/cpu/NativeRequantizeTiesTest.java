package dev.nncompress.backend.cpu;

import dev.nncompress.backend.GemmS8Epilogue;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.SplittableRandom;

import static dev.nncompress.backend.cpu.NativeInt8KernelsTest.compare;

/**
 * The S8 epilogue where the quotient {@code v / outScale} lies on or within a few ulps of a half-integer, against
 * the twin's division bit for bit. The VNNI epilogue multiplies by {@code 1 / outScale} and divides only where the
 * product is within 2^-12 of a half-integer (gemm_s8_avx512vnni.h, codes16): these GEMMs put every output there.
 * One k group with B = [1, 0, 0, 0] makes each accumulator the A code itself; the scales are outScale times
 * half-integers over small codes, nudged by -3..3 ulps, so the quotients straddle the halves on both sides.
 */
class NativeRequantizeTiesTest {
    @BeforeAll
    static void libraryBuilt() { NativeInt8KernelsTest.libraryBuilt(); }

    static List<String> variants() { return NativeInt8KernelsTest.variants(); }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void quotientsNextToHalvesRoundAsTheTwinsDivision(String variant) {
        NativeInt8Kernels nat = NativeInt8Kernels.of(variant, 1);
        SplittableRandom rnd = new SplittableRandom(5);
        int m = 256, n = 70, k = 4;
        byte[] a = new byte[m * k];
        for (int i = 0; i < m; i++) a[i * k] = (byte) (i - 128); // row i sums to code i - 128
        byte[] b = new byte[n * k];
        for (int c = 0; c < n; c++) b[c * k] = 1;
        for (float outScale : new float[] {0.0371f, 0.9137f, 3.3f, 1f / 3f, 7e-4f}) {
            float[] scale = new float[n];
            float[] bias = new float[n];
            for (int c = 0; c < n; c++) {
                // v / outScale near (2h + 1) / 2 for a row code near `over`
                int over = 1 + rnd.nextInt(9), h = rnd.nextInt(40) - 20;
                float s = outScale * ((2 * h + 1) / 2f) / over;
                for (int u = rnd.nextInt(7) - 3; u != 0; u -= Integer.signum(u)) s = u > 0 ? Math.nextUp(s) : Math.nextDown(s);
                scale[c] = s;
                bias[c] = outScale * (rnd.nextInt(9) - 4) * 0.5f;
            }
            for (boolean relu : new boolean[] {false, true}) {
                for (int zp : new int[] {0, -128, 5, 127}) {
                    compare(nat, a, m, b, n, k, GemmS8Epilogue.s8(scale, null, relu, outScale, zp), variant + " ties " + outScale + " zp " + zp + " relu " + relu);
                    compare(nat, a, m, b, n, k, GemmS8Epilogue.s8(scale, bias, relu, outScale, zp), variant + " ties+bias " + outScale + " zp " + zp + " relu " + relu);
                }
            }
        }
    }
}

package dev.nncompress.backend.ref;

import dev.nncompress.backend.GemmS8Epilogue;
import dev.nncompress.backend.GemmS8Output;
import dev.nncompress.quant.QuantArithmetic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The int8 GEMM twin against plain long / double definitions and against QuantArithmetic.quantizeS8. */
class ReferenceGemmS8Test {
    private static byte[] randomBytes(int len, SplittableRandom rnd) {
        byte[] x = new byte[len];
        for (int i = 0; i < len; i++) x[i] = (byte) rnd.nextInt(-128, 128);
        return x;
    }

    /** sum_k (A[i, k] - zpA) * B[j, k] in long: the obviously correct definition. */
    private static long plainSum(byte[] a, byte[] b, int i, int j, int k, int zpA) {
        long s = 0;
        for (int p = 0; p < k; p++) s += (long) (a[i * k + p] - zpA) * b[j * k + p];
        return s;
    }

    @Test
    void handCheckedProduct() {
        byte[] a = {1, 2, 3, 4};       // [[1, 2], [3, 4]]
        byte[] b = {5, 6, 7, 8, 9, 10}; // weights [out = 3, in = 2]
        GemmS8Output c = ReferenceGemmS8.gemmS8(a, b, 2, 3, 2, GemmS8Epilogue.s32());
        assertArrayEquals(new int[] {17, 23, 29, 39, 53, 67}, c.s32());
    }

    @ParameterizedTest(name = "{0}x{1}x{2} zpA={3}")
    @CsvSource({"1, 1, 1, 0", "3, 5, 7, 0", "17, 33, 65, 0", "3, 5, 7, -7", "17, 33, 65, 12", "9, 4, 130, -128"})
    void int32ModeIsTheExactSumIncludingTheZeroPointCorrection(int m, int n, int k, int zpA) {
        SplittableRandom rnd = new SplittableRandom(m * 31L + n * 7L + k);
        byte[] a = randomBytes(m * k, rnd), b = randomBytes(n * k, rnd);
        GemmS8Epilogue e = GemmS8Epilogue.s32();
        if (zpA != 0) e = e.withActivationZeroPoint(zpA, ReferenceGemmS8.weightRowSums(b, n, k));
        int[] c = ReferenceGemmS8.gemmS8(a, b, m, n, k, e).s32();
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) assertEquals(plainSum(a, b, i, j, k, zpA), c[i * n + j], "(" + i + ", " + j + ")");
    }

    @ParameterizedTest(name = "{0}x{1}x{2} bias={3} relu={4}")
    @CsvSource({"1, 1, 1, false, false", "3, 5, 7, true, false", "17, 33, 65, true, true", "17, 33, 65, false, true"})
    void floatModeIsScaleTimesSumPlusBiasWithinTwoRoundings(int m, int n, int k, boolean withBias, boolean relu) {
        SplittableRandom rnd = new SplittableRandom(k);
        byte[] a = randomBytes(m * k, rnd), b = randomBytes(n * k, rnd);
        float[] scale = new float[n], bias = withBias ? new float[n] : null;
        for (int j = 0; j < n; j++) {
            scale[j] = (float) (1e-4 + rnd.nextDouble() * 1e-3);
            if (bias != null) bias[j] = (float) rnd.nextGaussian();
        }
        int zpA = 5;
        GemmS8Epilogue e = GemmS8Epilogue.f32(scale, bias, relu).withActivationZeroPoint(zpA, ReferenceGemmS8.weightRowSums(b, n, k));
        float[] y = ReferenceGemmS8.gemmS8(a, b, m, n, k, e).f32();
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double acc = plainSum(a, b, i, j, k, zpA);
                double want = acc * scale[j] + (bias != null ? bias[j] : 0);
                if (relu) want = Math.max(want, 0);
                // float rounding of the int, of the product and of the sum: 3 half-ulps of the largest term
                double tol = 3 * 0x1p-24 * (Math.abs(acc * scale[j]) + (bias != null ? Math.abs(bias[j]) : 0)) + 1e-30;
                assertEquals(want, y[i * n + j], tol, "(" + i + ", " + j + ")");
            }
    }

    @Test
    void reluMapsNegativesToZeroAndKeepsNaN() {
        byte[] a = {1, -1};
        byte[] b = {3};
        float[] y = ReferenceGemmS8.gemmS8(a, b, 2, 1, 1, GemmS8Epilogue.f32(new float[] {2f}, null, true)).f32();
        assertArrayEquals(new float[] {6f, 0f}, y);
        float[] nan = ReferenceGemmS8.gemmS8(a, b, 2, 1, 1, GemmS8Epilogue.f32(new float[] {2f}, new float[] {Float.NaN}, true)).f32();
        assertTrue(Float.isNaN(nan[0]) && Float.isNaN(nan[1]));
    }

    @ParameterizedTest(name = "{0}x{1}x{2}")
    @CsvSource({"1, 1, 1", "3, 5, 7", "17, 33, 65", "20, 8, 300"})
    void int8ModeIsQuantizeS8OfTheFloatOutputAndCloseToTheDoubleDefinition(int m, int n, int k) {
        SplittableRandom rnd = new SplittableRandom(n * 1000L + k);
        byte[] a = randomBytes(m * k, rnd), b = randomBytes(n * k, rnd);
        float[] scale = new float[n], bias = new float[n];
        for (int j = 0; j < n; j++) {
            scale[j] = (float) ((0.5 + rnd.nextDouble()) / (5500 * Math.sqrt(k))); // outputs spread over about [-1, 1]
            bias[j] = (float) (rnd.nextGaussian() * 0.1);
        }
        float outScale = 1f / 100;
        int outZp = -3, zpA = -20;
        int[] wsum = ReferenceGemmS8.weightRowSums(b, n, k);
        byte[] q = ReferenceGemmS8.gemmS8(a, b, m, n, k,
                GemmS8Epilogue.s8(scale, bias, true, outScale, outZp).withActivationZeroPoint(zpA, wsum)).s8();
        float[] y = ReferenceGemmS8.gemmS8(a, b, m, n, k,
                GemmS8Epilogue.f32(scale, bias, true).withActivationZeroPoint(zpA, wsum)).f32();
        assertArrayEquals(QuantArithmetic.quantizeS8(y, new float[] {outScale}, new int[] {outZp}, 1, y.length), q);

        int differ = 0;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double v = Math.max(0, plainSum(a, b, i, j, k, zpA) * (double) scale[j] + bias[j]);
                long want = Math.max(-128, Math.min(127, Math.round(v / outScale) + outZp));
                int got = q[i * n + j];
                // float vs double may round a value sitting on a half step the other way: one step at most
                assertTrue(Math.abs(got - want) <= 1, "(" + i + ", " + j + "): " + got + " vs " + want);
                if (got != want) differ++;
            }
        assertTrue(differ <= Math.max(1, m * n / 50), differ + " of " + m * n + " differ by one step");
    }

    @Test
    void combinedScalesFoldTheActivationScaleIntoEachWeightScale() {
        assertArrayEquals(new float[] {0.5f * 0.25f, 0.5f * 3f}, GemmS8Epilogue.combinedScales(0.5f, new float[] {0.25f, 3f}));
        assertThrows(IllegalArgumentException.class, () -> GemmS8Epilogue.combinedScales(0f, new float[] {1f}));
    }

    @Test
    void sumsWrapLikeInt32BeyondKOf131072() {
        int k = 131_073; // 16384 * k > 2^31 - 1
        byte[] a = new byte[k], b = new byte[k];
        Arrays.fill(a, (byte) -128);
        Arrays.fill(b, (byte) -128);
        int[] c = ReferenceGemmS8.gemmS8(a, b, 1, 1, k, GemmS8Epilogue.s32()).s32();
        assertEquals((int) (16384L * k), c[0]);
        assertTrue(c[0] < 0, "wrapped");
    }

    @Test
    void rejectsInconsistentArgumentsWithClearMessages() {
        byte[] a = new byte[6], b = new byte[6];
        assertThrows(IllegalArgumentException.class, () -> ReferenceGemmS8.gemmS8(a, b, 2, 3, 4, GemmS8Epilogue.s32()));
        assertThrows(IllegalArgumentException.class, () -> ReferenceGemmS8.gemmS8(a, b, 0, 3, 2, GemmS8Epilogue.s32()));
        IllegalArgumentException scales = assertThrows(IllegalArgumentException.class,
                () -> ReferenceGemmS8.gemmS8(a, b, 3, 3, 2, GemmS8Epilogue.f32(new float[2], null, false)));
        assertTrue(scales.getMessage().contains("2 scales for n = 3"), scales.getMessage());
        IllegalArgumentException zp = assertThrows(IllegalArgumentException.class, () -> GemmS8Epilogue.s32().withActivationZeroPoint(4, null));
        assertTrue(zp.getMessage().contains("wsum"), zp.getMessage());
        assertThrows(IllegalArgumentException.class, () -> GemmS8Epilogue.s8(new float[1], null, false, 0f, 0));
        assertThrows(IllegalArgumentException.class, () -> GemmS8Epilogue.s8(new float[1], null, false, 1f, 128));
        assertThrows(IllegalArgumentException.class, () -> new GemmS8Epilogue(GemmS8Epilogue.Mode.S32, new float[1], null, false, 1f, 0, 0, null));
        assertThrows(IllegalArgumentException.class, () -> GemmS8Epilogue.f32(null, null, false));
    }
}

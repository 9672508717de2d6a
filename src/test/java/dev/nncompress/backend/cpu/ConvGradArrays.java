package dev.nncompress.backend.cpu;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Inputs and the comparison the conv-gradient tests and bench share (NativeConvGradTest, WeightGradSplitTest, CpuConvGradBench). */
final class ConvGradArrays {
    private ConvGradArrays() {}

    static float[] gaussian(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }

    /**
     * Within float rounding of sums over a few thousand products (a conv gradient against another route's): every value
     * within 1e-4 of the largest expected magnitude, which must not be zero.
     */
    static void near(String what, float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, what);
        double scale = 0;
        for (float v : expected) scale = Math.max(scale, Math.abs(v));
        assertTrue(scale > 0, what + ": all zero");
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Math.abs(expected[i] - actual[i]) <= 1e-4 * scale, what + "[" + i + "]: " + actual[i] + ", expected " + expected[i]);
        }
    }
}

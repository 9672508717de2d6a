package dev.nncompress.quant;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CPU twins of the quantisation kernels against the plain float definition. */
class QuantTwinTest {
    @Test
    void roundTripIsWithinHalfAStepPerChannelForInRangeValues() {
        int channels = 5;
        int inner = 7; // odd on purpose
        float[] scale = {0.01f, 0.5f, 0.003f, 1f, 0.07f};
        int[] zp = {0, -3, 10, 0, 127};
        SplittableRandom rng = new SplittableRandom(1);
        float[] x = new float[2 * channels * inner];
        for (int i = 0; i < x.length; i++) {
            int c = (i / inner) % channels;
            // inside the representable range [(-128 - zp) * s, (127 - zp) * s]
            x[i] = (float) ((-128 - zp[c]) * scale[c] + rng.nextDouble() * 255 * scale[c]);
        }
        byte[] q = QuantArithmetic.quantizeS8(x, scale, zp, channels, inner);
        float[] back = QuantArithmetic.dequantizeS8(q, scale, zp, channels, inner);
        for (int i = 0; i < x.length; i++) {
            int c = (i / inner) % channels;
            // rounding error of one quantisation step: at most half a step, plus float rounding
            assertEquals(x[i], back[i], scale[c] * 0.5f * 1.0001f, "element " + i + " channel " + c);
        }
        byte[] mask = new byte[x.length];
        assertArrayEquals(back, QuantArithmetic.fakeQuantizeS8(x, mask, scale, zp, channels, inner));
        for (byte m : mask) assertEquals(1, m);
    }

    @Test
    void roundsHalfToEvenAndClampsLikeTheKernel() {
        float[] s = {1f};
        int[] z = {0};
        byte[] q = QuantArithmetic.quantizeS8(new float[] {0.5f, 1.5f, 2.5f, -2.5f, 300f, -300f, Float.NaN, 127.4f}, s, z, 1, 1);
        assertArrayEquals(new byte[] {0, 2, 2, -2, 127, -128, -128, 127}, q);
        byte[] mask = new byte[3];
        float[] y = QuantArithmetic.fakeQuantizeS8(new float[] {1000f, -1000f, 3.2f}, mask, s, z, 1, 1);
        assertArrayEquals(new float[] {127f, -128f, 3f}, y);
        assertArrayEquals(new byte[] {0, 0, 1}, mask, "straight-through gradient only inside the range");
    }

    @Test
    void straightThroughGradientIsTheDerivativeOfTheClipFunction() {
        // STE: d fakeQuant(x)/dx := d clip(x, lo, hi)/dx with lo = (-128 - zp) s and hi = (127 - zp) s,
        // checked by central differences of clip away from its two kinks.
        float s = 0.1f;
        int zp = 3;
        double lo = (-128 - zp) * s;
        double hi = (127 - zp) * s;
        SplittableRandom rng = new SplittableRandom(5);
        float[] x = new float[400];
        float[] gradOut = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            do { x[i] = (float) (rng.nextDouble(-30, 30)); } while (Math.abs(x[i] - lo) < 0.2 || Math.abs(x[i] - hi) < 0.2);
            gradOut[i] = (float) rng.nextGaussian();
        }
        byte[] mask = new byte[x.length];
        QuantArithmetic.fakeQuantizeS8(x, mask, new float[] {s}, new int[] {zp}, 1, 1);
        float[] g = QuantArithmetic.fakeQuantizeS8Backward(gradOut, mask);
        double h = 1e-3;
        for (int i = 0; i < x.length; i++) {
            double fd = (Math.min(hi, Math.max(lo, x[i] + h)) - Math.min(hi, Math.max(lo, x[i] - h))) / (2 * h);
            assertEquals(gradOut[i] * fd, g[i], 1e-6, "x=" + x[i]);
        }
        float[] nanGrad = QuantArithmetic.fakeQuantizeS8Backward(new float[] {Float.NaN, Float.NaN}, new byte[] {1, 0});
        assertTrue(Float.isNaN(nanGrad[0]), "NaN stays visible inside the range");
        assertEquals(0f, nanGrad[1], "and does not leak out of it");
    }

    @Test
    void perChannelUsesEachChannelsScale() {
        // two output channels of an OIHW weight with inner = I*kH*kW = 2
        float[] x = {1f, -1f, 1f, -1f};
        byte[] q = QuantArithmetic.quantizeS8(x, new float[] {0.5f, 0.25f}, new int[] {0, 0}, 2, 2);
        assertArrayEquals(new byte[] {2, -2, 4, -4}, q);
    }

    @Test
    void badQuantisationParametersAreRejected() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> QuantArithmetic.quantizeS8(new float[4], new float[] {0f}, new int[] {0}, 1, 1));
        assertTrue(e.getMessage().contains("scale"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> QuantArithmetic.quantizeS8(new float[4], new float[] {1f}, new int[] {200}, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> QuantArithmetic.quantizeS8(new float[5], new float[] {1f, 1f}, new int[] {0, 0}, 2, 2));
    }
}

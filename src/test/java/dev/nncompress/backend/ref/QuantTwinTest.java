package dev.nncompress.backend.ref;

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
        byte[] q = ReferenceOps.quantizeS8(x, scale, zp, channels, inner);
        float[] back = ReferenceOps.dequantizeS8(q, scale, zp, channels, inner);
        for (int i = 0; i < x.length; i++) {
            int c = (i / inner) % channels;
            // rounding error of one quantisation step: at most half a step, plus float rounding
            assertEquals(x[i], back[i], scale[c] * 0.5f * 1.0001f, "element " + i + " channel " + c);
        }
        byte[] mask = new byte[x.length];
        assertArrayEquals(back, ReferenceOps.fakeQuantizeS8(x, mask, scale, zp, channels, inner));
        for (byte m : mask) assertEquals(1, m);
    }

    @Test
    void roundsHalfToEvenAndClampsLikeTheKernel() {
        float[] s = {1f};
        int[] z = {0};
        byte[] q = ReferenceOps.quantizeS8(new float[] {0.5f, 1.5f, 2.5f, -2.5f, 300f, -300f, Float.NaN, 127.4f}, s, z, 1, 1);
        assertArrayEquals(new byte[] {0, 2, 2, -2, 127, -128, -128, 127}, q);
        byte[] mask = new byte[3];
        float[] y = ReferenceOps.fakeQuantizeS8(new float[] {1000f, -1000f, 3.2f}, mask, s, z, 1, 1);
        assertArrayEquals(new float[] {127f, -128f, 3f}, y);
        assertArrayEquals(new byte[] {0, 0, 1}, mask, "straight-through gradient only inside the range");
    }

    @Test
    void perChannelUsesEachChannelsScale() {
        // two output channels of an OIHW weight with inner = I*kH*kW = 2
        float[] x = {1f, -1f, 1f, -1f};
        byte[] q = ReferenceOps.quantizeS8(x, new float[] {0.5f, 0.25f}, new int[] {0, 0}, 2, 2);
        assertArrayEquals(new byte[] {2, -2, 4, -4}, q);
    }

    @Test
    void badQuantisationParametersAreRejected() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> ReferenceOps.quantizeS8(new float[4], new float[] {0f}, new int[] {0}, 1, 1));
        assertTrue(e.getMessage().contains("scale"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ReferenceOps.quantizeS8(new float[4], new float[] {1f}, new int[] {200}, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> ReferenceOps.quantizeS8(new float[5], new float[] {1f, 1f}, new int[] {0, 0}, 2, 2));
    }
}

package dev.nncompress.backend.ref;

import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 17's convolution forms on the reference backend (the definition every backend is compared
 * with), each against an independent construction from a plain convolution: groups as a dense conv
 * with a block-diagonal weight, dilation as a zero-stuffed kernel, asymmetric padding as an unpadded
 * conv of an explicitly zero-padded input. Exact: the same double sums with extra zero terms.
 */
class GeneralConvDefinitionTest {
    private final ReferenceBackend be = new ReferenceBackend();
    private final Random rnd = new Random(170);

    private float[] randn(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rnd.nextGaussian();
        return a;
    }

    @Test void groupsAreABlockDiagonalDenseConv() {
        int n = 2, c = 6, h = 7, w = 6, o = 9, k = 3, groups = 3, cg = c / groups, og = o / groups;
        float[] x = randn(n * c * h * w), wt = randn(o * cg * k * k);
        float[] dense = new float[o * c * k * k];
        for (int oc = 0; oc < o; oc++) {
            for (int ch = 0; ch < cg; ch++) {
                System.arraycopy(wt, (oc * cg + ch) * k * k, dense, (oc * c + oc / og * cg + ch) * k * k, k * k);
            }
        }
        Conv2dSpec grouped = new Conv2dSpec(2, 1, 1, 1, 1, 1, 1, 1, groups);
        Tensor want = be.conv2d(be.fromFloats(x, Shape.of(n, c, h, w)), be.fromFloats(dense, Shape.of(o, c, k, k)), null, grouped.withGroups(1));
        Tensor got = be.conv2d(be.fromFloats(x, Shape.of(n, c, h, w)), be.fromFloats(wt, Shape.of(o, cg, k, k)), null, grouped);
        assertArrayEquals(want.toFloatArray(), got.toFloatArray());
    }

    @Test void dilationIsAZeroStuffedKernel() {
        int n = 2, c = 3, h = 11, w = 9, o = 4, kh = 3, kw = 2, dh = 3, dw = 2;
        int eh = dh * (kh - 1) + 1, ew = dw * (kw - 1) + 1;
        float[] x = randn(n * c * h * w), wt = randn(o * c * kh * kw);
        float[] stuffed = new float[o * c * eh * ew];
        for (int oc = 0; oc < o * c; oc++) {
            for (int ky = 0; ky < kh; ky++) {
                for (int kx = 0; kx < kw; kx++) stuffed[(oc * eh + ky * dh) * ew + kx * dw] = wt[(oc * kh + ky) * kw + kx];
            }
        }
        Conv2dSpec dilated = new Conv2dSpec(1, 2, 2, 1, 1, 2, dh, dw, 1);
        Tensor want = be.conv2d(be.fromFloats(x, Shape.of(n, c, h, w)), be.fromFloats(stuffed, Shape.of(o, c, eh, ew)), null,
                dilated.withDilation(1, 1));
        Tensor got = be.conv2d(be.fromFloats(x, Shape.of(n, c, h, w)), be.fromFloats(wt, Shape.of(o, c, kh, kw)), null, dilated);
        assertEquals(want.shape(), got.shape());
        assertArrayEquals(want.toFloatArray(), got.toFloatArray());
    }

    @Test void asymmetricPaddingIsAnExplicitlyPaddedInput() {
        int n = 2, c = 2, h = 5, w = 6, o = 3, k = 3, top = 0, left = 2, bottom = 1, right = 0;
        float[] x = randn(n * c * h * w), wt = randn(o * c * k * k);
        int hp = h + top + bottom, wp = w + left + right;
        float[] padded = new float[n * c * hp * wp];
        for (int plane = 0; plane < n * c; plane++) {
            for (int y = 0; y < h; y++) System.arraycopy(x, (plane * h + y) * w, padded, (plane * hp + y + top) * wp + left, w);
        }
        Tensor want = be.conv2d(be.fromFloats(padded, Shape.of(n, c, hp, wp)), be.fromFloats(wt, Shape.of(o, c, k, k)), null, Conv2dSpec.of(1, 0));
        Tensor got = be.conv2d(be.fromFloats(x, Shape.of(n, c, h, w)), be.fromFloats(wt, Shape.of(o, c, k, k)), null,
                new Conv2dSpec(1, 1, top, left, bottom, right, 1, 1, 1));
        assertEquals(Shape.of(n, o, 4, 6), got.shape());
        assertArrayEquals(want.toFloatArray(), got.toFloatArray());
    }

    @Test void groupsMustDivideTheChannelsAndMatchTheWeight() {
        Tensor x = be.fromFloats(new float[2 * 6 * 5 * 5], Shape.of(2, 6, 5, 5));
        String msg = assertThrows(IllegalArgumentException.class,
                () -> be.conv2d(x, be.zeros(Shape.of(4, 6, 3, 3)), null, Conv2dSpec.of(1, 1).withGroups(2))).getMessage();
        assertTrue(msg.contains("2 groups") && msg.contains("expects 12 input channels"), msg);
        msg = assertThrows(IllegalArgumentException.class,
                () -> be.conv2d(x, be.zeros(Shape.of(5, 3, 3, 3)), null, Conv2dSpec.of(1, 1).withGroups(2))).getMessage();
        assertTrue(msg.contains("a multiple of 2 filters"), msg);
        assertThrows(IllegalArgumentException.class, () -> Conv2dSpec.of(1, 1).withGroups(0));
        assertThrows(IllegalArgumentException.class, () -> Conv2dSpec.of(1, 1).withDilation(0, 1));
        assertThrows(IllegalArgumentException.class, () -> new Conv2dSpec(1, 1, 0, 0, -1, 0, 1, 1, 1));
    }
}

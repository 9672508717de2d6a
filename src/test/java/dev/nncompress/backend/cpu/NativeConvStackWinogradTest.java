package dev.nncompress.backend.cpu;

import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.ConvStage;
import dev.nncompress.backend.Pool2dSpec;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The conv stack's Winograd stages ({@code native/src/convstack_winograd_avx512.cpp}) against a double-precision
 * reference and against the same stack run with the direct conv, both within 2e-5 of the largest value (the bound
 * {@link NativeConvStackTest} holds the direct conv to). The geometry is the awkward kind: output sizes that are no
 * multiple of either tile (17 x 11: F(2x2) and F(4x4) both end in partial tiles), channel counts that are no multiple
 * of 16, asymmetric pads, a stage without ReLU (negative values checked too) feeding one with ReLU and a pool.
 * Every output pixel is compared, so a wrong transform coefficient (of B, G or A) or a tile read one pixel off is off
 * by far more than the bound at some pixel of every tile. Runs where the CPU has AVX-512F.
 */
class NativeConvStackWinogradTest {
    private static final CpuBackend CPU = new CpuBackend();
    private static final double TOLERANCE = 2e-5;

    @BeforeEach
    void needsTheKernel() { assumeTrue(NativeConvStack.available(), "no AVX-512F or no native library: the separate ops run"); }

    @AfterEach
    void winogradBackOn() {
        if (NativeConvStack.available()) NativeConvStack.winograd(true);
    }

    /** Which stages take which tile: by geometry (the teacher's three and the exclusions), and none when switched off. */
    @Test
    void tilesFollowTheStageGeometry() {
        assertEquals(0, NativeConvStack.winogradTile(stage(1, 28, 28, 32, 1, 1, 1, 1, 1)), "teacher conv1: one input channel stays direct");
        assertEquals(4, NativeConvStack.winogradTile(stage(32, 28, 28, 64, 1, 1, 1, 1, 1)), "teacher conv2: F(4x4)'s weights fit in L2");
        assertEquals(2, NativeConvStack.winogradTile(stage(64, 14, 14, 128, 1, 1, 1, 1, 1)), "teacher conv3: F(2x2)");
        assertEquals(0, NativeConvStack.winogradTile(stage(128, 7, 7, 128, 1, 1, 1, 1, 1)), "7x7 outputs stay direct");
        assertEquals(0, NativeConvStack.winogradTile(stage(8, 14, 14, 16, 1, 1, 1, 1, 1)), "8 input channels (the student's conv2) stay direct");
        int[] strided = stage(32, 28, 28, 64, 1, 1, 1, 1, 1);
        strided[6] = 2;
        assertEquals(0, NativeConvStack.winogradTile(strided), "stride 2 stays direct");
        NativeConvStack.winograd(false);
        assertEquals(0, NativeConvStack.winogradTile(stage(32, 28, 28, 64, 1, 1, 1, 1, 1)), "switched off");
    }

    /**
     * 19 -> 40 channels, F(4x4), pads top 1 left 2 bottom 2 right 0, no ReLU; then 40 -> 100, F(2x2), ReLU and a 2x2
     * pool (17 x 11 to 8 x 5, floor).
     */
    @Test
    void oddStagesMatchADoubleReferenceAndTheDirectConv() {
        Conv2dSpec asymmetric = new Conv2dSpec(1, 1, 1, 2, 2, 0, 1, 1, 1);
        assertEquals(4, NativeConvStack.winogradTile(stage(19, 16, 11, 40, 1, 2, 2, 0, 0)));
        assertEquals(2, NativeConvStack.winogradTile(stage(40, 17, 11, 100, 1, 1, 1, 1, 1)));
        Random r = new Random(5);
        int n = Math.max(2, CpuPar.threads());
        float[] x = gaussian(r, n * 19 * 16 * 11, 1);
        float[] w1 = gaussian(r, 40 * 19 * 9, Math.sqrt(2.0 / (19 * 9))), b1 = gaussian(r, 40, 0.1);
        float[] w2 = gaussian(r, 100 * 40 * 9, Math.sqrt(2.0 / (40 * 9))), b2 = gaussian(r, 100, 0.1);

        double[] want = new double[n * 100 * 8 * 5], xWide = new double[x.length];
        for (int i = 0; i < x.length; i++) xWide[i] = x[i];
        for (int i = 0; i < n; i++) {
            double[] a = conv(xWide, i * 19 * 16 * 11, 19, 16, 11, w1, b1, 40, 1, 2, 2, 0, false);
            double[] y = pool2(conv(a, 0, 40, 17, 11, w2, b2, 100, 1, 1, 1, 1, true), 100, 17, 11);
            System.arraycopy(y, 0, want, i * y.length, y.length);
        }
        float[] winograd = stack(x, n, w1, b1, asymmetric, w2, b2);
        NativeConvStack.winograd(false);
        float[] direct = stack(x, n, w1, b1, asymmetric, w2, b2);
        assertClose(want, winograd, "Winograd against the double reference");
        double[] directWide = new double[direct.length];
        for (int i = 0; i < direct.length; i++) directWide[i] = direct[i];
        assertClose(directWide, winograd, "Winograd against the direct conv");
    }

    private static float[] stack(float[] x, int n, float[] w1, float[] b1, Conv2dSpec first, float[] w2, float[] b2) {
        try (Tensor in = CPU.fromFloats(x, Shape.of(n, 19, 16, 11)); Tensor tw1 = CPU.fromFloats(w1, Shape.of(40, 19, 3, 3));
             Tensor tb1 = CPU.fromFloats(b1, Shape.of(40)); Tensor tw2 = CPU.fromFloats(w2, Shape.of(100, 40, 3, 3));
             Tensor tb2 = CPU.fromFloats(b2, Shape.of(100))) {
            List<ConvStage> stages = List.of(new ConvStage(tw1, tb1, first, false, null), new ConvStage(tw2, tb2, Conv2dSpec.of(1, 1), true, Pool2dSpec.square(2)));
            try (Tensor y = CPU.convStack(in, stages)) {
                assertNotNull(y, "the kernel takes these stages");
                return y.toFloatArray();
            }
        }
    }

    private static void assertClose(double[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what);
        double scale = 0;
        for (double v : want) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < want.length; i++) {
            if (!(Math.abs(want[i] - got[i]) <= TOLERANCE * scale)) throw new AssertionError(what + ", element " + i + ": " + got[i] + " vs " + want[i] + " (scale " + scale + ")");
        }
    }

    /** One image's 3x3 stride-1 conv in double, NCHW, from {@code x[at]}; pads top, left, bottom, right. */
    private static double[] conv(double[] x, int at, int c, int h, int w, float[] wt, float[] b, int o, int pt, int pl, int pb, int pr, boolean relu) {
        int oh = h + pt + pb - 2, ow = w + pl + pr - 2;
        double[] y = new double[o * oh * ow];
        for (int oc = 0; oc < o; oc++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++) {
                    double s = b[oc];
                    for (int ci = 0; ci < c; ci++)
                        for (int ky = 0; ky < 3; ky++)
                            for (int kx = 0; kx < 3; kx++) {
                                int iy = oy + ky - pt, ix = ox + kx - pl;
                                if (iy < 0 || ix < 0 || iy >= h || ix >= w) continue;
                                s += (double) wt[((oc * c + ci) * 3 + ky) * 3 + kx] * x[at + (ci * h + iy) * w + ix];
                            }
                    y[(oc * oh + oy) * ow + ox] = relu ? Math.max(0, s) : s;
                }
        return y;
    }

    private static double[] pool2(double[] a, int c, int h, int w) {
        int ph = h / 2, pw = w / 2;
        double[] y = new double[c * ph * pw];
        for (int ci = 0; ci < c; ci++)
            for (int py = 0; py < ph; py++)
                for (int px = 0; px < pw; px++) {
                    double m = Double.NEGATIVE_INFINITY;
                    for (int ky = 0; ky < 2; ky++)
                        for (int kx = 0; kx < 2; kx++) m = Math.max(m, a[(ci * h + 2 * py + ky) * w + 2 * px + kx]);
                    y[(ci * ph + py) * pw + px] = m;
                }
        return y;
    }

    /** A 3x3 stride-1 stage's geometry ints (NativeConvStack's order), pads top, left, bottom, right, ReLU, no pool. */
    private static int[] stage(int c, int h, int w, int o, int pt, int pl, int pb, int pr, int relu) {
        int oh = h + pt + pb - 2, ow = w + pl + pr - 2;
        return new int[] {c, h, w, o, 3, 3, 1, 1, 1, 1, pt, pl, pb, pr, oh, ow, relu, 0, 0, 0, 0, oh, ow};
    }

    private static float[] gaussian(Random r, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextGaussian() * scale);
        return v;
    }
}

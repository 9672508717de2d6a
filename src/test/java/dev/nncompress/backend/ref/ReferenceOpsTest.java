package dev.nncompress.backend.ref;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.BatchNormResult;
import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.LossResult;
import dev.nncompress.backend.Pool2dSpec;
import dev.nncompress.tensor.DType;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import dev.nncompress.tensor.TensorOwner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Forward values on hand-checkable cases, argument checks and optimiser steps. */
class ReferenceOpsTest {
    private static final float TOL = 1e-5f;
    private final ReferenceBackend be = new ReferenceBackend();

    private Tensor t(float[] data, int... dims) { return be.fromFloats(data, Shape.of(dims)); }

    private static void assertValues(float[] expected, Tensor actual, float tol) {
        assertArrayEquals(expected, actual.toFloatArray(), tol);
    }

    /** Asserts an IllegalArgumentException whose message contains every fragment. */
    private static void assertRejects(Executable call, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String f : fragments) {
            assertTrue(e.getMessage() != null && e.getMessage().contains(f),
                    "message '" + e.getMessage() + "' should contain '" + f + "'");
        }
    }

    // ---------- tensors and data movement ----------

    @Test void heapTensorBasics() {
        float[] src = {1, 2, 3, 4, 5, 6};
        Tensor x = be.fromFloats(src, Shape.of(2, 3));
        src[0] = 99; // fromFloats copied the caller's array
        assertEquals(1f, x.toFloatArray()[0]);
        float[] copy = x.toFloatArray();
        copy[1] = 99; // toFloatArray returns a copy
        assertEquals(2f, x.toFloatArray()[1]);
        assertEquals(DType.F32, x.dtype());
        assertSame(be, x.owner());
        assertEquals(6, x.numel());
        x.close();
        assertEquals(3f, x.toFloatArray()[2], "close is a no-op on the heap");

        float[] live = {7, 8};
        HeapTensor h = new HeapTensor(be, live, Shape.of(2));
        live[0] = 9; // wraps without copying
        assertEquals(9f, h.toFloatArray()[0]);
        assertSame(live, h.data());
        assertRejects(() -> new HeapTensor(be, new float[3], Shape.of(2, 2)), "3", "[2, 2]");
    }

    @Test void zerosReshapeCopy() {
        Tensor z = be.zeros(Shape.of(2, 3));
        assertValues(new float[6], z, 0f);
        Tensor x = t(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor r = be.reshape(x, Shape.of(3, 2));
        assertEquals(Shape.of(3, 2), r.shape());
        assertValues(new float[] {1, 2, 3, 4, 5, 6}, r, 0f);
        be.copyInto(x, z);
        assertValues(new float[] {1, 2, 3, 4, 5, 6}, z, 0f);
        be.addInPlace(z, x);
        assertValues(new float[] {2, 4, 6, 8, 10, 12}, z, 0f);
        assertValues(new float[] {1, 2, 3, 4, 5, 6}, x, 0f);
        assertRejects(() -> be.reshape(x, Shape.of(4, 2)), "reshape", "[2, 3]", "[4, 2]");
        assertRejects(() -> be.copyInto(x, r), "copyInto", "[2, 3]", "[3, 2]");
        assertRejects(() -> be.fromFloats(new float[5], Shape.of(2, 3)), "fromFloats", "5", "[2, 3]");
    }

    // ---------- linear algebra ----------

    @Test void matmulAllTransposeCombinations() {
        float[] a = {1, 2, 3, 4, 5, 6};       // [2, 3]
        float[] aT = {1, 4, 2, 5, 3, 6};      // its transpose, [3, 2]
        float[] b = {7, 8, 9, 10, 11, 12};    // [3, 2]
        float[] bT = {7, 9, 11, 8, 10, 12};   // its transpose, [2, 3]
        float[] expected = {58, 64, 139, 154}; // 1*7+2*9+3*11 = 58, ... by hand
        assertValues(expected, be.matmul(t(a, 2, 3), false, t(b, 3, 2), false), 0f);
        assertValues(expected, be.matmul(t(aT, 3, 2), true, t(b, 3, 2), false), 0f);
        assertValues(expected, be.matmul(t(a, 2, 3), false, t(bT, 2, 3), true), 0f);
        assertValues(expected, be.matmul(t(aT, 3, 2), true, t(bT, 2, 3), true), 0f);
        assertEquals(Shape.of(2, 2), be.matmul(t(aT, 3, 2), true, t(bT, 2, 3), true).shape());
        assertRejects(() -> be.matmul(t(a, 2, 3), false, t(a, 2, 3), false), "matmul", "[2, 3]");
        assertRejects(() -> be.matmul(t(a, 6), false, t(b, 3, 2), false), "matmul", "[6]", "rank 2");
    }

    @Test void rowVectorOps() {
        Tensor x = t(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertValues(new float[] {11, 22, 33, 14, 25, 36}, be.addRowVector(x, t(new float[] {10, 20, 30}, 3)), 0f);
        assertValues(new float[] {5, 7, 9}, be.sumRows(x), 0f);
        assertRejects(() -> be.addRowVector(x, t(new float[] {1, 2}, 2)), "addRowVector", "[2]", "[2, 3]");
    }

    @Test void elementwise() {
        Tensor a = t(new float[] {-1.5f, 0f, 2f, -0f}, 2, 2);
        Tensor b = t(new float[] {2f, 3f, -4f, 1f}, 2, 2);
        Tensor y = be.relu(a);
        assertValues(new float[] {0, 0, 2, 0}, y, 0f);
        assertValues(new float[] {0, 0, -4, 0}, be.reluBackward(y, b), 0f);
        assertValues(new float[] {0.5f, 3, -2, 1}, be.add(a, b), 0f);
        assertValues(new float[] {-3, 0, -8, 0}, be.mul(a, b), 0f);
        assertValues(new float[] {0.75f, 0, -1, 0}, be.scale(a, -0.5f), 0f);
        assertValues(new float[] {-1.5f, 0f, 2f, -0f}, a, 0f); // inputs untouched
        assertRejects(() -> be.add(a, t(new float[4], 4)), "add", "[2, 2]", "[4]");
        assertRejects(() -> be.mul(a, t(new float[4], 1, 4)), "mul", "[2, 2]", "[1, 4]");
    }

    // ---------- convolution ----------

    @Test void conv2dByHand() {
        Tensor x = t(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, 1, 3, 3);
        Tensor w = t(new float[] {1, 2, 3, 4}, 1, 1, 2, 2);
        // cross-correlation: out[0][0] = 1*1 + 2*2 + 3*4 + 4*5 = 37 (+0.5 bias); a flipped kernel would give 27.5
        Tensor y = be.conv2d(x, w, t(new float[] {0.5f}, 1), Conv2dSpec.of(1, 0));
        assertEquals(Shape.of(1, 1, 2, 2), y.shape());
        assertValues(new float[] {37.5f, 47.5f, 67.5f, 77.5f}, y, TOL);
        assertValues(new float[] {37, 47, 67, 77}, be.conv2d(x, w, null, Conv2dSpec.of(1, 0)), TOL);

        // 3x3 ones, stride 2, padding 1: windows centred at (0,0), (0,2), (2,0), (2,2) sum the in-bounds 2x2 blocks
        Tensor ones = t(new float[] {1, 1, 1, 1, 1, 1, 1, 1, 1}, 1, 1, 3, 3);
        Tensor z = be.conv2d(x, ones, null, Conv2dSpec.of(2, 1));
        assertEquals(Shape.of(1, 1, 2, 2), z.shape());
        assertValues(new float[] {12, 16, 24, 28}, z, TOL);
    }

    @Test void conv2dTwoChannelsByHand() {
        // x channel 0 = 1..4, channel 1 = 10..40 (2x2); w[0] picks ch0 top-left + ch1 bottom-right, w[1] = -sum
        Tensor x = t(new float[] {1, 2, 3, 4, 10, 20, 30, 40}, 1, 2, 2, 2);
        Tensor w = t(new float[] {1, 0, 0, 0, 0, 0, 0, 1, -1, -1, -1, -1, -1, -1, -1, -1}, 2, 2, 2, 2);
        assertValues(new float[] {41, -110}, be.conv2d(x, w, null, Conv2dSpec.of(1, 0)), TOL);
    }

    /**
     * Independent formulation: copy x into an explicitly zero-padded array, then take the valid strided
     * cross-correlation. Catches forward bugs that a finite-difference check cannot (a consistently
     * shifted forward and backward still agree with each other).
     */
    private static float[] convViaPaddedCopy(float[] x, int n, int c, int h, int w, float[] wt, int o, int kh, int kw,
                                             float[] bias, Conv2dSpec s) {
        int hp = h + 2 * s.padH(), wp = w + 2 * s.padW();
        double[] xp = new double[n * c * hp * wp];
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < c; ch++)
                for (int y = 0; y < h; y++)
                    for (int xx = 0; xx < w; xx++)
                        xp[((b * c + ch) * hp + y + s.padH()) * wp + xx + s.padW()] = x[((b * c + ch) * h + y) * w + xx];
        int oh = (hp - kh) / s.strideH() + 1, ow = (wp - kw) / s.strideW() + 1;
        float[] out = new float[n * o * oh * ow];
        for (int b = 0; b < n; b++)
            for (int oc = 0; oc < o; oc++)
                for (int y = 0; y < oh; y++)
                    for (int xx = 0; xx < ow; xx++) {
                        double acc = bias[oc];
                        for (int ch = 0; ch < c; ch++)
                            for (int ky = 0; ky < kh; ky++)
                                for (int kx = 0; kx < kw; kx++)
                                    acc += xp[((b * c + ch) * hp + y * s.strideH() + ky) * wp + xx * s.strideW() + kx]
                                            * wt[((oc * c + ch) * kh + ky) * kw + kx];
                        out[((b * o + oc) * oh + y) * ow + xx] = (float) acc;
                    }
        return out;
    }

    @Test void conv2dMatchesPaddedCopyFormulation() {
        java.util.Random rnd = new java.util.Random(3);
        int n = 2, c = 3, h = 7, w = 6, o = 4;
        Conv2dSpec[] specs = {Conv2dSpec.of(1, 0), Conv2dSpec.of(2, 1), new Conv2dSpec(2, 1, 0, 1), new Conv2dSpec(1, 3, 2, 0),
                new Conv2dSpec(3, 2, 1, 2)};
        int[][] kernels = {{3, 2}, {2, 3}, {1, 1}, {3, 3}};
        for (Conv2dSpec s : specs) {
            for (int[] k : kernels) {
                float[] x = new float[n * c * h * w], wt = new float[o * c * k[0] * k[1]], b = new float[o];
                for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
                for (int i = 0; i < wt.length; i++) wt[i] = (float) rnd.nextGaussian();
                for (int i = 0; i < b.length; i++) b[i] = (float) rnd.nextGaussian();
                float[] expected = convViaPaddedCopy(x, n, c, h, w, wt, o, k[0], k[1], b, s);
                Tensor y = be.conv2d(t(x, n, c, h, w), t(wt, o, c, k[0], k[1]), t(b, o), s);
                assertEquals(Shape.of(n, o, s.outH(h, k[0]), s.outW(w, k[1])), y.shape(), s + " k" + k[0] + "x" + k[1]);
                assertArrayEquals(expected, y.toFloatArray(), 1e-5f, s + " k" + k[0] + "x" + k[1]);
            }
        }
    }

    @Test void conv2dShapeChecks() {
        Tensor w = be.zeros(Shape.of(8, 3, 3, 3));
        Tensor x = be.zeros(Shape.of(2, 4, 5, 5));
        assertRejects(() -> be.conv2d(x, w, null, Conv2dSpec.of(1, 1)),
                "conv2d: weight [8, 3, 3, 3] expects 3 input channels, input is [2, 4, 5, 5]");
        Tensor x3 = be.zeros(Shape.of(2, 3, 2, 2));
        assertRejects(() -> be.conv2d(x3, w, null, Conv2dSpec.of(1, 0)), "conv2d", "[2, 3, 2, 2]", "does not fit");
        Tensor x5 = be.zeros(Shape.of(2, 3, 5, 5));
        assertRejects(() -> be.conv2d(x5, w, be.zeros(Shape.of(4)), Conv2dSpec.of(1, 1)), "conv2d", "bias", "[4]", "[8]");
        assertRejects(() -> be.conv2d(be.zeros(Shape.of(3, 5, 5)), w, null, Conv2dSpec.of(1, 1)), "conv2d", "[3, 5, 5]", "rank 4");
        assertRejects(() -> be.conv2dBackward(x5, w, be.zeros(Shape.of(2, 8, 3, 3)), Conv2dSpec.of(1, 1), true, true),
                "conv2dBackward", "gradOut", "[2, 8, 3, 3]", "[2, 8, 5, 5]");
    }

    // ---------- pooling ----------

    @Test void maxPoolByHandWithTie() {
        Tensor x = t(new float[] {
                1, 2, 5, 0,
                3, 4, 1, 1,
                7, 0, 2, 9,
                0, 0, 9, 3}, 1, 1, 4, 4);
        Tensor y = be.maxPool2d(x, Pool2dSpec.square(2));
        assertValues(new float[] {4, 5, 7, 9}, y, 0f);
        // the bottom-right window holds 9 twice: the gradient goes to the first in row-major scan order, (2,3)
        Tensor dx = be.maxPool2dBackward(x, t(new float[] {1, 2, 3, 4}, 1, 1, 2, 2), Pool2dSpec.square(2));
        assertValues(new float[] {
                0, 0, 2, 0,
                0, 1, 0, 0,
                3, 0, 0, 4,
                0, 0, 0, 0}, dx, 0f);
    }

    @Test void maxPoolPaddingNeverWins() {
        // all negative: zero padding would win if padded positions were considered
        Tensor x = t(new float[] {-3, -2, -4, -1}, 1, 1, 2, 2);
        Pool2dSpec spec = new Pool2dSpec(3, 3, 1, 1, 1, 1);
        assertValues(new float[] {-1, -1, -1, -1}, be.maxPool2d(x, spec), 0f);
        assertValues(new float[] {0, 0, 0, 10}, be.maxPool2dBackward(x, t(new float[] {1, 2, 3, 4}, 1, 1, 2, 2), spec), 0f);
    }

    @Test void avgPoolExcludesPadding() {
        Tensor x = t(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, 1, 3, 3);
        Pool2dSpec spec = new Pool2dSpec(3, 3, 1, 1, 1, 1);
        // corner windows average 4 values, edges 6, centre 9: (1+2+4+5)/4 = 3, (1+..+6)/6 = 3.5, ...
        assertValues(new float[] {3, 3.5f, 4, 4.5f, 5, 5.5f, 6, 6.5f, 7}, be.avgPool2d(x, spec), TOL);
        Tensor dx = be.avgPool2dBackward(Shape.of(1, 1, 3, 3), t(new float[] {1, 1, 1, 1, 1, 1, 1, 1, 1}, 1, 1, 3, 3), spec);
        float corner = 1f / 4 + 2f / 6 + 1f / 9;  // windows at (0,0), (0,1), (1,0), (1,1)
        float edge = 2f / 4 + 3f / 6 + 1f / 9;    // e.g. (0,1): windows (0,0),(0,2) corners, (0,1),(1,0),(1,2) edges, centre
        float centre = 4f / 4 + 4f / 6 + 1f / 9;
        assertValues(new float[] {corner, edge, corner, edge, centre, edge, corner, edge, corner}, dx, TOL);

        Tensor g = be.avgPool2d(t(new float[] {1, 2, 3, 4, 5, 6, 10, 20, 30, 40, 50, 60}, 1, 2, 2, 3), new Pool2dSpec(2, 3, 1, 1, 0, 0));
        assertEquals(Shape.of(1, 2, 1, 1), g.shape());
        assertValues(new float[] {3.5f, 35f}, g, TOL);
        assertRejects(() -> be.avgPool2dBackward(Shape.of(1, 1, 3, 3), be.zeros(Shape.of(1, 1, 2, 2)), spec),
                "avgPool2dBackward", "[1, 1, 2, 2]", "[1, 1, 3, 3]");
        assertRejects(() -> be.maxPool2d(be.zeros(Shape.of(1, 1, 1, 1)), Pool2dSpec.square(2)), "maxPool2d", "[1, 1, 1, 1]");
    }

    /**
     * Independent formulation of both pools: pad the plane with NaN markers, then scan every window
     * and skip the markers. Returns {max, avg}.
     */
    private static float[][] poolViaPaddedCopy(float[] x, int planes, int h, int w, Pool2dSpec s) {
        int hp = h + 2 * s.padH(), wp = w + 2 * s.padW();
        int oh = (hp - s.kernelH()) / s.strideH() + 1, ow = (wp - s.kernelW()) / s.strideW() + 1;
        float[] max = new float[planes * oh * ow], avg = new float[planes * oh * ow];
        for (int p = 0; p < planes; p++) {
            double[] xp = new double[hp * wp];
            java.util.Arrays.fill(xp, Double.NaN);
            for (int y = 0; y < h; y++)
                for (int xx = 0; xx < w; xx++) xp[(y + s.padH()) * wp + xx + s.padW()] = x[(p * h + y) * w + xx];
            for (int y = 0; y < oh; y++)
                for (int xx = 0; xx < ow; xx++) {
                    double m = Double.NEGATIVE_INFINITY, sum = 0;
                    int count = 0;
                    for (int ky = 0; ky < s.kernelH(); ky++)
                        for (int kx = 0; kx < s.kernelW(); kx++) {
                            double v = xp[(y * s.strideH() + ky) * wp + xx * s.strideW() + kx];
                            if (Double.isNaN(v)) continue;
                            m = Math.max(m, v);
                            sum += v;
                            count++;
                        }
                    max[(p * oh + y) * ow + xx] = (float) m;
                    avg[(p * oh + y) * ow + xx] = (float) (sum / count);
                }
        }
        return new float[][] {max, avg};
    }

    @Test void poolsMatchPaddedCopyFormulation() {
        java.util.Random rnd = new java.util.Random(4);
        int n = 2, c = 2, h = 7, w = 6;
        Pool2dSpec[] specs = {Pool2dSpec.square(2), new Pool2dSpec(3, 3, 2, 2, 1, 1), new Pool2dSpec(3, 2, 2, 1, 1, 0),
                new Pool2dSpec(2, 4, 1, 3, 0, 2), new Pool2dSpec(7, 6, 1, 1, 0, 0)};
        float[] x = new float[n * c * h * w];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian() - 2f; // mostly negative
        for (Pool2dSpec s : specs) {
            float[][] expected = poolViaPaddedCopy(x, n * c, h, w, s);
            Shape out = Shape.of(n, c, s.outH(h), s.outW(w));
            Tensor mx = be.maxPool2d(t(x, n, c, h, w), s);
            Tensor av = be.avgPool2d(t(x, n, c, h, w), s);
            assertEquals(out, mx.shape(), "max " + s);
            assertEquals(out, av.shape(), "avg " + s);
            assertArrayEquals(expected[0], mx.toFloatArray(), 0f, "max " + s);
            assertArrayEquals(expected[1], av.toFloatArray(), 1e-6f, "avg " + s);
        }
    }

    // ---------- batch norm ----------

    @Test void batchNormTrainStatistics() {
        // one channel holding 1, 2, 3, 4 over N=2, W=2: mean 2.5, biased variance 1.25 (unbiased would be 5/3)
        Tensor x = t(new float[] {1, 2, 3, 4}, 2, 1, 1, 2);
        float eps = 1e-5f;
        BatchNormResult r = be.batchNormTrain(x, t(new float[] {2}, 1), t(new float[] {0.5f}, 1), eps);
        assertValues(new float[] {2.5f}, r.mean(), TOL);
        assertValues(new float[] {1.25f}, r.variance(), TOL);
        double is = 1 / Math.sqrt(1.25 + eps);
        assertValues(new float[] {(float) is}, r.invStd(), TOL);
        float[] expected = new float[4];
        for (int i = 0; i < 4; i++) expected[i] = (float) ((i + 1 - 2.5) * is * 2 + 0.5);
        assertValues(expected, r.output(), TOL);
    }

    @Test void batchNormTrainWithRunningStatisticsUsesMomentumAndTheUnbiasedVariance() {
        // the same channel as above: batch mean 2.5, biased variance 1.25, unbiased 1.25 * 4 / 3
        Tensor x = t(new float[] {1, 2, 3, 4}, 2, 1, 1, 2);
        Tensor runMean = t(new float[] {1f}, 1), runVar = t(new float[] {2f}, 1);
        BatchNormResult r = be.batchNormTrain(x, t(new float[] {2}, 1), t(new float[] {0.5f}, 1), 1e-5f, 0.1f, runMean, runVar);
        assertValues(new float[] {1.25f}, r.variance(), TOL); // the result keeps the biased one
        assertValues(new float[] {0.9f * 1f + 0.1f * 2.5f}, runMean, TOL);
        assertValues(new float[] {0.9f * 2f + 0.1f * (1.25f * 4 / 3)}, runVar, TOL);
        // one value per channel: the batch variance (0) as is, no division by count - 1
        Tensor one = t(new float[] {5f, 7f}, 1, 2);
        Tensor m1 = t(new float[] {0f, 0f}, 2), v1 = t(new float[] {1f, 1f}, 2);
        be.batchNormTrain(one, t(new float[] {1, 1}, 2), t(new float[] {0, 0}, 2), 1e-5f, 0.5f, m1, v1);
        assertValues(new float[] {2.5f, 3.5f}, m1, 0f);
        assertValues(new float[] {0.5f, 0.5f}, v1, 0f);
    }

    @Test void batchNormRunningStatisticsAreChecked() {
        Tensor x = t(new float[] {1, 2, 3, 4}, 2, 1, 1, 2);
        Tensor g = t(new float[] {1}, 1), b = t(new float[] {0}, 1), m = t(new float[] {0}, 1), v = t(new float[] {1}, 1);
        assertEquals("batch norm momentum must be in [0, 1], got 1.5", assertThrows(IllegalArgumentException.class,
                () -> be.batchNormTrain(x, g, b, 1e-5f, 1.5f, m, v)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> be.batchNormTrain(x, g, b, 1e-5f, Float.NaN, m, v));
        assertEquals("batchNormTrain: runningMean and runningVar must not be null", assertThrows(IllegalArgumentException.class,
                () -> be.batchNormTrain(x, g, b, 1e-5f, 0.1f, null, v)).getMessage());
        String wrong = assertThrows(IllegalArgumentException.class,
                () -> be.batchNormTrain(x, g, b, 1e-5f, 0.1f, m, t(new float[] {1, 1}, 2))).getMessage();
        assertTrue(wrong.startsWith("batchNormTrain: runningVar [2] does not match the 1 channels"), wrong);
        assertValues(new float[] {0f}, m, 0f); // nothing was updated
    }

    @Test void varianceFromInvStdInvertsTheTrainingStatistics() {
        java.util.Random rnd = new java.util.Random(8);
        float[] x = new float[3 * 4 * 5];
        for (int i = 0; i < x.length; i++) x[i] = (float) (3 + 2 * rnd.nextGaussian());
        BatchNormResult r = be.batchNormTrain(t(x, 3, 4, 5), t(new float[] {1, 1, 1, 1}, 4), t(new float[4], 4), 1e-3f);
        float[] var = r.variance().toFloatArray();
        float[] derived = ReferenceOps.batchNormVarianceFromInvStd(r.invStd().toFloatArray(), 1e-3f);
        for (int c = 0; c < 4; c++) assertEquals(var[c], derived[c], 1e-6 * var[c], "channel " + c); // invStd is a float
        // rounding below eps never turns into a negative variance; NaN gives 0 (a select, as the kernel)
        float isOfZero = Math.nextUp(Math.nextUp((float) (1 / Math.sqrt(1e-3f)))); // above 1 / sqrt(eps) for sure
        assertArrayEquals(new float[] {0f, 0f}, ReferenceOps.batchNormVarianceFromInvStd(new float[] {isOfZero, Float.NaN}, 1e-3f), 0f);
    }

    @Test void crossEntropyFromLogSoftmaxMatchesTheFusedOne() {
        java.util.Random rnd = new java.util.Random(9);
        int n = 5, k = 7;
        float[] z = new float[n * k], logp = new float[n * k];
        int[] labels = new int[n];
        for (int i = 0; i < z.length; i++) z[i] = (float) (4 * rnd.nextGaussian());
        for (int r = 0; r < n; r++) {
            labels[r] = rnd.nextInt(k);
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int j = 0; j < k; j++) max = Math.max(max, z[r * k + j]);
            for (int j = 0; j < k; j++) sum += Math.exp(z[r * k + j] - max);
            for (int j = 0; j < k; j++) logp[r * k + j] = (float) (z[r * k + j] - max - Math.log(sum));
        }
        double[] rowLoss = new double[n];
        float[] grad = ReferenceOps.softmaxXentFromLogSoftmax(logp, n, k, labels, rowLoss);
        LossResult fused = be.softmaxCrossEntropy(t(z, n, k), labels);
        double total = 0;
        for (double v : rowLoss) total += v;
        assertEquals(fused.loss(), (float) (total / n), 1e-6f * Math.abs(fused.loss()));
        assertValues(grad, fused.gradLogits(), 1e-7f); // gradients are at most 1/n; logp carries float rounding
        assertThrows(IllegalArgumentException.class, () -> ReferenceOps.softmaxXentFromLogSoftmax(logp, n, k + 1, labels, rowLoss));
    }

    @Test void batchNormInferenceByHand() {
        // [N=1, C=2, H=1, W=2]; eps 0 so that everything is exact: ch0 (x-1)/2*2+0.1, ch1 (x-1)/0.5*0.5-1
        Tensor x = t(new float[] {1, 3, -2, 4}, 1, 2, 1, 2);
        Tensor gamma = t(new float[] {2, 0.5f}, 2);
        Tensor beta = t(new float[] {0.1f, -1}, 2);
        Tensor mean = t(new float[] {1, 1}, 2);
        Tensor var = t(new float[] {4, 0.25f}, 2);
        assertValues(new float[] {0.1f, 2.1f, -4f, 2f}, be.batchNormInference(x, gamma, beta, mean, var, 0f), TOL);
        float eps = 1e-3f;
        double s0 = 1 / Math.sqrt(4 + eps), s1 = 1 / Math.sqrt(0.25 + eps);
        assertValues(new float[] {0.1f, (float) (2 * s0 * 2 + 0.1), (float) (-3 * s1 * 0.5 - 1), (float) (3 * s1 * 0.5 - 1)},
                be.batchNormInference(x, gamma, beta, mean, var, eps), TOL);
        assertRejects(() -> be.batchNormInference(x, t(new float[] {1, 1, 1}, 3), beta, mean, var, eps),
                "batchNormInference", "gamma", "[3]", "[1, 2, 1, 2]");
    }

    // ---------- loss ----------

    @Test void softmaxCrossEntropyByHand() {
        Tensor logits = t(new float[] {1, 2, 3, 1, 1, 1}, 2, 3);
        LossResult r = be.softmaxCrossEntropy(logits, new int[] {2, 0});
        double z = Math.exp(1) + Math.exp(2) + Math.exp(3);
        double loss0 = -Math.log(Math.exp(3) / z);
        double loss1 = Math.log(3);
        assertEquals((loss0 + loss1) / 2, r.loss(), 1e-6);
        float[] expectedGrad = {
                (float) (Math.exp(1) / z / 2), (float) (Math.exp(2) / z / 2), (float) ((Math.exp(3) / z - 1) / 2),
                (float) ((1.0 / 3 - 1) / 2), (float) (1.0 / 3 / 2), (float) (1.0 / 3 / 2)};
        assertValues(expectedGrad, r.gradLogits(), 1e-6f);
    }

    @Test void softmaxCrossEntropyIsStableForLargeLogits() {
        Tensor logits = t(new float[] {1000, 0, -1000, -1000}, 2, 2);
        LossResult r = be.softmaxCrossEntropy(logits, new int[] {1, 0});
        // row 0: -log softmax = 1000 - 0; row 1: log 2
        assertEquals((1000 + Math.log(2)) / 2, r.loss(), 1e-3);
        assertValues(new float[] {0.5f, -0.5f, -0.25f, 0.25f}, r.gradLogits(), 1e-6f);
    }

    @Test void softmaxCrossEntropyChecksLabels() {
        Tensor logits = be.zeros(Shape.of(2, 3));
        assertRejects(() -> be.softmaxCrossEntropy(logits, new int[] {0, 3}), "softmaxCrossEntropy", "label 3", "[0, 3)");
        assertRejects(() -> be.softmaxCrossEntropy(logits, new int[] {-1, 0}), "softmaxCrossEntropy", "label -1");
        assertRejects(() -> be.softmaxCrossEntropy(logits, new int[] {0}), "softmaxCrossEntropy", "1 labels", "[2, 3]");
    }

    // ---------- foreign tensors ----------

    @Test void rejectsTensorsOfOtherBackends() {
        Tensor foreign = new Tensor() {
            @Override public Shape shape() { return Shape.of(2, 2); }
            @Override public DType dtype() { return DType.F32; }
            @Override public TensorOwner owner() { return null; }
            @Override public float[] toFloatArray() { return new float[4]; }
            @Override public void close() {}
        };
        Tensor mine = be.zeros(Shape.of(2, 2));
        assertRejects(() -> be.add(mine, foreign), "add", "b", "not to the reference backend");
        assertRejects(() -> be.relu(foreign), "relu", "not to the reference backend");
        assertRejects(() -> be.add(mine, null), "add", "b is null");
        // a HeapTensor claiming another backend is foreign too
        Tensor otherOwner = new HeapTensor(new ForeignBackend(), new float[4], Shape.of(2, 2));
        assertRejects(() -> be.mul(otherOwner, mine), "mul", "backend 'foreign'");
        // another ReferenceBackend's tensors are plain heap arrays and are accepted
        Tensor fromOther = new ReferenceBackend().fromFloats(new float[] {1, 2, 3, 4}, Shape.of(2, 2));
        assertValues(new float[] {1, 2, 3, 4}, be.add(mine, fromOther), 0f);
    }

    /** Just enough of a backend to own a tensor; every op delegates to a reference backend it never exposes. */
    private static final class ForeignBackend implements Backend {
        @Override public String name() { return "foreign"; }
        @Override public String describe() { return "test stub"; }
        @Override public Tensor zeros(Shape shape) { throw new UnsupportedOperationException(); }
        @Override public Tensor fromFloats(float[] data, Shape shape) { throw new UnsupportedOperationException(); }
        @Override public Tensor reshape(Tensor x, Shape shape) { throw new UnsupportedOperationException(); }
        @Override public void copyInto(Tensor src, Tensor dst) { throw new UnsupportedOperationException(); }
        @Override public Tensor matmul(Tensor a, boolean ta, Tensor b, boolean tb) { throw new UnsupportedOperationException(); }
        @Override public Tensor addRowVector(Tensor x, Tensor bias) { throw new UnsupportedOperationException(); }
        @Override public Tensor sumRows(Tensor x) { throw new UnsupportedOperationException(); }
        @Override public Tensor conv2d(Tensor x, Tensor w, Tensor b, Conv2dSpec s) { throw new UnsupportedOperationException(); }
        @Override public dev.nncompress.backend.Conv2dGrads conv2dBackward(Tensor x, Tensor w, Tensor g, Conv2dSpec s, boolean wb, boolean ni) { throw new UnsupportedOperationException(); }
        @Override public Tensor maxPool2d(Tensor x, Pool2dSpec s) { throw new UnsupportedOperationException(); }
        @Override public Tensor maxPool2dBackward(Tensor x, Tensor g, Pool2dSpec s) { throw new UnsupportedOperationException(); }
        @Override public Tensor avgPool2d(Tensor x, Pool2dSpec s) { throw new UnsupportedOperationException(); }
        @Override public Tensor avgPool2dBackward(Shape in, Tensor g, Pool2dSpec s) { throw new UnsupportedOperationException(); }
        @Override public BatchNormResult batchNormTrain(Tensor x, Tensor g, Tensor b, float eps) { throw new UnsupportedOperationException(); }
        @Override public Tensor batchNormInference(Tensor x, Tensor g, Tensor b, Tensor m, Tensor v, float eps) { throw new UnsupportedOperationException(); }
        @Override public dev.nncompress.backend.BatchNormGrads batchNormBackward(Tensor x, Tensor g, Tensor m, Tensor s, Tensor go) { throw new UnsupportedOperationException(); }
        @Override public Tensor relu(Tensor x) { throw new UnsupportedOperationException(); }
        @Override public Tensor reluBackward(Tensor y, Tensor g) { throw new UnsupportedOperationException(); }
        @Override public Tensor add(Tensor a, Tensor b) { throw new UnsupportedOperationException(); }
        @Override public void addInPlace(Tensor a, Tensor b) { throw new UnsupportedOperationException(); }
        @Override public Tensor mul(Tensor a, Tensor b) { throw new UnsupportedOperationException(); }
        @Override public Tensor scale(Tensor x, float f) { throw new UnsupportedOperationException(); }
        @Override public LossResult softmaxCrossEntropy(Tensor l, int[] y) { throw new UnsupportedOperationException(); }
        @Override public void sgdUpdate(Tensor p, Tensor g, Tensor v, float lr, float mo, float wd, boolean n) { throw new UnsupportedOperationException(); }
        @Override public void adamUpdate(Tensor p, Tensor g, Tensor m, Tensor v, int s, float lr, float b1, float b2, float e, float wd, boolean d) { throw new UnsupportedOperationException(); }
        // shapes family (issue 17)
        @Override public Tensor concat(java.util.List<Tensor> parts, int axis) { throw new UnsupportedOperationException(); }
        @Override public java.util.List<Tensor> split(Tensor x, int axis, int[] sizes) { throw new UnsupportedOperationException(); }
        @Override public Tensor reduceMean(Tensor x, int first, int count) { throw new UnsupportedOperationException(); }
        @Override public Tensor reduceMeanBackward(Shape in, Tensor g, int first, int count) { throw new UnsupportedOperationException(); }
    }

    // ---------- optimisers ----------

    private static final float[][] GRADS = {{0.5f, -0.2f}, {-0.3f, 0.4f}, {0.8f, 0.1f}};

    @Test void sgdFirstStepByHand() {
        // p = 1, grad 0.5, wd 0.01: g = 0.51, v = 0.51; plain momentum p = 1 - 0.1*0.51, nesterov p = 1 - 0.1*(0.51 + 0.9*0.51)
        Tensor p = t(new float[] {1}, 1);
        Tensor v = be.zeros(Shape.of(1));
        be.sgdUpdate(p, t(new float[] {0.5f}, 1), v, 0.1f, 0.9f, 0.01f, false);
        assertValues(new float[] {0.949f}, p, 1e-6f);
        assertValues(new float[] {0.51f}, v, 1e-6f);
        Tensor pn = t(new float[] {1}, 1);
        be.sgdUpdate(pn, t(new float[] {0.5f}, 1), be.zeros(Shape.of(1)), 0.1f, 0.9f, 0.01f, true);
        assertValues(new float[] {0.9031f}, pn, 1e-6f);
        Tensor plain = t(new float[] {1}, 1);
        be.sgdUpdate(plain, t(new float[] {0.5f}, 1), null, 0.1f, 0f, 0f, false);
        assertValues(new float[] {0.95f}, plain, 1e-6f);
    }

    private void checkSgd(boolean nesterov, float momentum, float wd) {
        float lr = 0.1f;
        float[] p0 = {1.0f, -0.5f};
        Tensor p = t(p0, 2);
        Tensor v = momentum == 0f ? null : be.zeros(Shape.of(2));
        for (float[] g : GRADS) be.sgdUpdate(p, t(g, 2), v, lr, momentum, wd, nesterov);
        for (int i = 0; i < 2; i++) {
            // torch.optim.SGD written out for one scalar (the buffer starts as the first d_p, i.e. 0*0 + d_p)
            double param = p0[i];
            double buf = 0;
            for (int s = 0; s < GRADS.length; s++) {
                double dp = GRADS[s][i] + (double) wd * param;
                if (momentum != 0f) {
                    buf = s == 0 ? dp : momentum * buf + dp;
                    dp = nesterov ? dp + momentum * buf : buf;
                }
                param = param - lr * dp;
            }
            assertEquals(param, p.toFloatArray()[i], 1e-6, "sgd nesterov=" + nesterov + " momentum=" + momentum + " wd=" + wd + " element " + i);
            if (v != null) assertEquals(buf, v.toFloatArray()[i], 1e-6, "velocity element " + i);
        }
    }

    @Test void sgdMomentum() { checkSgd(false, 0.9f, 0f); }

    @Test void sgdNesterovWithWeightDecay() { checkSgd(true, 0.9f, 0.05f); }

    @Test void sgdWeightDecayNoMomentum() { checkSgd(false, 0f, 0.05f); }

    @Test void sgdArgumentChecks() {
        Tensor p = be.zeros(Shape.of(2));
        assertRejects(() -> be.sgdUpdate(p, be.zeros(Shape.of(2)), null, 0.1f, 0.9f, 0f, false), "sgdUpdate", "velocity");
        assertRejects(() -> be.sgdUpdate(p, be.zeros(Shape.of(3)), null, 0.1f, 0f, 0f, false), "sgdUpdate", "[2]", "[3]");
    }

    private void checkAdam(boolean decoupled, float wd) {
        float lr = 0.1f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
        float[] p0 = {1.0f, -0.5f};
        Tensor p = t(p0, 2);
        Tensor m = be.zeros(Shape.of(2));
        Tensor v = be.zeros(Shape.of(2));
        for (int s = 0; s < GRADS.length; s++) {
            be.adamUpdate(p, t(GRADS[s], 2), m, v, s + 1, lr, b1, b2, eps, wd, decoupled);
        }
        for (int i = 0; i < 2; i++) {
            // textbook Adam (Kingma & Ba) with bias-corrected moments; AdamW decays the weight first
            double param = p0[i], mom = 0, vel = 0;
            for (int s = 0; s < GRADS.length; s++) {
                int step = s + 1;
                double g = GRADS[s][i];
                if (decoupled) param *= 1 - (double) lr * wd;
                else g += (double) wd * param;
                mom = b1 * mom + (1 - b1) * g;
                vel = b2 * vel + (1 - b2) * g * g;
                double mHat = mom / (1 - Math.pow(b1, step));
                double vHat = vel / (1 - Math.pow(b2, step));
                param -= lr * mHat / (Math.sqrt(vHat) + eps);
            }
            String what = (decoupled ? "adamw" : "adam") + " wd=" + wd + " element " + i;
            assertEquals(param, p.toFloatArray()[i], 1e-6, what);
            assertEquals(mom, m.toFloatArray()[i], 1e-6, what + " m");
            assertEquals(vel, v.toFloatArray()[i], 1e-7, what + " v");
        }
    }

    @Test void adamFirstStepMovesByLr() {
        // with m and v zero, the first bias-corrected step is lr * g/|g| (up to eps)
        Tensor p = t(new float[] {1f, 1f}, 2);
        be.adamUpdate(p, t(new float[] {0.3f, -7f}, 2), be.zeros(Shape.of(2)), be.zeros(Shape.of(2)), 1, 0.01f, 0.9f, 0.999f, 1e-8f, 0f, false);
        assertValues(new float[] {0.99f, 1.01f}, p, 1e-6f);
    }

    @Test void adam() { checkAdam(false, 0f); }

    @Test void adamL2() { checkAdam(false, 0.1f); }

    @Test void adamW() { checkAdam(true, 0.1f); }

    @Test void adamArgumentChecks() {
        Tensor p = be.zeros(Shape.of(2));
        assertRejects(() -> be.adamUpdate(p, be.zeros(Shape.of(2)), be.zeros(Shape.of(2)), be.zeros(Shape.of(2)), 0,
                0.1f, 0.9f, 0.999f, 1e-8f, 0f, false), "adamUpdate", "step");
        assertRejects(() -> be.adamUpdate(p, be.zeros(Shape.of(2)), be.zeros(Shape.of(3)), be.zeros(Shape.of(2)), 1,
                0.1f, 0.9f, 0.999f, 1e-8f, 0f, false), "adamUpdate", "m", "[3]");
    }
}

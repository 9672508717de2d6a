package dev.nncompress.backend.ref;

import dev.nncompress.backend.BatchNormGrads;
import dev.nncompress.backend.BatchNormResult;
import dev.nncompress.backend.Conv2dGrads;
import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.LossResult;
import dev.nncompress.backend.Pool2dSpec;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Finite-difference checks of every backward op. For an op y = f(x) the scalar loss is
 * L = sum(y * r) with fixed random weights r (so every output matters), hence dL/dy = r is the
 * gradOut passed to backward. Numerical gradients are central differences (L(x+eps) - L(x-eps)) / 2eps,
 * with L summed in double over the float outputs of the forward op.
 */
class ReferenceGradientTest {
    private final ReferenceBackend be = new ReferenceBackend();

    // ---------- helpers ----------

    static float[] randn(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rnd.nextGaussian();
        return a;
    }

    /** Distinct values spaced >= 0.05 apart in random order: a +-eps nudge never changes which is largest. */
    static float[] distinct(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (i - n / 2) * 0.05f + 0.013f;
        for (int i = n - 1; i > 0; i--) { // Fisher-Yates
            int j = rnd.nextInt(i + 1);
            float t = a[i]; a[i] = a[j]; a[j] = t;
        }
        return a;
    }

    private Tensor t(float[] data, int... dims) { return be.fromFloats(data, Shape.of(dims)); }

    static double weightedSum(Tensor y, float[] r) { return GradientCheck.weightedSum(y, r); }

    /** {@link GradientCheck#numeric}: central differences, {@code x} perturbed in place and restored. */
    static double[] numericGrad(float[] x, Function<float[], Double> loss, float eps) { return GradientCheck.numeric(x, loss, eps); }

    /** {@link GradientCheck#assertClose}: the one tolerance (RTOL 1e-2, ATOL 2e-3) and the guard against all-zero gradients. */
    static void assertGradClose(String what, Tensor analytic, double[] numeric) { GradientCheck.assertClose(what, analytic, numeric); }

    // ---------- conv2d ----------

    private void checkConv(long seed, int n, int c, int h, int w, int o, int kh, int kw, Conv2dSpec spec) {
        Random rnd = new Random(seed);
        float[] x = randn(rnd, n * c * h * w);
        int cg = c / spec.groups(); // the weight holds one group's input channels
        float[] wt = randn(rnd, o * cg * kh * kw);
        float[] b = randn(rnd, o);
        int oh = spec.outH(h, kh);
        int ow = spec.outW(w, kw);
        float[] r = randn(rnd, n * o * oh * ow);
        String what = "conv2d N" + n + " C" + c + " " + h + "x" + w + " O" + o + " k" + kh + "x" + kw + " " + spec;

        Tensor y = be.conv2d(t(x, n, c, h, w), t(wt, o, cg, kh, kw), t(b, o), spec);
        assertEquals(Shape.of(n, o, oh, ow), y.shape(), what + ": output shape");
        Conv2dGrads grads = be.conv2dBackward(t(x, n, c, h, w), t(wt, o, cg, kh, kw), t(r, n, o, oh, ow), spec, true, true);

        float eps = 1e-2f; // conv is linear in each argument: no truncation error, only rounding
        assertGradClose(what + " dx", grads.input(), numericGrad(x,
                xx -> weightedSum(be.conv2d(t(xx, n, c, h, w), t(wt, o, cg, kh, kw), t(b, o), spec), r), eps));
        assertGradClose(what + " dw", grads.weight(), numericGrad(wt,
                ww -> weightedSum(be.conv2d(t(x, n, c, h, w), t(ww, o, cg, kh, kw), t(b, o), spec), r), eps));
        assertGradClose(what + " db", grads.bias(), numericGrad(b,
                bb -> weightedSum(be.conv2d(t(x, n, c, h, w), t(wt, o, cg, kh, kw), t(bb, o), spec), r), eps));

        // the optional parts are left out when not asked for, and dw does not change
        Conv2dGrads partial = be.conv2dBackward(t(x, n, c, h, w), t(wt, o, cg, kh, kw), t(r, n, o, oh, ow), spec, false, false);
        assertNull(partial.input(), what + ": dx must be null when needInputGrad=false");
        assertNull(partial.bias(), what + ": db must be null when withBias=false");
        org.junit.jupiter.api.Assertions.assertArrayEquals(grads.weight().toFloatArray(), partial.weight().toFloatArray());
    }

    @Test void conv2dStride1Pad0() { checkConv(1, 2, 3, 7, 6, 4, 3, 2, Conv2dSpec.of(1, 0)); }

    @Test void conv2dStride1Pad1() { checkConv(2, 2, 3, 7, 6, 4, 3, 2, Conv2dSpec.of(1, 1)); }

    @Test void conv2dStride2Pad1() { checkConv(3, 2, 3, 7, 6, 4, 3, 2, Conv2dSpec.of(2, 1)); }

    @Test void conv2dStride2Pad2() { checkConv(4, 2, 3, 7, 6, 4, 3, 2, Conv2dSpec.of(2, 2)); }

    @Test void conv2dStride1Pad2SquareKernel() { checkConv(5, 2, 3, 7, 6, 4, 3, 3, Conv2dSpec.of(1, 2)); }

    @Test void conv2dMixedStrideAndPadding() { checkConv(6, 2, 3, 7, 6, 4, 2, 3, new Conv2dSpec(2, 1, 0, 1)); }

    @Test void conv2dPointwise() { checkConv(7, 3, 5, 4, 5, 2, 1, 1, Conv2dSpec.of(1, 0)); }

    // issue 17: Conv2dSpec(strideH, strideW, padTop, padLeft, padBottom, padRight, dilationH, dilationW, groups)

    @Test void conv2dGrouped() { checkConv(8, 2, 6, 6, 5, 9, 3, 2, new Conv2dSpec(1, 1, 1, 0, 1, 0, 1, 1, 3)); }

    @Test void conv2dDepthwise() { checkConv(9, 2, 4, 6, 7, 4, 3, 3, new Conv2dSpec(1, 1, 1, 1, 1, 1, 1, 1, 4)); }

    @Test void conv2dDepthwiseMultiplierStrided() { checkConv(10, 2, 3, 7, 6, 6, 3, 3, new Conv2dSpec(2, 2, 0, 0, 1, 1, 1, 1, 3)); }

    @Test void conv2dDilated() { checkConv(11, 2, 3, 8, 7, 4, 3, 2, new Conv2dSpec(1, 2, 2, 1, 2, 1, 2, 3, 1)); }

    @Test void conv2dAsymmetricPadding() { checkConv(12, 2, 3, 6, 5, 4, 2, 3, new Conv2dSpec(1, 2, 0, 2, 1, 0, 1, 1, 1)); }

    @Test void conv2dAllAtOnce() { checkConv(13, 2, 4, 9, 8, 8, 3, 3, new Conv2dSpec(2, 1, 1, 2, 2, 0, 2, 2, 2)); }

    // ---------- matmul ----------

    /** op(A)[m,k] op(B)[k,n]: dA_op = G B_op^T, dB_op = A_op^T G, stored transposed when the flag is set. */
    private void checkMatmul(boolean transA, boolean transB) {
        Random rnd = new Random(10 + (transA ? 1 : 0) + (transB ? 2 : 0));
        int m = 3, k = 5, n = 4;
        int[] aDims = transA ? new int[] {k, m} : new int[] {m, k};
        int[] bDims = transB ? new int[] {n, k} : new int[] {k, n};
        float[] a = randn(rnd, m * k);
        float[] b = randn(rnd, k * n);
        float[] r = randn(rnd, m * n);
        String what = "matmul transA=" + transA + " transB=" + transB;
        Tensor y = be.matmul(t(a, aDims), transA, t(b, bDims), transB);
        assertEquals(Shape.of(m, n), y.shape(), what + ": output shape");

        Tensor g = t(r, m, n);
        // dA (stored layout): transA ? (B_op G^T) = op(B) G^T : G op(B)^T
        Tensor dA = transA ? be.matmul(t(b, bDims), transB, g, true) : be.matmul(g, false, t(b, bDims), !transB);
        // dB (stored layout): transB ? G^T op(A) : op(A)^T G
        Tensor dB = transB ? be.matmul(g, true, t(a, aDims), transA) : be.matmul(t(a, aDims), !transA, g, false);
        assertEquals(Shape.of(aDims), dA.shape(), what + ": dA shape");
        assertEquals(Shape.of(bDims), dB.shape(), what + ": dB shape");

        float eps = 1e-2f;
        assertGradClose(what + " dA", dA, numericGrad(a, aa -> weightedSum(be.matmul(t(aa, aDims), transA, t(b, bDims), transB), r), eps));
        assertGradClose(what + " dB", dB, numericGrad(b, bb -> weightedSum(be.matmul(t(a, aDims), transA, t(bb, bDims), transB), r), eps));
    }

    @Test void matmulNN() { checkMatmul(false, false); }

    @Test void matmulTN() { checkMatmul(true, false); }

    @Test void matmulNT() { checkMatmul(false, true); }

    @Test void matmulTT() { checkMatmul(true, true); }

    // ---------- addRowVector / sumRows ----------

    @Test void addRowVectorGradientIsSumRows() {
        Random rnd = new Random(20);
        int n = 5, f = 3;
        float[] x = randn(rnd, n * f);
        float[] bias = randn(rnd, f);
        float[] r = randn(rnd, n * f);
        float eps = 1e-2f;
        Tensor dBias = be.sumRows(t(r, n, f));
        assertEquals(Shape.of(f), dBias.shape());
        assertGradClose("addRowVector dbias", dBias,
                numericGrad(bias, bb -> weightedSum(be.addRowVector(t(x, n, f), t(bb, f)), r), eps));
        assertGradClose("addRowVector dx", t(r, n, f),
                numericGrad(x, xx -> weightedSum(be.addRowVector(t(xx, n, f), t(bias, f)), r), eps));
    }

    @Test void sumRowsGradientBroadcastsRows() {
        Random rnd = new Random(21);
        int n = 4, f = 6;
        float[] x = randn(rnd, n * f);
        float[] r = randn(rnd, f);
        // dL/dx[i, j] = r[j]: the row vector added to a zero matrix
        Tensor expected = be.addRowVector(be.zeros(Shape.of(n, f)), t(r, f));
        assertGradClose("sumRows dx", expected, numericGrad(x, xx -> weightedSum(be.sumRows(t(xx, n, f)), r), 1e-2f));
    }

    // ---------- pooling ----------

    private void checkMaxPool(long seed, int n, int c, int h, int w, Pool2dSpec spec) {
        Random rnd = new Random(seed);
        float[] x = distinct(rnd, n * c * h * w);
        Shape out = Shape.of(n, c, spec.outH(h), spec.outW(w));
        float[] r = randn(rnd, out.numel());
        Tensor y = be.maxPool2d(t(x, n, c, h, w), spec);
        assertEquals(out, y.shape(), "maxPool2d output shape");
        Tensor dx = be.maxPool2dBackward(t(x, n, c, h, w), be.fromFloats(r, out), spec);
        // eps well below the 0.05 spacing of the values: no argmax changes
        assertGradClose("maxPool2d " + spec + " dx", dx,
                numericGrad(x, xx -> weightedSum(be.maxPool2d(t(xx, n, c, h, w), spec), r), 1e-2f));
    }

    @Test void maxPoolKernel2Stride2() { checkMaxPool(30, 2, 3, 6, 8, Pool2dSpec.square(2)); }

    @Test void maxPoolKernel2Stride2OddInput() { checkMaxPool(31, 2, 3, 7, 5, Pool2dSpec.square(2)); }

    @Test void maxPoolKernel3Stride2Pad1() { checkMaxPool(32, 2, 3, 7, 6, new Pool2dSpec(3, 3, 2, 2, 1, 1)); }

    @Test void maxPoolOverlappingStride1() { checkMaxPool(33, 1, 2, 5, 5, new Pool2dSpec(3, 2, 1, 1, 1, 1)); }

    private void checkAvgPool(long seed, int n, int c, int h, int w, Pool2dSpec spec) {
        Random rnd = new Random(seed);
        float[] x = randn(rnd, n * c * h * w);
        Shape in = Shape.of(n, c, h, w);
        Shape out = Shape.of(n, c, spec.outH(h), spec.outW(w));
        float[] r = randn(rnd, out.numel());
        // each input gets r / windowArea: scale r up so that gradients are O(1), well above GradientCheck.ATOL
        for (int i = 0; i < r.length; i++) r[i] *= spec.kernelH() * spec.kernelW();
        assertEquals(out, be.avgPool2d(t(x, n, c, h, w), spec).shape(), "avgPool2d output shape");
        Tensor dx = be.avgPool2dBackward(in, be.fromFloats(r, out), spec);
        assertEquals(in, dx.shape());
        assertGradClose("avgPool2d " + spec + " dx", dx,
                numericGrad(x, xx -> weightedSum(be.avgPool2d(t(xx, n, c, h, w), spec), r), 1e-2f));
    }

    @Test void avgPoolGlobal() { checkAvgPool(40, 2, 3, 7, 6, new Pool2dSpec(7, 6, 1, 1, 0, 0)); }

    @Test void avgPoolKernel2Stride2() { checkAvgPool(41, 2, 3, 6, 6, Pool2dSpec.square(2)); }

    @Test void avgPoolKernel3Stride2Pad1() { checkAvgPool(42, 2, 3, 7, 6, new Pool2dSpec(3, 3, 2, 2, 1, 1)); }

    @Test void avgPoolKernel3Stride1Pad1() { checkAvgPool(43, 1, 2, 5, 4, new Pool2dSpec(3, 3, 1, 1, 1, 1)); }

    // ---------- batch norm ----------

    private void checkBatchNorm(long seed, int... dims) {
        Random rnd = new Random(seed);
        int c = dims[1];
        int numel = Shape.of(dims).numel();
        float[] x = randn(rnd, numel);
        for (int i = 0; i < numel; i++) x[i] = x[i] * 1.5f + 0.7f; // non-zero mean, non-unit variance
        float[] gamma = randn(rnd, c);
        float[] beta = randn(rnd, c);
        float[] r = randn(rnd, numel);
        float bnEps = 1e-5f;
        BatchNormResult res = be.batchNormTrain(t(x, dims), t(gamma, c), t(beta, c), bnEps);
        BatchNormGrads g = be.batchNormBackward(t(x, dims), t(gamma, c), res.mean(), res.invStd(), t(r, dims));
        String what = "batchNorm " + Shape.of(dims);
        // BN is smooth here (variance ~2); eps 1e-3 keeps the O(eps^2) truncation error below 1e-5
        float eps = 1e-3f;
        assertGradClose(what + " dx", g.input(),
                numericGrad(x, xx -> weightedSum(be.batchNormTrain(t(xx, dims), t(gamma, c), t(beta, c), bnEps).output(), r), eps));
        assertGradClose(what + " dgamma", g.gamma(),
                numericGrad(gamma, gg -> weightedSum(be.batchNormTrain(t(x, dims), t(gg, c), t(beta, c), bnEps).output(), r), eps));
        assertGradClose(what + " dbeta", g.beta(),
                numericGrad(beta, bb -> weightedSum(be.batchNormTrain(t(x, dims), t(gamma, c), t(bb, c), bnEps).output(), r), eps));
    }

    @Test void batchNorm4d() { checkBatchNorm(50, 2, 3, 4, 5); }

    @Test void batchNorm2d() { checkBatchNorm(51, 6, 4); }

    // ---------- relu ----------

    @Test void relu() {
        Random rnd = new Random(60);
        int n = 40;
        float[] x = randn(rnd, n);
        for (int i = 0; i < n; i++) { // keep values away from the kink at 0
            if (Math.abs(x[i]) < 0.1f) x[i] = x[i] < 0 ? -0.1f - x[i] : 0.1f + x[i];
        }
        float[] r = randn(rnd, n);
        Tensor y = be.relu(t(x, 4, 10));
        Tensor dx = be.reluBackward(y, t(r, 4, 10));
        assertGradClose("relu dx", dx, numericGrad(x, xx -> weightedSum(be.relu(t(xx, 4, 10)), r), 1e-2f));
    }

    // ---------- softmax cross-entropy ----------

    @Test void softmaxCrossEntropy() {
        Random rnd = new Random(70);
        int n = 4, k = 5;
        float[] logits = randn(rnd, n * k);
        for (int i = 0; i < logits.length; i++) logits[i] *= 2f;
        int[] labels = {3, 0, 4, 3};
        LossResult res = be.softmaxCrossEntropy(t(logits, n, k), labels);
        // the gradient entries are O(1/N); eps 1e-3 keeps truncation error ~1e-7
        double[] numeric = numericGrad(logits, ll -> (double) be.softmaxCrossEntropy(t(ll, n, k), labels).loss(), 1e-3f);
        assertGradClose("softmaxCrossEntropy dlogits", res.gradLogits(), numeric);
    }
}

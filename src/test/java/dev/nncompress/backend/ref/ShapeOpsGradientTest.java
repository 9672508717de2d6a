package dev.nncompress.backend.ref;

import dev.nncompress.backend.Pool2dSpec;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static dev.nncompress.backend.ref.ReferenceGradientTest.assertGradClose;
import static dev.nncompress.backend.ref.ReferenceGradientTest.distinct;
import static dev.nncompress.backend.ref.ReferenceGradientTest.numericGrad;
import static dev.nncompress.backend.ref.ReferenceGradientTest.randn;
import static dev.nncompress.backend.ref.ReferenceGradientTest.weightedSum;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Finite-difference checks of the shapes family's backward ops on the reference backend, as
 * {@link ReferenceGradientTest} does for the others (L = sum(y * r), central differences, its tolerance):
 * concat's split, the mean over dims, and the pools with ceil mode, asymmetric padding and
 * count_include_pad, where the windows that overhang the input and the divisors that count padding are
 * exactly what a wrong backward would get wrong.
 */
class ShapeOpsGradientTest {
    private final ReferenceBackend be = new ReferenceBackend();

    private Tensor t(float[] data, Shape s) { return be.fromFloats(data, s); }

    @Test void concatBackwardIsTheSplitOfTheGradient() {
        Random rnd = new Random(1);
        Shape a = Shape.of(2, 3, 4, 5), b = Shape.of(2, 2, 4, 5);
        float[] xa = randn(rnd, a.numel()), xb = randn(rnd, b.numel());
        Shape out = Shape.of(2, 5, 4, 5);
        float[] r = randn(rnd, out.numel());
        List<Tensor> grads = be.split(t(r, out), 1, new int[] {3, 2});
        assertGradClose("concat d(part 0)", grads.get(0), numericGrad(xa, x -> weightedSum(be.concat(List.of(t(x, a), t(xb, b)), 1), r), 1e-2f));
        assertGradClose("concat d(part 1)", grads.get(1), numericGrad(xb, x -> weightedSum(be.concat(List.of(t(xa, a), t(x, b)), 1), r), 1e-2f));
    }

    private void checkMean(long seed, Shape s, int first, int count) {
        Random rnd = new Random(seed);
        float[] x = randn(rnd, s.numel());
        Shape out = be.reduceMean(t(x, s), first, count).shape();
        float[] r = randn(rnd, out.numel());
        int averaged = s.numel() / out.numel();
        for (int i = 0; i < r.length; i++) r[i] *= averaged; // gradients O(1), above the tolerance's absolute part
        Tensor dx = be.reduceMeanBackward(s, t(r, out), first, count);
        assertGradClose("reduceMean dims [" + first + ", " + (first + count) + ") of " + s, dx,
                numericGrad(x, xx -> weightedSum(be.reduceMean(t(xx, s), first, count), r), 1e-2f));
    }

    @Test void meanOverSpatialDims() { checkMean(2, Shape.of(2, 3, 4, 5), 2, 2); }

    @Test void meanOverChannels() { checkMean(3, Shape.of(2, 3, 4, 5), 1, 1); }

    @Test void meanOverEverythingButTheBatch() { checkMean(4, Shape.of(2, 3, 4, 5), 1, 3); }

    private void checkMaxPool(long seed, int n, int c, int h, int w, Pool2dSpec spec) {
        Random rnd = new Random(seed);
        Shape in = Shape.of(n, c, h, w);
        float[] x = distinct(rnd, in.numel()); // a nudge never changes which value is largest
        Shape out = Shape.of(n, c, spec.outH(h), spec.outW(w));
        float[] r = randn(rnd, out.numel());
        assertEquals(out, be.maxPool2d(t(x, in), spec).shape());
        Tensor dx = be.maxPool2dBackward(t(x, in), t(r, out), spec);
        assertGradClose("maxPool2d " + spec, dx, numericGrad(x, xx -> weightedSum(be.maxPool2d(t(xx, in), spec), r), 1e-2f));
    }

    private void checkAvgPool(long seed, int n, int c, int h, int w, Pool2dSpec spec) {
        Random rnd = new Random(seed);
        Shape in = Shape.of(n, c, h, w);
        float[] x = randn(rnd, in.numel());
        Shape out = Shape.of(n, c, spec.outH(h), spec.outW(w));
        float[] r = randn(rnd, out.numel());
        for (int i = 0; i < r.length; i++) r[i] *= spec.kernelH() * spec.kernelW();
        Tensor dx = be.avgPool2dBackward(in, t(r, out), spec);
        assertGradClose("avgPool2d " + spec, dx, numericGrad(x, xx -> weightedSum(be.avgPool2d(t(xx, in), spec), r), 1e-2f));
    }

    private static final Pool2dSpec CEIL = new Pool2dSpec(3, 3, 2, 2, 0, 0, 0, 0, true, false);
    private static final Pool2dSpec ASYMMETRIC = new Pool2dSpec(2, 3, 2, 2, 0, 1, 1, 1, false, false);
    private static final Pool2dSpec COUNTED = new Pool2dSpec(3, 3, 1, 1, 1, 1, 1, 1, false, true);
    private static final Pool2dSpec CEIL_COUNTED = new Pool2dSpec(3, 3, 2, 2, 1, 1, 1, 1, true, true);
    private static final Pool2dSpec ASYMMETRIC_CEIL_COUNTED = new Pool2dSpec(3, 2, 2, 2, 2, 0, 1, 1, true, true);

    @Test void maxPoolCeilMode() { checkMaxPool(10, 2, 2, 8, 7, CEIL); }

    @Test void maxPoolAsymmetricPadding() { checkMaxPool(11, 2, 2, 7, 6, ASYMMETRIC); }

    @Test void maxPoolAsymmetricCeil() { checkMaxPool(12, 1, 2, 7, 7, ASYMMETRIC_CEIL_COUNTED); }

    @Test void avgPoolCeilMode() { checkAvgPool(20, 2, 2, 8, 7, CEIL); }

    @Test void avgPoolAsymmetricPadding() { checkAvgPool(21, 2, 2, 7, 6, ASYMMETRIC); }

    @Test void avgPoolCountIncludePad() { checkAvgPool(22, 2, 2, 5, 6, COUNTED); }

    @Test void avgPoolCeilModeCountIncludePad() { checkAvgPool(23, 2, 2, 8, 9, CEIL_COUNTED); }

    @Test void avgPoolAsymmetricCeilCountIncludePad() { checkAvgPool(24, 1, 2, 7, 7, ASYMMETRIC_CEIL_COUNTED); }

    /**
     * The divisors against PyTorch's own numbers (pytorch/pytorch#183528: avg_pool2d of arange(1, 17) as
     * 4x4, kernel 3, stride 2, padding 1, ceil_mode and count_include_pad): the window that ceil mode lets
     * run past the end padding divides by its part inside the padded input (6 and 4, not 9). A wrong
     * divisor would still pass the gradient checks above, which only test consistency with the forward.
     */
    @Test void countIncludePadDividesLikePyTorch() {
        float[] x = new float[16];
        for (int i = 0; i < 16; i++) x[i] = i + 1;
        Shape in = Shape.of(1, 1, 4, 4);
        float[] counted = be.avgPool2d(t(x, in), CEIL_COUNTED).toFloatArray();
        float[] pytorch = {1.5555556f, 3.3333333f, 2.0f, 6.3333335f, 11.0f, 6.0f, 4.5f, 7.5f, 4.0f};
        for (int i = 0; i < pytorch.length; i++) assertEquals(pytorch[i], counted[i], 1e-6, "output " + i);
        float[] ones = new float[16];
        java.util.Arrays.fill(ones, 1f);
        for (float v : be.avgPool2d(t(ones, in), new Pool2dSpec(3, 3, 2, 2, 1, 1, 1, 1, true, false)).toFloatArray()) {
            assertEquals(1f, v, 1e-7, "padding not counted: the mean of ones is one");
        }
    }
}

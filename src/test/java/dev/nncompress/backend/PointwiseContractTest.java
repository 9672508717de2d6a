package dev.nncompress.backend;

import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static dev.nncompress.backend.BackendContractTest.exact;
import static dev.nncompress.backend.BackendContractTest.near;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * What every {@link Backend} owes the reference on the pointwise ops (activations, broadcasting
 * arithmetic, softmax): random inputs with odd sizes, one large enough to be split over threads or
 * blocks, special values, and the broadcast patterns models have (same shape, squeeze-excitation,
 * per-channel and scalar constants on either side, both operands stretched). Tolerances are written at
 * each comparison; {@link #transcendental()} is the subclass's for exp and tanh (the CPU calls the
 * reference's own functions; a GPU's libm may differ in the last bit). Only Backend and ref are used, as
 * in {@link BackendContractTest} (the CUDA subclass goes into the GPU bundle's test jar).
 */
public abstract class PointwiseContractTest {
    protected static final ReferenceBackend REF = new ReferenceBackend();
    private static final float[][] PARAMS = {{-0.5f, 0.75f}, {0.1f, 0}, {0, 0}, {0.2f, 0.5f}, {1f / 6f, 0.5f}, {0, 0}};

    protected abstract Backend backend();

    /** Relative tolerance of sigmoid, tanh and softmax forward and backward (0 where the backend runs the reference's functions). */
    protected abstract double transcendental();

    private static float[] randn(Random rnd, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rnd.nextGaussian() * scale);
        return a;
    }

    private record Pair(Tensor ref, Tensor own) {}

    private Pair pair(float[] d, Shape s) { return new Pair(REF.fromFloats(d, s), backend().fromFloats(d, s)); }

    private double tol(Unary k) { return k == Unary.SIGMOID || k == Unary.TANH ? transcendental() : 0; }

    @Test void activationsOnOddLargeAndSpecialInputs() {
        Random rnd = new Random(1);
        float[] special = {-0f, 0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, -3f, 3f, 6f, 0.75f, -0.5f, -2.5f, 2.5f, 100f, -100f};
        for (int n : new int[] {1, 37, 300_001}) {
            float[] x = randn(rnd, n, 3);
            System.arraycopy(special, 0, x, 0, Math.min(n, special.length));
            Pair xp = pair(x, Shape.of(n));
            Pair g = pair(randn(rnd, n, 1), Shape.of(n));
            for (Unary k : Unary.values()) {
                float a = PARAMS[k.ordinal()][0], b = PARAMS[k.ordinal()][1];
                Tensor yr = REF.unary(k, xp.ref, a, b), yo = backend().unary(k, xp.own, a, b);
                near(k + " " + n, yr, yo, tol(k));
                near(k + " backward " + n, REF.unaryBackward(k, xp.ref, yr, g.ref, a, b), backend().unaryBackward(k, xp.own, yo, g.own, a, b), tol(k));
            }
        }
        Pair x = pair(new float[] {-7, 0, 7}, Shape.of(3));
        exact("clip without bounds", x.ref, backend().unary(Unary.CLIP, x.own, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY));
        assertArrayEquals(new float[] {1, 1, 1}, backend().unary(Unary.CLIP, x.own, 3, 1).toFloatArray(), "min > max gives max");
        assertThrows(IllegalArgumentException.class, () -> backend().unaryBackward(Unary.TANH, x.own, x.own, backend().zeros(Shape.of(4)), 0, 0));
    }

    @Test void arithmeticUnderEveryBroadcastPattern() {
        int[][][] pairs = {
            {{3, 5, 7}, {3, 5, 7}}, {{2, 6, 5, 7}, {2, 6, 1, 1}}, {{2, 6, 5, 7}, {6, 1, 1}}, {{2, 6, 5, 7}, {1, 6, 1, 1}},
            {{2, 6, 5, 7}, {1}}, {{1}, {2, 6, 5, 7}}, {{6, 1, 1}, {2, 6, 5, 7}}, {{2, 3, 1, 5}, {3, 4, 1}}, {{4, 1, 9}, {4, 9, 1}},
            {{5, 7}, {7}}, {{2, 1, 3}, {3, 1}},
            // split over threads or blocks (two kinds each, to keep the test short)
            {{32, 32, 14, 14}, {32, 32, 1, 1}}, {{1}, {32, 32, 14, 14}}, {{150_001}, {150_001}},
        };
        Random rnd = new Random(2);
        for (int[][] p : pairs) {
            Shape as = Shape.of(p[0]), bs = Shape.of(p[1]);
            float[] a = randn(rnd, as.numel(), 1), bv = randn(rnd, bs.numel(), 1);
            Pair av = pair(a, as);
            boolean large = Math.max(as.numel(), bs.numel()) > 100_000;
            for (Binary k : large ? new Binary[] {Binary.SUB, Binary.DIV} : Binary.values()) {
                float[] b = bv.clone();
                if (k == Binary.DIV) for (int i = 0; i < b.length; i++) b[i] = Math.copySign(0.25f + Math.abs(b[i]), b[i]);
                Pair bp = pair(b, bs);
                Tensor yr = REF.binary(k, av.ref, bp.ref);
                String what = k + " " + as + " " + bs;
                exact(what, yr, backend().binary(k, av.own, bp.own)); // one float operation
                Pair g = pair(randn(rnd, yr.shape().numel(), 1), yr.shape());
                for (int operand = 0; operand < 2; operand++) {
                    Shape s = operand == 0 ? as : bs;
                    // a sum over stretched dims: double sums in another order, 1e-6 of the largest; none: one rounding, exact
                    double tol = s.numel() == yr.shape().numel() ? 0 : 1e-6;
                    near(what + " d" + (operand == 0 ? "a" : "b"), REF.binaryBackward(k, operand, av.ref, bp.ref, g.ref),
                            backend().binaryBackward(k, operand, av.own, bp.own, g.own), tol);
                }
            }
        }
        // an empty output: forward is empty, each gradient a sum over nothing
        Pair e = pair(new float[0], Shape.of(0, 3));
        Pair c = pair(new float[] {1, 2, 3}, Shape.of(1, 3));
        assertEquals(Shape.of(0, 3), backend().binary(Binary.MUL, e.own, c.own).shape());
        assertArrayEquals(new float[3], backend().binaryBackward(Binary.MUL, 1, e.own, c.own, backend().zeros(Shape.of(0, 3))).toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> backend().binary(Binary.ADD, c.own, backend().zeros(Shape.of(2))));
    }

    @Test void softmaxAlongEveryAxis() {
        Random rnd = new Random(3);
        int[][] cases = {{7, 10, 1}, {1, 1, 1}, {300, 37, 1}, {3, 5, 4, 6, 1}, {3, 5, 4, 6, 3}, {3, 5, 4, 6, 2}, {2, 1000, 1}, {64, 16, 8, 8, 1}};
        for (int[] c : cases) {
            int[] dims = java.util.Arrays.copyOf(c, c.length - 1);
            int axis = c[c.length - 1];
            Shape s = Shape.of(dims);
            Pair x = pair(randn(rnd, s.numel(), 4), s);
            Pair g = pair(randn(rnd, s.numel(), 1), s);
            Tensor yr = REF.softmax(x.ref, axis), yo = backend().softmax(x.own, axis);
            double tol = Math.max(transcendental(), 0);
            near("softmax " + s + " axis " + axis, yr, yo, tol);
            // backward from each backend's own output: y (g - sum g y) in double
            near("softmax backward " + s + " axis " + axis, REF.softmaxBackward(yr, g.ref, axis), backend().softmaxBackward(yo, g.own, axis),
                    Math.max(tol, 1e-6));
        }
        Pair x = pair(new float[] {1000, 1001, Float.NEGATIVE_INFINITY, Float.NaN, 0, 0}, Shape.of(2, 3));
        near("softmax large and special", REF.softmax(x.ref, 1), backend().softmax(x.own, 1), transcendental());
    }
}

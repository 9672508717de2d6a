package dev.nncompress.backend.ref;

import dev.nncompress.backend.Binary;
import dev.nncompress.backend.Unary;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static dev.nncompress.backend.ref.GradientCheck.assertClose;
import static dev.nncompress.backend.ref.GradientCheck.numeric;
import static dev.nncompress.backend.ref.GradientCheck.weightedSum;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pointwise ops of the reference backend: values and kink gradients by hand (PyTorch's convention,
 * see {@link Unary}), broadcasting by hand, and every backward against central finite differences
 * (inputs kept away from the kinks, where a difference quotient means nothing).
 */
class PointwiseReferenceTest {
    private static final float EPS = 1e-3f;
    private final ReferenceBackend be = new ReferenceBackend();

    private Tensor t(float[] d, int... dims) { return be.fromFloats(d, Shape.of(dims)); }

    private static float[] randn(Random rnd, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rnd.nextGaussian() * scale);
        return a;
    }

    private float un(Unary k, float x, float a, float b) { return be.unary(k, t(new float[] {x}, 1), a, b).toFloatArray()[0]; }

    private float grad(Unary k, float x, float a, float b) {
        Tensor xt = t(new float[] {x}, 1);
        return be.unaryBackward(k, xt, be.unary(k, xt, a, b), t(new float[] {1f}, 1), a, b).toFloatArray()[0];
    }

    @Test
    void activationValuesAndKinkGradientsByHand() {
        float inf = Float.POSITIVE_INFINITY;
        // ReLU6 = Clip(0, 6); either bound may be absent; min > max gives max (ONNX); gradient 0 at the bounds (hardtanh)
        assertEquals(0f, un(Unary.CLIP, -1f, 0, 6));
        assertEquals(6f, un(Unary.CLIP, 7f, 0, 6));
        assertEquals(2.5f, un(Unary.CLIP, 2.5f, 0, 6));
        assertEquals(-100f, un(Unary.CLIP, -100f, -inf, 2));
        assertEquals(5f, un(Unary.CLIP, 9f, -inf, 5));
        assertEquals(1f, un(Unary.CLIP, 0f, 3, 1));
        assertTrue(Float.isNaN(un(Unary.CLIP, Float.NaN, 0, 6)));
        assertEquals(0f, grad(Unary.CLIP, 0f, 0, 6));
        assertEquals(0f, grad(Unary.CLIP, 6f, 0, 6));
        assertEquals(1f, grad(Unary.CLIP, 3f, 0, 6));
        assertEquals(1f, grad(Unary.CLIP, 1e30f, -inf, inf));
        // LeakyRelu: slope alpha at 0
        assertEquals(-0.2f, un(Unary.LEAKY_RELU, -2f, 0.1f, 0), 1e-7f);
        assertEquals(0.1f, grad(Unary.LEAKY_RELU, 0f, 0.1f, 0));
        assertEquals(1f, grad(Unary.LEAKY_RELU, 1e-20f, 0.1f, 0));
        // Sigmoid and Tanh: exact at 0, gradients from the output
        assertEquals(0.5f, un(Unary.SIGMOID, 0f, 0, 0));
        assertEquals(0.25f, grad(Unary.SIGMOID, 0f, 0, 0));
        assertEquals(0f, un(Unary.SIGMOID, -inf, 0, 0));
        assertEquals(1f, un(Unary.SIGMOID, 100f, 0, 0));
        assertEquals(1f, grad(Unary.TANH, 0f, 0, 0));
        assertEquals((float) Math.tanh(0.7), un(Unary.TANH, 0.7f, 0, 0));
        // HardSigmoid with ONNX's defaults: the ramp is -2.5 < x < 2.5, its ends have gradient 0
        assertEquals(0.5f, un(Unary.HARD_SIGMOID, 0f, 0.2f, 0.5f));
        assertEquals(1f, un(Unary.HARD_SIGMOID, 3f, 0.2f, 0.5f));
        assertEquals(0f, grad(Unary.HARD_SIGMOID, -2.5f, 0.2f, 0.5f));
        assertEquals(0.2f, grad(Unary.HARD_SIGMOID, 1f, 0.2f, 0.5f));
        // HardSwish (1/6, 1/2): PyTorch's x < -3 -> 0, x <= 3 -> x/3 + 1/2, else 1
        float a = 1f / 6f;
        assertEquals(3f, un(Unary.HARD_SWISH, 3f, a, 0.5f));
        assertEquals(-0f, un(Unary.HARD_SWISH, -3f, a, 0.5f), "-3 * 0, as PyTorch");
        assertEquals(2f / 3f, un(Unary.HARD_SWISH, 1f, a, 0.5f), 1e-7f);
        assertEquals(1.5f, grad(Unary.HARD_SWISH, 3f, a, 0.5f), 1e-6f);
        assertEquals(-0.5f, grad(Unary.HARD_SWISH, -3f, a, 0.5f), 1e-6f);
        assertEquals(1f, grad(Unary.HARD_SWISH, 3.01f, a, 0.5f));
        assertEquals(0f, grad(Unary.HARD_SWISH, -3.01f, a, 0.5f));
        assertThrows(IllegalArgumentException.class, () -> be.unary(Unary.LEAKY_RELU, t(new float[1], 1), Float.NaN, 0));
        assertThrows(IllegalArgumentException.class, () -> be.unary(Unary.CLIP, t(new float[1], 1), Float.NaN, 0));
    }

    /** The kinks of each kind with its parameters, where a finite difference is meaningless. */
    private static float[] kinks(Unary k, float a, float b) {
        return switch (k) {
            case CLIP -> new float[] {a, b};
            case LEAKY_RELU -> new float[] {0};
            case HARD_SIGMOID, HARD_SWISH -> new float[] {-b / a, (1 - b) / a};
            case SIGMOID, TANH -> new float[0];
        };
    }

    @Test
    void everyActivationBackwardMatchesFiniteDifferences() {
        float[][] params = {{-0.7f, 0.9f}, {0.1f, 0}, {0, 0}, {0.3f, 0.45f}, {1f / 6f, 0.5f}, {0, 0}};
        Random rnd = new Random(1);
        for (Unary k : Unary.values()) {
            float a = params[k.ordinal()][0], b = params[k.ordinal()][1];
            float[] x = randn(rnd, 60, k == Unary.HARD_SWISH ? 3 : 1.2);
            for (int i = 0; i < x.length; i++) {
                for (float kink : kinks(k, a, b)) if (Math.abs(x[i] - kink) < 0.02f) x[i] = kink + 0.05f;
            }
            float[] r = randn(rnd, x.length, 1);
            Tensor xt = t(x, 3, 4, 5);
            Tensor dx = be.unaryBackward(k, xt, be.unary(k, xt, a, b), t(r, 3, 4, 5), a, b);
            assertClose(k.toString(), dx, numeric(x, xx -> weightedSum(be.unary(k, t(xx, 3, 4, 5), a, b), r), EPS));
        }
        // one-sided clips
        float[] x = randn(rnd, 20, 1);
        float[] r = randn(rnd, 20, 1);
        for (float[] ab : new float[][] {{Float.NEGATIVE_INFINITY, 0.3f}, {-0.2f, Float.POSITIVE_INFINITY}}) {
            for (int i = 0; i < x.length; i++) if (Math.abs(x[i] - 0.3f) < 0.02f || Math.abs(x[i] + 0.2f) < 0.02f) x[i] += 0.05f;
            Tensor dx = be.unaryBackward(Unary.CLIP, t(x, 20), be.unary(Unary.CLIP, t(x, 20), ab[0], ab[1]), t(r, 20), ab[0], ab[1]);
            assertClose("clip " + ab[0] + ".." + ab[1], dx, numeric(x, xx -> weightedSum(be.unary(Unary.CLIP, t(xx, 20), ab[0], ab[1]), r), EPS));
        }
    }

    @Test
    void broadcastingByHand() {
        // [2, 1, 3] - [2, 1]: out [2, 2, 3], out[i, j, k] = a[i, 0, k] - b[j, 0]
        Tensor a = t(new float[] {1, 2, 3, 4, 5, 6}, 2, 1, 3);
        Tensor b = t(new float[] {10, 20}, 2, 1);
        Tensor y = be.binary(Binary.SUB, a, b);
        assertEquals(Shape.of(2, 2, 3), y.shape());
        assertArrayEquals(new float[] {-9, -8, -7, -19, -18, -17, -6, -5, -4, -16, -15, -14}, y.toFloatArray());
        // dL/db sums over the stretched dims: -sum of g over i and k for each j
        Tensor g = t(new float[] {1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4}, 2, 2, 3);
        assertArrayEquals(new float[] {-12, -18}, be.binaryBackward(Binary.SUB, 1, a, b, g).toFloatArray());
        assertEquals(Shape.of(2, 1), be.binaryBackward(Binary.SUB, 1, a, b, g).shape());
        // dL/da: for a[i, 0, k] the sum over j
        assertArrayEquals(new float[] {3, 3, 3, 7, 7, 7}, be.binaryBackward(Binary.SUB, 0, a, b, g).toFloatArray());
        // a scalar divisor, either side; a squeeze-excitation gate
        assertArrayEquals(new float[] {0.5f, 1, 1.5f, 2, 2.5f, 3}, be.binary(Binary.DIV, a, t(new float[] {2}, 1)).toFloatArray());
        assertArrayEquals(new float[] {6, 3, 2, 1.5f, 1.2f, 1}, be.binary(Binary.DIV, t(new float[] {6}, 1), a).toFloatArray());
        Tensor x = t(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, 1, 2, 2, 2);
        Tensor gate = t(new float[] {10, 100}, 1, 2, 1, 1);
        assertArrayEquals(new float[] {10, 20, 30, 40, 500, 600, 700, 800}, be.binary(Binary.MUL, x, gate).toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> be.binary(Binary.ADD, t(new float[6], 2, 3), t(new float[2], 2)), "3 vs 2");
        assertThrows(IllegalArgumentException.class, () -> be.binaryBackward(Binary.ADD, 2, a, b, g), "operand 2");
        assertThrows(IllegalArgumentException.class, () -> be.binaryBackward(Binary.ADD, 0, a, b, a), "gradOut of the wrong shape");
    }

    @Test
    void everyArithmeticBackwardMatchesFiniteDifferencesUnderBroadcasting() {
        int[][][] pairs = {
            {{2, 3, 4}, {2, 3, 4}},       // same shape (the residual add)
            {{2, 3, 4, 5}, {2, 3, 1, 1}}, // squeeze-excitation
            {{2, 3, 4, 5}, {3, 1, 1}},    // a per-channel constant
            {{1}, {2, 3, 2}},             // a scalar first
            {{2, 3, 1, 5}, {3, 4, 1}},    // both stretched
        };
        Random rnd = new Random(2);
        for (Binary k : Binary.values()) {
            for (int[][] p : pairs) {
                int na = Shape.of(p[0]).numel(), nb = Shape.of(p[1]).numel();
                float[] a = randn(rnd, na, 1), b = randn(rnd, nb, 1);
                if (k == Binary.DIV) for (int i = 0; i < nb; i++) b[i] = Math.copySign(0.5f + Math.abs(b[i]), b[i]);
                Shape out = be.binary(k, t(a, p[0]), t(b, p[1])).shape();
                float[] r = randn(rnd, out.numel(), 1);
                String what = k + " " + Shape.of(p[0]) + " " + Shape.of(p[1]);
                Tensor ga = be.binaryBackward(k, 0, t(a, p[0]), t(b, p[1]), t(r, out.dims()));
                Tensor gb = be.binaryBackward(k, 1, t(a, p[0]), t(b, p[1]), t(r, out.dims()));
                assertEquals(Shape.of(p[0]), ga.shape());
                assertEquals(Shape.of(p[1]), gb.shape());
                assertClose(what + " da", ga, numeric(a, aa -> weightedSum(be.binary(k, t(aa, p[0]), t(b, p[1])), r), EPS));
                assertClose(what + " db", gb, numeric(b, bb -> weightedSum(be.binary(k, t(a, p[0]), t(bb, p[1])), r), EPS));
            }
        }
    }

    @Test
    void softmaxValuesAndBackward() {
        Tensor y = be.softmax(t(new float[] {1000, 1001, 0, Float.NEGATIVE_INFINITY}, 1, 4), 1);
        float[] v = y.toFloatArray();
        assertEquals((float) (1 / (1 + Math.E)), v[0], 1e-7f, "no overflow: x - max");
        assertEquals(0f, v[2]);
        assertEquals(0f, v[3]);
        Random rnd = new Random(3);
        int[][] cases = {{2, 3, 4, 1}, {2, 3, 4, 2}, {5, 7, 1}, {2, 3, 4, 0}};
        for (int[] c : cases) {
            int[] dims = java.util.Arrays.copyOf(c, c.length - 1);
            int axis = c[c.length - 1];
            int n = Shape.of(dims).numel();
            float[] x = randn(rnd, n, 1), r = randn(rnd, n, 1);
            Tensor out = be.softmax(t(x, dims), axis);
            float[] o = out.toFloatArray();
            int[] l = {1, dims[axis], 1};
            for (int i = 0; i < axis; i++) l[0] *= dims[i];
            for (int i = axis + 1; i < dims.length; i++) l[2] *= dims[i];
            for (int p = 0; p < l[0]; p++) {
                for (int q = 0; q < l[2]; q++) {
                    double sum = 0;
                    for (int j = 0; j < l[1]; j++) sum += o[(p * l[1] + j) * l[2] + q];
                    assertEquals(1.0, sum, 1e-6, "a row sums to 1");
                }
            }
            assertClose("softmax " + Shape.of(dims) + " axis " + axis, be.softmaxBackward(out, t(r, dims), axis),
                    numeric(x, xx -> weightedSum(be.softmax(t(xx, dims), axis), r), EPS));
        }
        assertThrows(IllegalArgumentException.class, () -> be.softmax(t(new float[4], 2, 2), 2));
    }
}

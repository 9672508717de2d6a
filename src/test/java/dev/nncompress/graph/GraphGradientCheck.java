package dev.nncompress.graph;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.LossResult;
import dev.nncompress.tensor.Tensor;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The whole-network gradient check of the graph tests: softmax cross-entropy of a graph's logits, every trainable
 * parameter's gradient from one backward pass against central finite differences of that loss at a few random
 * distinct coordinates per tensor (a fixed seed keeps it repeatable, a few coordinates keep it fast).
 */
final class GraphGradientCheck {
    /** Central-difference step: float32 forward, 1e-2 would cross relu and max-pool kinks. */
    static final double EPS = 1e-3;

    private GraphGradientCheck() {}

    /** The loss of {@code g} on {@code x}, training mode with dropout seed {@code seed}; the backward pass too when asked. */
    static float loss(Graph g, Backend b, Tensor x, int[] labels, boolean backward, long seed) {
        try (GraphRunner run = new GraphRunner(g, b, true, seed)) {
            LossResult l = b.softmaxCrossEntropy(run.forward(x), labels);
            if (backward) run.backward(l.gradLogits());
            return l.loss();
        }
    }

    /**
     * The finite differences' noise floor for this check: below it a gradient cannot be told from zero (the absolute
     * tolerance is 2e-3, while float32 rounding of a loss near 1 over a 2e-3 step is ~1e-4), so a coordinate counts as
     * informative only when its numeric gradient is above it: a backward pass that drops a gradient (writes 0) fails
     * on every informative coordinate and passes on every other.
     */
    static final double NOISE_FLOOR = 2e-3;

    /**
     * Runs the backward pass, then compares up to {@code perTensor} distinct coordinates (drawn without replacement from
     * {@code rng}) of each trainable parameter's gradient with the central difference, to 2% of the larger magnitude or
     * 2e-3 absolute (a NaN on either side fails); clears the gradients. Fails unless at least {@code minInformative} of
     * the compared coordinates have a numeric gradient above {@link #NOISE_FLOOR}: exact zeros and noise are compared
     * too but do not count, so the check cannot pass on a network whose sampled gradients are all ~0.
     * Returns how many coordinates were informative.
     */
    static int check(Graph g, Backend b, Tensor x, int[] labels, long seed, SplittableRandom rng, int perTensor, int minInformative) {
        loss(g, b, x, labels, true, seed);
        int checked = 0, informative = 0;
        StringBuilder perParam = new StringBuilder();
        for (Parameter p : g.trainableParams()) {
            float[] analytic = p.grad().toFloatArray();
            float[] w = p.value().toFloatArray();
            int[] picks = distinct(rng, w.length, Math.min(perTensor, w.length));
            int here = 0;
            for (int i : picks) {
                double numeric = (lossWith(g, b, p, w, i, w[i] + EPS, x, labels, seed) - lossWith(g, b, p, w, i, w[i] - EPS, x, labels, seed)) / (2 * EPS);
                assertCoordinate(p.name() + "[" + i + "]", numeric, analytic[i]);
                checked++;
                if (Math.abs(numeric) > NOISE_FLOOR) here++;
            }
            informative += here;
            perParam.append(' ').append(p.name()).append('=').append(here).append('/').append(picks.length);
            p.clearGrad();
        }
        System.out.println("gradient check: " + informative + " of " + checked + " coordinates above the noise floor:" + perParam);
        if (informative < minInformative) {
            fail("only " + informative + " of " + checked + " compared coordinates have a gradient above the noise floor " + NOISE_FLOOR
                    + " (need " + minInformative + "): the check would pass a backward pass that writes zeros;" + perParam);
        }
        return informative;
    }

    /** |numeric - analytic| within 2% of the larger magnitude or 2e-3; NaN or infinity on either side fails. */
    static void assertCoordinate(String what, double numeric, double analytic) {
        double tol = Math.max(2e-3, 0.02 * Math.max(Math.abs(numeric), Math.abs(analytic)));
        double diff = Math.abs(numeric - analytic);
        if (!(diff <= tol)) fail(what + ": analytic " + analytic + " vs numeric " + numeric + " (diff " + diff + " > tol " + tol + ")");
    }

    /** {@code k} distinct indices in [0, n), in draw order: a partial Fisher-Yates shuffle. */
    static int[] distinct(SplittableRandom rng, int n, int k) {
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        for (int t = 0; t < k; t++) {
            int j = t + rng.nextInt(n - t);
            int tmp = idx[t];
            idx[t] = idx[j];
            idx[j] = tmp;
        }
        return Arrays.copyOf(idx, k);
    }

    private static double lossWith(Graph g, Backend b, Parameter p, float[] w, int i, double value, Tensor x, int[] labels, long seed) {
        float[] copy = w.clone();
        copy[i] = (float) value;
        p.setValue(b.fromFloats(copy, p.value().shape()));
        double l = loss(g, b, x, labels, false, seed);
        p.setValue(b.fromFloats(w, p.value().shape()));
        return l;
    }
}

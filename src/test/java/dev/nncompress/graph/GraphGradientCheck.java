package dev.nncompress.graph;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.LossResult;
import dev.nncompress.tensor.Tensor;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The whole-network gradient check of the graph tests: softmax cross-entropy of a graph's logits, every trainable
 * parameter's gradient from one backward pass against central finite differences of that loss at a few random
 * coordinates per tensor (a fixed seed keeps it repeatable, a few coordinates keep it fast).
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
     * Runs the backward pass, then compares up to {@code perTensor} coordinates (drawn from {@code rng}) of each trainable
     * parameter's gradient with the central difference, to 2% of the larger magnitude or 2e-3 absolute; clears the
     * gradients. Returns how many coordinates were checked.
     */
    static int check(Graph g, Backend b, Tensor x, int[] labels, long seed, SplittableRandom rng, int perTensor) {
        loss(g, b, x, labels, true, seed);
        int checked = 0;
        for (Parameter p : g.trainableParams()) {
            float[] analytic = p.grad().toFloatArray();
            float[] w = p.value().toFloatArray();
            for (int t = 0; t < Math.min(perTensor, w.length); t++) {
                int i = rng.nextInt(w.length);
                double numeric = (lossWith(g, b, p, w, i, w[i] + EPS, x, labels, seed) - lossWith(g, b, p, w, i, w[i] - EPS, x, labels, seed)) / (2 * EPS);
                double tol = Math.max(2e-3, 0.02 * Math.max(Math.abs(numeric), Math.abs(analytic[i])));
                assertEquals(numeric, analytic[i], tol, p.name() + "[" + i + "]");
                checked++;
            }
            p.clearGrad();
        }
        return checked;
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

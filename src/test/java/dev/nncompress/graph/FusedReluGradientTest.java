package dev.nncompress.graph;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.compress.prepare.ReluFusion;
import dev.nncompress.graph.ops.FusedRelu;
import dev.nncompress.models.GraphBuilder;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Backward of Conv2d and Linear with a fused ReLU (attr {@code relu=1}): parameter gradients agree with
 * central finite differences, and are bit-identical to those of the same net with separate ReLU nodes.
 * conv1's gradients pass through conv2's fused input gradient, so dx of a fused node is covered too.
 */
class FusedReluGradientTest {
    private final Backend backend = new ReferenceBackend();

    private Graph unfused() {
        GraphBuilder b = new GraphBuilder("fusedgrad", Shape.of(2, 6, 6), backend, 21);
        String x = b.relu("r1", b.conv("conv1", Graph.INPUT, 3, 3, 1, 1, true));
        x = b.relu("r2", b.conv("conv2", x, 4, 3, 2, 1, false));
        x = b.relu("r3", b.linear("fc1", b.flatten("flat", x), 8));
        return b.build(b.linear("fc2", x, 3));
    }

    /** L = sum(y * r) in double with fixed random r, so every output matters and dL/dy = r. */
    private double loss(Graph g, Tensor x, float[] r, boolean backward) {
        try (GraphRunner run = new GraphRunner(g, backend, true, 1)) {
            float[] y = run.forward(x).toFloatArray();
            double l = 0;
            for (int i = 0; i < y.length; i++) l += (double) y[i] * r[i];
            if (backward) run.backward(backend.fromFloats(r, Shape.of(x.shape().dim(0), 3)));
            return l;
        }
    }

    @Test
    void fusedGradientsMatchFiniteDifferencesAndTheUnfusedNet() {
        Graph plain = unfused();
        Graph fused = ReluFusion.apply(plain).graph();
        assertEquals(3, fused.nodes().stream().filter(FusedRelu::on).count());
        assertEquals(0, fused.nodes().stream().filter(n -> n.op() == OpType.RELU).count());

        SplittableRandom rng = new SplittableRandom(8);
        int batch = 3;
        float[] in = new float[batch * 2 * 6 * 6];
        for (int i = 0; i < in.length; i++) in[i] = (float) rng.nextGaussian();
        Tensor x = backend.fromFloats(in, Shape.of(batch, 2, 6, 6));
        float[] r = new float[batch * 3];
        for (int i = 0; i < r.length; i++) r[i] = (float) rng.nextGaussian();

        loss(plain, x, r, true);
        loss(fused, x, r, true);
        int checked = 0;
        for (Parameter p : fused.trainableParams()) {
            float[] analytic = p.grad().toFloatArray();
            // same ops in the same order: the fused node's ReLU backward is the ReLU node's
            assertArrayEquals(plain.param(p.name()).grad().toFloatArray(), analytic, 0f, p.name());
            float[] w = p.value().toFloatArray();
            for (int t = 0; t < Math.min(8, w.length); t++) {
                int i = rng.nextInt(w.length);
                double eps = 1e-3;
                double numeric = (lossWith(fused, p, w, i, w[i] + eps, x, r) - lossWith(fused, p, w, i, w[i] - eps, x, r)) / (2 * eps);
                // as GraphGradientTest: float32 forward, eps 1e-3 keeps most nudges off ReLU kinks
                double tol = Math.max(2e-3, 0.02 * Math.max(Math.abs(numeric), Math.abs(analytic[i])));
                assertEquals(numeric, analytic[i], tol, p.name() + "[" + i + "]");
                checked++;
            }
        }
        assertTrue(checked >= 40, "checked " + checked + " coordinates");
    }

    private double lossWith(Graph g, Parameter p, float[] w, int i, double value, Tensor x, float[] r) {
        float[] copy = w.clone();
        copy[i] = (float) value;
        p.setValue(backend.fromFloats(copy, p.value().shape()));
        double l = loss(g, x, r, false);
        p.setValue(backend.fromFloats(w, p.value().shape()));
        return l;
    }
}

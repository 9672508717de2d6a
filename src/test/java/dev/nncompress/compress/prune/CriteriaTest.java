package dev.nncompress.compress.prune;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.LossResult;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphRunner;
import dev.nncompress.graph.Parameter;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CriteriaTest {
    private final Backend backend = new ReferenceBackend();
    private final Dataset calib = PruneFixtures.columns(40, 11);

    @Test
    void magnitudeIsTheAbsoluteWeight() {
        Graph g = PruneFixtures.tiny(backend, 1);
        float[] w = g.param("fc.weight").value().toFloatArray();
        float[] s = new MagnitudeCriterion().scores(g, PruneTargets.all(g)).get("fc.weight");
        for (int i = 0; i < w.length; i++) assertEquals(Math.abs(w[i]), s[i], 0f);
    }

    /**
     * Taylor = |w * dL/dw| with dL/dw of the mean loss over the calibration images; dL/dw checked by central
     * finite differences over the same images (batches of 16, 16, 8: the mean of batch means, as the
     * criterion averages per-batch gradients), on a graph without ReLU/max-pool kinks (on the tiny graph a kink
     * inside +-eps moved the quotient by up to 3.5%), at the 3 highest-scoring elements per layer (tiny
     * gradients drown in float rounding). Tolerance 0.5% relative + 1e-6: float losses (~1e-7) over 2 eps = 0.02
     * and the O(eps^2) curvature term.
     */
    @Test
    void taylorGradientMatchesFiniteDifferences() {
        Graph g = PruneFixtures.smooth(backend, 2);
        Map<String, float[]> s = new TaylorCriterion(new Calibration(calib, 16, backend)).scores(g, PruneTargets.all(g));
        for (Parameter p : g.trainableParams()) assertNull(p.grad(), "gradients are cleared afterwards");
        for (String name : List.of("conv.weight", "fc.weight")) {
            Parameter p = g.param(name);
            float[] w = p.value().toFloatArray();
            for (int i : largest(s.get(name), 3)) {
                double eps = 1e-2;
                double up = lossWith(g, p, w, i, w[i] + eps), down = lossWith(g, p, w, i, w[i] - eps);
                double grad = (up - down) / (2 * eps);
                double expected = Math.abs(w[i] * grad);
                assertEquals(expected, s.get(name)[i], 5e-3 * expected + 1e-6, name + "[" + i + "]");
            }
            try (Tensor t = backend.fromFloats(w, p.value().shape())) {
                backend.copyInto(t, p.value());
            }
        }
    }

    /** Indices of the k largest values: the elements with a clear gradient, where float finite differences are meaningful. */
    private static int[] largest(float[] v, int k) {
        return java.util.stream.IntStream.range(0, v.length).boxed().sorted((a, b) -> Float.compare(v[b], v[a])).limit(k).mapToInt(Integer::intValue).toArray();
    }

    private double lossWith(Graph g, Parameter p, float[] w, int i, double value) {
        float[] v = w.clone();
        v[i] = (float) value;
        try (Tensor t = backend.fromFloats(v, p.value().shape())) {
            backend.copyInto(t, p.value());
        }
        double sum = 0;
        int batches = 0;
        for (int from = 0; from < calib.count(); from += 16, batches++) {
            Dataset part = calib.slice(from, Math.min(calib.count(), from + 16));
            try (GraphRunner run = new GraphRunner(g, backend, false, 0);
                 Tensor x = backend.fromFloats(part.images(), Shape.of(part.count(), 1, 6, 6))) {
                LossResult l = backend.softmaxCrossEntropy(run.forward(x), part.labels());
                l.gradLogits().close();
                sum += l.loss();
            }
        }
        return sum / batches;
    }

    /** Activation score = |w| x mean |x_c| of the weight's input channel, checked against the hand-computed input statistics. */
    @Test
    void activationScoresWeighMagnitudeByMeanAbsoluteInput() {
        Graph g = PruneFixtures.tiny(backend, 3);
        Map<String, float[]> s = new ActivationCriterion(new Calibration(calib, 16, backend)).scores(g, PruneTargets.all(g));
        // conv reads the image: one channel, mean |pixel| over all 40 images
        double meanAbs = 0;
        for (float v : calib.images()) meanAbs += Math.abs(v);
        meanAbs /= calib.images().length;
        float[] cw = g.param("conv.weight").value().toFloatArray();
        for (int i = 0; i < cw.length; i++) assertEquals(Math.abs(cw[i]) * meanAbs, s.get("conv.weight")[i], 1e-6 * Math.abs(cw[i]) + 1e-7);
        // fc reads flatten [N, 36]: feature f of sample n, from a plain forward pass
        double[] feat = new double[36];
        try (GraphRunner run = new GraphRunner(g, backend, false, 0); Tensor x = backend.fromFloats(calib.images(), Shape.of(40, 1, 6, 6))) {
            run.forward(x);
            float[] f = run.output("flatten").toFloatArray();
            for (int i = 0; i < f.length; i++) feat[i % 36] += Math.abs(f[i]) / 40;
        }
        float[] fw = g.param("fc.weight").value().toFloatArray(); // [3, 36]
        for (int i = 0; i < fw.length; i++) assertEquals(Math.abs(fw[i]) * feat[i % 36], s.get("fc.weight")[i], 1e-5 * Math.abs(fw[i]) + 1e-7);
    }

    @Test
    void apozIsTheFractionOfZerosAfterRelu() {
        Graph g = PruneFixtures.tiny(backend, 3);
        var stats = ActivationStatistics.gather(g, Set.of("relu"), new Calibration(calib, 16, backend)).get("relu");
        try (GraphRunner run = new GraphRunner(g, backend, false, 0); Tensor x = backend.fromFloats(calib.images(), Shape.of(40, 1, 6, 6))) {
            run.forward(x);
            float[] r = run.output("relu").toFloatArray(); // [40, 4, 6, 6]
            double[] zeros = new double[4];
            for (int i = 0; i < r.length; i++) if (r[i] == 0) zeros[(i / 36) % 4]++;
            for (int c = 0; c < 4; c++) assertEquals(zeros[c] / (40 * 36), stats.apoz()[c], 1e-12);
        }
        assertTrue(stats.apoz()[0] > 0 && stats.apoz()[0] < 1);
    }

    @Test
    void layersRestrictTargetsAndUnknownNamesAreClearErrors() {
        Graph g = PruneFixtures.tiny(backend, 1);
        assertEquals(List.of("conv.weight", "fc.weight"), PruneTargets.all(g).weights());
        assertEquals(List.of("fc"), PruneTargets.of(g, List.of("fc")).layers());
        var missing = assertThrows(IllegalArgumentException.class, () -> PruneTargets.of(g, List.of("fc", "fc9")));
        assertTrue(missing.getMessage().contains("'fc9' does not exist") && missing.getMessage().contains("conv, fc"), missing.getMessage());
        var relu = assertThrows(IllegalArgumentException.class, () -> PruneTargets.of(g, List.of("relu")));
        assertTrue(relu.getMessage().contains("not a conv or linear"), relu.getMessage());
        assertArrayEquals(new String[] {"conv", "fc"}, PruneTargets.of(g, List.of("fc", "conv")).layers().toArray());
        // what structured pruning keeps whole: the prunable layers not named (none when all are targets)
        assertEquals(Set.of("conv"), PruneTargets.of(g, List.of("fc")).untargeted(g));
        assertEquals(Set.of(), PruneTargets.all(g).untargeted(g));
    }
}

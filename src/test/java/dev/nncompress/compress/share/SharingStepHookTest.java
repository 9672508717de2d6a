package dev.nncompress.compress.share;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.LossResult;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.compress.prune.MagnitudeCriterion;
import dev.nncompress.compress.prune.MaskSelection;
import dev.nncompress.compress.prune.PruneMasks;
import dev.nncompress.compress.prune.PruneScope;
import dev.nncompress.compress.prune.PruneTargets;
import dev.nncompress.data.Batch;
import dev.nncompress.data.Batches;
import dev.nncompress.data.Dataset;
import dev.nncompress.data.ToyDatasets;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphRunner;
import dev.nncompress.models.GraphBuilder;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import dev.nncompress.train.LrSchedule;
import dev.nncompress.train.OptimizerConfig;
import dev.nncompress.train.StepHook;
import dev.nncompress.train.TrainConfig;
import dev.nncompress.train.TrainListener;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SharingStepHookTest {
    private final Backend backend = new ReferenceBackend();

    /** conv(1->2, 3x3), flatten, linear 72 -> 3: no ReLU or max-pool, so the loss is smooth for finite differences. */
    private Graph smooth(long seed) {
        GraphBuilder b = new GraphBuilder("smooth", Shape.of(1, 6, 6), backend, seed);
        return b.build(b.linear("fc", b.flatten("flatten", b.conv("conv", Graph.INPUT, 2, 3, 1, 1, true)), 3));
    }

    private Graph tiny(long seed) {
        GraphBuilder b = new GraphBuilder("tiny", Shape.of(1, 6, 6), backend, seed);
        String x = b.maxPool("pool", b.relu("relu", b.conv("conv", Graph.INPUT, 4, 3, 1, 1, true)), 2);
        return b.build(b.linear("fc", b.flatten("flatten", x), 3));
    }

    /**
     * The gradient each shared element gets is its centroid's: the sum of its cluster's member gradients (checked
     * directly), and that sum is the loss's derivative by the centroid (checked by central differences, moving
     * every member of the cluster together). Pruned elements get none.
     */
    @Test
    void centroidGradientIsTheSumOfMemberGradientsAndTheLossDerivative() {
        Graph g = smooth(1);
        PruneTargets targets = PruneTargets.all(g);
        new PruneMasks(MaskSelection.select(new MagnitudeCriterion().scores(g, targets), 0.3, PruneScope.GLOBAL).keep()).applyTo(g);
        SharedWeights shared = SharedWeights.cluster(g, targets, new ShareConfig(2, 2));
        SharingStepHook hook = new SharingStepHook(g, shared);
        Batch b = Batches.of(ToyDatasets.columns(16, 2), 16).epoch(0).next();
        Map<String, float[]> raw = new java.util.HashMap<>();
        try (StepHook.Step step = hook.begin(g)) {
            backward(g, b);
            for (String w : shared.layers().keySet()) raw.put(w, g.param(w).grad().toFloatArray());
            step.afterBackward();
        }
        for (var e : shared.layers().entrySet()) {
            float[] grad = g.param(e.getKey()).grad().toFloatArray();
            int[] a = e.getValue().assignment();
            float[] c = e.getValue().centroids();
            assertEquals(4, c.length, e.getKey() + " has 4 clusters");
            for (int k = 0; k < c.length; k++) {
                double sum = 0;
                for (int i = 0; i < a.length; i++) if (a[i] == k) sum += raw.get(e.getKey())[i];
                for (int i = 0; i < a.length; i++) if (a[i] == k) assertEquals(sum, grad[i], 1e-6, e.getKey() + "[" + i + "]");
                double eps = 1e-3;
                double numeric = (lossWithCentroid(g, e.getKey(), e.getValue(), k, c[k] + eps, b)
                        - lossWithCentroid(g, e.getKey(), e.getValue(), k, c[k] - eps, b)) / (2 * eps);
                assertEquals(numeric, sum, 2e-3 + 1e-2 * Math.abs(sum), e.getKey() + " centroid " + k);
            }
            for (int i = 0; i < a.length; i++) if (a[i] < 0) assertEquals(0f, grad[i], e.getKey() + "[" + i + "] is pruned");
        }
        for (var p : g.params().values()) p.clearGrad();
    }

    /**
     * After fine-tuning (SGD with momentum and weight decay, and AdamW) every weight is one of its layer's <= 2^b centroids, zeros stay +0.0;
     * the biases, shared too, are each one of their layer's <= 4 values.
     */
    @Test
    void afterFineTuningEveryWeightIsACentroidAndPrunedWeightsStayZero() {
        for (OptimizerConfig opt : new OptimizerConfig[] {new OptimizerConfig.Sgd(0.01f, 0.9f, 0.01f, false), OptimizerConfig.Adam.adamW(0.005f, 0.1f)}) {
            Graph g = tiny(3);
            PruneTargets targets = PruneTargets.all(g);
            PruneMasks masks = MaskSelection.select(new MagnitudeCriterion().scores(g, targets), 0.5, PruneScope.GLOBAL);
            masks.applyTo(g);
            ShareConfig config = new ShareConfig(2, 3, java.util.Map.of(), 2); // fc: 4 values, conv: 8, biases 4
            Dataset data = ToyDatasets.columns(96, 4);
            TrainConfig ft = new TrainConfig(2, 16, opt, new LrSchedule.Constant(), 5);
            WeightSharer.Result r = new WeightSharer(backend, config, ft).share(g, targets, data, data, TrainListener.NONE);
            for (var e : r.shared().layers().entrySet()) {
                String w = e.getKey();
                float[] v = g.param(w).value().toFloatArray();
                Set<Float> distinct = new HashSet<>();
                for (float f : v) if (Float.floatToRawIntBits(f) != 0) distinct.add(f);
                int limit = w.startsWith("conv") && w.endsWith(".weight") ? 8 : 4;
                assertTrue(distinct.size() <= limit && distinct.size() >= 2, w + " holds " + distinct.size() + " distinct values");
                float[] c = e.getValue().centroids();
                for (int i = 0; i < v.length; i++) {
                    boolean kept = w.endsWith(".bias") ? e.getValue().assignment()[i] >= 0 : masks.keep().get(w)[i];
                    if (!kept) assertEquals(0, Float.floatToRawIntBits(v[i]), w + "[" + i + "] must stay +0.0");
                    else assertEquals(c[e.getValue().assignment()[i]], v[i], 0f, w + "[" + i + "] is its centroid");
                }
            }
            assertEquals(2 * targets.layers().size(), r.shared().layers().size(), "every target's weight and bias: " + r.shared().layers().keySet());
            float[] before = SharedWeights.cluster(tiny(3), targets, config).layers().get("fc.weight").centroids();
            assertNotEquals(before[0], r.shared().layers().get("fc.weight").centroids()[0], opt + ": fine-tuning moves the centroids");
            assertTrue(r.fineTuned().loss() < r.clustered().loss(), opt + ": training the centroids lowers the loss: "
                    + r.clustered().loss() + " -> " + r.fineTuned().loss());
        }
    }

    @Test
    void withoutFineTuningTheWeightsAreTheClusteredCentroids() {
        Graph g = tiny(5);
        WeightSharer.Result r = new WeightSharer(backend, new ShareConfig(2, 2), null).share(g, PruneTargets.all(g), null, null, TrainListener.NONE);
        assertNull(r.fineTuned());
        for (var e : r.shared().layers().entrySet()) {
            float[] v = g.param(e.getKey()).value().toFloatArray();
            float[] want = e.getValue().values();
            for (int i = 0; i < v.length; i++) assertEquals(want[i], v[i], 0f);
        }
    }

    private void backward(Graph g, Batch b) {
        try (GraphRunner run = new GraphRunner(g, backend, true, 0);
             Tensor x = backend.fromFloats(b.images(), Shape.of(b.size(), 1, 6, 6))) {
            LossResult l = backend.softmaxCrossEntropy(run.forward(x, GraphRunner.OutputHook.NONE), b.labels());
            try (Tensor gl = l.gradLogits()) {
                run.backward(gl, GraphRunner.OutputHook.NONE);
            }
        }
    }

    /** The batch loss with centroid {@code k} of weight {@code w} set to {@code value} (the weight restored after). */
    private double lossWithCentroid(Graph g, String w, SharedWeights.Layer layer, int k, double value, Batch b) {
        float[] orig = g.param(w).value().toFloatArray();
        float[] v = orig.clone();
        int[] a = layer.assignment();
        for (int i = 0; i < v.length; i++) if (a[i] == k) v[i] = (float) value;
        SharedWeights.write(g.param(w), v);
        try (GraphRunner run = new GraphRunner(g, backend, false, 0);
             Tensor x = backend.fromFloats(b.images(), Shape.of(b.size(), 1, 6, 6))) {
            LossResult l = backend.softmaxCrossEntropy(run.forward(x, GraphRunner.OutputHook.NONE), b.labels());
            l.gradLogits().close();
            return l.loss();
        } finally {
            SharedWeights.write(g.param(w), orig);
        }
    }
}

package dev.nncompress.compress.prune;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.LossResult;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.data.Batch;
import dev.nncompress.data.Batches;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphRunner;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import dev.nncompress.train.LrSchedule;
import dev.nncompress.train.OptimizerConfig;
import dev.nncompress.train.StepHook;
import dev.nncompress.train.TrainConfig;
import dev.nncompress.train.TrainListener;
import dev.nncompress.train.Trainer;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MaskingStepHookTest {
    private final Backend backend = new ReferenceBackend();

    @Test
    void gradientsOfPrunedWeightsAreZeroedAfterBackward() {
        Graph g = PruneFixtures.tiny(backend, 1);
        PruneMasks masks = MaskSelection.select(new MagnitudeCriterion().scores(g, PruneTargets.all(g)), 0.5, PruneScope.GLOBAL);
        Batch b = Batches.of(PruneFixtures.columns(16, 2), 16).epoch(0).next();
        try (MaskingStepHook hook = new MaskingStepHook(backend, g, masks);
             StepHook.Step step = hook.begin(g);
             GraphRunner run = new GraphRunner(step.graph(), backend, true, 0);
             Tensor x = backend.fromFloats(b.images(), Shape.of(16, 1, 6, 6))) {
            LossResult l = backend.softmaxCrossEntropy(run.forward(x, step.hook()), b.labels());
            try (Tensor gl = l.gradLogits()) {
                run.backward(gl, step.hook());
            }
            int prunedWithGradient = 0;
            for (var e : masks.keep().entrySet()) {
                float[] grad = g.param(e.getKey()).grad().toFloatArray();
                for (int i = 0; i < grad.length; i++) if (!e.getValue()[i] && grad[i] != 0) prunedWithGradient++;
            }
            assertTrue(prunedWithGradient > 20, "backward itself gives pruned weights a gradient: " + prunedWithGradient);
            step.afterBackward();
            int nonzeroKeptGrads = 0;
            for (var e : masks.keep().entrySet()) {
                float[] grad = g.param(e.getKey()).grad().toFloatArray();
                boolean[] k = e.getValue();
                for (int i = 0; i < k.length; i++) {
                    if (!k[i]) assertEquals(0f, grad[i], 0f, e.getKey() + "[" + i + "] is pruned");
                    else if (grad[i] != 0) nonzeroKeptGrads++;
                }
            }
            assertTrue(nonzeroKeptGrads > 20, "kept weights still learn: " + nonzeroKeptGrads);
        }
    }

    /** SGD with momentum and weight decay, and AdamW (decoupled decay): pruned weights stay exactly +0.0 through training. */
    @Test
    void prunedWeightsStayZeroThroughTrainingWhileTheOthersMove() {
        for (OptimizerConfig opt : new OptimizerConfig[] {new OptimizerConfig.Sgd(0.05f, 0.9f, 0.01f, true), OptimizerConfig.Adam.adamW(0.01f, 0.1f)}) {
            Graph g = PruneFixtures.tiny(backend, 3);
            PruneTargets targets = PruneTargets.all(g);
            PruneMasks first = MaskSelection.select(new MagnitudeCriterion().scores(g, targets), 0.3, PruneScope.GLOBAL);
            Map<String, float[]> before = new java.util.HashMap<>();
            for (String w : targets.weights()) before.put(w, g.param(w).value().toFloatArray());
            Dataset data = PruneFixtures.columns(96, 4);
            TrainConfig cfg = new TrainConfig(2, 16, opt, new LrSchedule.Constant(), 5);
            try (MaskingStepHook hook = new MaskingStepHook(backend, g, first)) {
                new Trainer(backend, cfg, hook).fit(g, data, null, TrainListener.NONE);
                // grow the mask mid-training: weights with optimiser state (momentum, Adam moments) get pruned
                hook.update(MaskSelection.select(new MagnitudeCriterion().scores(g, targets), 0.6, PruneScope.GLOBAL, hook.masks()));
                new Trainer(backend, cfg, hook).fit(g, data, null, TrainListener.NONE);
                assertMaskedExactly(g, hook.masks());
            }
            int moved = 0;
            for (String w : targets.weights()) {
                float[] now = g.param(w).value().toFloatArray();
                for (int i = 0; i < now.length; i++) if (now[i] != 0 && now[i] != before.get(w)[i]) moved++;
            }
            assertTrue(moved > 30, opt + ": kept weights train, moved " + moved);
        }
    }

    static void assertMaskedExactly(Graph g, PruneMasks masks) {
        for (var e : masks.keep().entrySet()) {
            float[] v = g.param(e.getKey()).value().toFloatArray();
            for (int i = 0; i < v.length; i++) {
                if (!e.getValue()[i]) assertEquals(0, Float.floatToRawIntBits(v[i]), e.getKey() + "[" + i + "] must be +0.0, is " + v[i]);
                else assertNotEquals(0f, v[i], e.getKey() + "[" + i + "] is kept");
            }
        }
    }
}

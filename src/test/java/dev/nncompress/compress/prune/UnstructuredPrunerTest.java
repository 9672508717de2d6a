package dev.nncompress.compress.prune;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.train.LrSchedule;
import dev.nncompress.train.OptimizerConfig;
import dev.nncompress.train.TrainConfig;
import dev.nncompress.train.TrainListener;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UnstructuredPrunerTest {
    private final Backend backend = new ReferenceBackend();
    private final Dataset train = PruneFixtures.columns(192, 7);
    private final Dataset test = PruneFixtures.columns(96, 8);
    private final TrainConfig ft = new TrainConfig(1, 16, new OptimizerConfig.Sgd(0.05f, 0.9f, 0f, false), new LrSchedule.Constant(), 1);

    private PruneResult run(Graph g, PruneConfig c) {
        return new UnstructuredPruner(backend, c).prune(g, PruneTargets.all(g), train, test, TrainListener.NONE);
    }

    @Test
    void oneShotReachesTheTargetExactlyAndEvaluatesBeforeAndAfterFineTuning() {
        Graph g = PruneFixtures.tiny(backend, 1);
        PruneResult r = run(g, PruneConfig.oneShot(new MagnitudeCriterion(), PruneScope.GLOBAL, 0.75, ft));
        assertEquals(108, MaskSelection.prunedCount(144, 0.75));
        assertEquals(0.75, r.masks().sparsity(), 0);
        assertEquals(2, r.stages().size());
        assertEquals(96, r.stages().get(1).eval().count());
        MaskingStepHookTest.assertMaskedExactly(g, r.masks());
    }

    @Test
    void iterativeRoundsRiseToTheTarget() {
        Graph g = PruneFixtures.tiny(backend, 1);
        PruneResult r = run(g, new PruneConfig(new MagnitudeCriterion(), PruneScope.LAYER, 0.8, PruneSchedule.ITERATIVE, 3, 1, 1, ft));
        assertEquals(6, r.stages().size()); // pruned + fine-tuned per round
        double prev = 0;
        for (int i = 0; i < 6; i += 2) {
            assertTrue(r.stages().get(i).sparsity() > prev);
            prev = r.stages().get(i).sparsity();
        }
        // layer scope: each layer at round(0.8 n) / n
        assertEquals(MaskSelection.prunedCount(36, 0.8) / 36.0, r.masks().sparsity("conv.weight"), 0);
        assertEquals(MaskSelection.prunedCount(108, 0.8) / 108.0, r.masks().sparsity("fc.weight"), 0);
        MaskingStepHookTest.assertMaskedExactly(g, r.masks());
    }

    @Test
    void cubicEndsAtTheTargetWithTheMasksHeld() {
        for (double ramp : new double[] {0.5, 1.0}) { // 1.0: the ramp ends after the last step
            Graph g = PruneFixtures.tiny(backend, 1);
            PruneResult r = run(g, new PruneConfig(new MagnitudeCriterion(), PruneScope.GLOBAL, 0.9, PruneSchedule.CUBIC, 1, 2, ramp, ft));
            assertEquals(MaskSelection.prunedCount(144, 0.9) / 144.0, r.masks().sparsity(), 0, "ramp " + ramp);
            MaskingStepHookTest.assertMaskedExactly(g, r.masks());
        }
        assertThrows(IllegalArgumentException.class,
                () -> new PruneConfig(new MagnitudeCriterion(), PruneScope.GLOBAL, 0.9, PruneSchedule.CUBIC, 1, 2, 0.75, null));
    }

    @Test
    void fineTuningRecoversOnALearnableTask() {
        Graph g = PruneFixtures.tiny(backend, 1);
        TrainConfig pre = new TrainConfig(3, 16, new OptimizerConfig.Sgd(0.05f, 0.9f, 0f, false), new LrSchedule.Constant(), 2);
        new dev.nncompress.train.Trainer(backend, pre).fit(g, train, null, TrainListener.NONE);
        PruneResult r = run(g, PruneConfig.oneShot(new MagnitudeCriterion(), PruneScope.GLOBAL, 0.5, ft));
        double before = r.stages().get(0).eval().accuracy(), after = r.stages().get(1).eval().accuracy();
        assertTrue(after > 0.5, "a pruned half of a trained tiny net still solves the 3-class task: " + after + " (before fine-tuning " + before + ")");
    }
}

package dev.nncompress.compress.prune;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.tensor.NmPattern;
import dev.nncompress.train.LrSchedule;
import dev.nncompress.train.OptimizerConfig;
import dev.nncompress.train.TrainConfig;
import dev.nncompress.train.TrainListener;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** N:M masks ({@link MaskSelection#selectNm}) and one-shot N:M pruning with masked fine-tuning. */
class NmSelectionTest {
    private final Backend backend = new ReferenceBackend();

    /** Per group: exactly keptIn(len) kept, and every kept score >= every pruned score of that group. */
    private static void assertNmByScore(float[] scores, boolean[] keep, int row, NmPattern p) {
        for (int start = 0; start < scores.length; start += row) {
            for (int g = 0; g < p.groups(row); g++) {
                int len = p.groupLength(row, g), base = start + g * p.m(), kept = 0;
                float minKept = Float.MAX_VALUE, maxPruned = -1;
                for (int i = 0; i < len; i++) {
                    if (keep[base + i]) {
                        kept++;
                        minKept = Math.min(minKept, scores[base + i]);
                    } else {
                        maxPruned = Math.max(maxPruned, scores[base + i]);
                    }
                }
                assertEquals(p.keptIn(len), kept, "row " + start / row + " group " + g + " of " + len);
                assertTrue(maxPruned <= minKept, "row " + start / row + " group " + g + ": pruned " + maxPruned + " above kept " + minKept);
            }
        }
    }

    @Test
    void everyGroupKeepsExactlyItsNHighestScoresForSeveralPatternsAndRowLengths() {
        SplittableRandom r = new SplittableRandom(5);
        for (NmPattern p : new NmPattern[] {new NmPattern(2, 4), new NmPattern(1, 4), new NmPattern(1, 2), new NmPattern(3, 8), new NmPattern(2, 3)}) {
            for (int row : new int[] {1, 3, 8, 9, 72, 37}) {
                float[] s = new float[row * 5];
                for (int i = 0; i < s.length; i++) s[i] = r.nextInt(6) / 2f; // many ties
                PruneMasks m = MaskSelection.selectNm(Map.of("w", s), Map.of("w", row), p);
                assertNmByScore(s, m.keep().get("w"), row, p);
            }
        }
    }

    @Test
    void tiesPruneTheEarlierPositionsOfTheGroup() {
        float[] s = new float[9]; // all equal: rows of 9 = groups of 4, 4 and a tail of 1
        boolean[] keep = MaskSelection.selectNm(Map.of("w", s), Map.of("w", 9), new NmPattern(2, 4)).keep().get("w");
        assertArrayEquals(new boolean[] {false, false, true, true, false, false, true, true, true}, keep);
        float[] t = {3, 1, 1, 2};
        assertArrayEquals(new boolean[] {true, false, false, true},
                MaskSelection.selectNm(Map.of("w", t), Map.of("w", 4), new NmPattern(2, 4)).keep().get("w"));
        assertArrayEquals(new boolean[] {true, false, true, true}, // 1 vs 1: index 1 pruned, index 2 kept
                MaskSelection.selectNm(Map.of("w", t), Map.of("w", 4), new NmPattern(3, 4)).keep().get("w"));
    }

    @Test
    void badInputIsNamed() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> MaskSelection.selectNm(Map.of("w", new float[10]), Map.of("w", 4), new NmPattern(2, 4)));
        assertTrue(e.getMessage().contains("row length of w is 4, which does not divide its 10 scores"), e.getMessage());
        var nan = assertThrows(IllegalArgumentException.class,
                () -> MaskSelection.selectNm(Map.of("w", new float[] {1, Float.NaN, 0, 0}), Map.of("w", 4), new NmPattern(2, 4)));
        assertTrue(nan.getMessage().contains("importance of w is NaN"), nan.getMessage());
    }

    @Test
    void nmPruningHoldsThePatternThroughFineTuningInConvAndLinearRows() {
        Dataset train = PruneFixtures.columns(192, 7), test = PruneFixtures.columns(96, 8);
        TrainConfig ft = new TrainConfig(1, 16, new OptimizerConfig.Sgd(0.05f, 0.9f, 1e-3f, false), new LrSchedule.Constant(), 1);
        Graph g = PruneFixtures.tiny(backend, 1); // conv rows of 1*3*3 = 9 (tail of 1), fc rows of 36
        NmPattern p = new NmPattern(2, 4);
        Map<String, float[]> dense = new MagnitudeCriterion().scores(g, PruneTargets.all(g));
        PruneResult r = new UnstructuredPruner(backend, PruneConfig.nm(new MagnitudeCriterion(), p, ft)).prune(g, PruneTargets.all(g), train, test, TrainListener.NONE);
        assertNmByScore(dense.get("conv.weight"), r.masks().keep().get("conv.weight"), 9, p);
        assertNmByScore(dense.get("fc.weight"), r.masks().keep().get("fc.weight"), 36, p);
        MaskingStepHookTest.assertMaskedExactly(g, r.masks()); // after fine-tuning with momentum and weight decay
        assertTrue(p.holds(g.param("conv.weight").value().toFloatArray(), 9));
        assertTrue(p.holds(g.param("fc.weight").value().toFloatArray(), 36));
        assertEquals((4 * 4 + 54) / 144.0, r.masks().sparsity(), 1e-12); // conv: 4 rows x 4 pruned of 9; fc: half of 108
        assertEquals(2, r.stages().size());
    }

    @Test
    void configRejectsSchedulesAndSparsitiesThatContradictThePattern() {
        NmPattern p = new NmPattern(2, 4);
        assertThrows(IllegalArgumentException.class, () -> new PruneConfig(new MagnitudeCriterion(), PruneScope.LAYER, 0.5, PruneSchedule.ITERATIVE, 2, 1, 1, null, p));
        var e = assertThrows(IllegalArgumentException.class, () -> new PruneConfig(new MagnitudeCriterion(), PruneScope.LAYER, 0.9, PruneSchedule.ONESHOT, 1, 1, 1, null, p));
        assertTrue(e.getMessage().contains("N:M 2:4 fixes the sparsity at 0.5, got 0.9"), e.getMessage());
        assertEquals(0.5, PruneConfig.nm(new MagnitudeCriterion(), p, null).sparsity());
    }
}

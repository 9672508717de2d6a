package dev.nncompress.compress.prune;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MaskSelectionTest {
    private static Map<String, float[]> scores(float[] a, float[] b) {
        Map<String, float[]> m = new LinkedHashMap<>();
        m.put("a.weight", a);
        m.put("b.weight", b);
        return m;
    }

    @Test
    void globalThresholdPrunesTheLowestScoresAcrossLayers() {
        // a holds the 3 smallest of all 8 scores: global 50% prunes 3 of a and 1 of b
        PruneMasks m = MaskSelection.select(scores(new float[] {0.1f, 0.2f, 0.3f, 5f}, new float[] {0.4f, 6f, 7f, 8f}), 0.5, PruneScope.GLOBAL);
        assertArrayEquals(new boolean[] {false, false, false, true}, m.keep().get("a.weight"));
        assertArrayEquals(new boolean[] {false, true, true, true}, m.keep().get("b.weight"));
        assertEquals(0.5, m.sparsity(), 0);
        assertEquals(0.75, m.sparsity("a.weight"), 0);
    }

    @Test
    void layerScopePrunesTheSameFractionOfEachLayer() {
        PruneMasks m = MaskSelection.select(scores(new float[] {0.1f, 0.2f, 0.3f, 5f}, new float[] {0.4f, 6f, 7f, 8f}), 0.5, PruneScope.LAYER);
        assertArrayEquals(new boolean[] {false, false, true, true}, m.keep().get("a.weight"));
        assertArrayEquals(new boolean[] {false, false, true, true}, m.keep().get("b.weight"));
    }

    /** All scores equal: a "<= threshold" rule would prune everything; ranking by position prunes exactly round(s*n), earliest first. */
    @Test
    void tiesAreBrokenByPositionSoTheAchievedSparsityIsTheAskedOne() {
        float[] same = new float[10];
        java.util.Arrays.fill(same, 0.5f);
        PruneMasks m = MaskSelection.select(Map.of("w.weight", same), 0.3, PruneScope.GLOBAL);
        assertArrayEquals(new boolean[] {false, false, false, true, true, true, true, true, true, true}, m.keep().get("w.weight"));
        // -0.0 and +0.0 are the same score
        PruneMasks z = MaskSelection.select(Map.of("w.weight", new float[] {0f, -0f, 1f, -0f}), 0.5, PruneScope.GLOBAL);
        assertArrayEquals(new boolean[] {false, false, true, true}, z.keep().get("w.weight"));
    }

    @Test
    void prunedCountRoundsHalfUp() {
        assertEquals(0, MaskSelection.prunedCount(7, 0.0));
        assertEquals(4, MaskSelection.prunedCount(7, 0.5)); // 3.5 -> 4
        assertEquals(9, MaskSelection.prunedCount(10, 0.9));
        assertEquals(46836, MaskSelection.prunedCount(52040, 0.9)); // 46836.0
    }

    @Test
    void previouslyPrunedElementsStayPrunedEvenWhenOthersScoreLower() {
        PruneMasks before = new PruneMasks(Map.of("w.weight", new boolean[] {true, true, true, false}));
        PruneMasks next = MaskSelection.select(Map.of("w.weight", new float[] {0f, 0f, 3f, 0f}), 0.5, PruneScope.GLOBAL, before);
        assertArrayEquals(new boolean[] {false, true, true, false}, next.keep().get("w.weight"));
        var e = assertThrows(IllegalArgumentException.class,
                () -> MaskSelection.select(Map.of("w.weight", new float[] {1f, 1f, 3f, 0f}), 0.0, PruneScope.GLOBAL, before));
        assertTrue(e.getMessage().contains("masks only grow"), e.getMessage());
    }

    @Test
    void badInputIsAClearError() {
        for (double s : new double[] {-0.1, 1.0, 1.5, Double.NaN}) {
            var e = assertThrows(IllegalArgumentException.class, () -> MaskSelection.select(Map.of("w", new float[] {1f}), s, PruneScope.GLOBAL));
            assertTrue(e.getMessage().contains("sparsity must be in [0, 1)"), e.getMessage());
        }
        var nan = assertThrows(IllegalArgumentException.class, () -> MaskSelection.select(Map.of("w", new float[] {Float.NaN}), 0.5, PruneScope.GLOBAL));
        assertTrue(nan.getMessage().contains("importance of w is NaN"), nan.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MaskSelection.select(Map.of("w", new float[] {-1f}), 0.5, PruneScope.GLOBAL));
    }
}

package dev.nncompress.compress.prune.structured;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.graph.Graph;
import dev.nncompress.io.onnx.OnnxFixtures;
import dev.nncompress.io.onnx.OnnxImporter;
import dev.nncompress.train.StepHook;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Global channel allocation: the lowest per-group-normalised scores go first, whatever each group's scale; floors and
 * earlier masks hold; in the gradual pruner the total kept equals the uniform allocation's while the groups differ.
 */
class GlobalChannelAllocationTest {
    private static Map<Integer, int[]> all(int... channels) {
        Map<Integer, int[]> keep = new LinkedHashMap<>();
        for (int g = 0; g < channels.length; g++) keep.put(g, StructuredPruner.allChannels(channels[g]));
        return keep;
    }

    @Test
    void aGroupWithConcentratedImportanceGivesUpMoreWhateverItsScale() {
        // group 0: one channel carries everything; group 1: all equal, on a scale 1000x larger
        double[][] scores = {{10, 0.1, 0.1, 0.1}, {1000, 1000, 1000, 1000}};
        Map<Integer, int[]> out = GlobalChannelAllocation.select(all(4, 4), scores, 5, Map.of(0, 1, 1, 1), Map.of());
        assertArrayEquals(new int[] {0}, out.get(0), "group 0 keeps only its important channel");
        assertEquals(4, out.get(1).length, "an even group keeps its channels");
        double[][] scaled = {{10e6, 0.1e6, 0.1e6, 0.1e6}, {1, 1, 1, 1}};
        assertArrayEquals(out.get(0), GlobalChannelAllocation.select(all(4, 4), scaled, 5, Map.of(0, 1, 1, 1), Map.of()).get(0),
                "per-group normalisation: rescaling a group changes nothing");
    }

    @Test
    void floorsAndEarlierMasksHold() {
        double[][] scores = {{5, 0, 0, 0, 0, 0}, {1, 2, 3, 4}};
        Map<Integer, int[]> keep = all(6, 4);
        keep.put(1, new int[] {0, 2, 3}); // channel 1 of group 1 masked before: it stays masked even with a high score
        Map<Integer, int[]> out = GlobalChannelAllocation.select(keep, scores, 4, Map.of(0, 3, 1, 1), Map.of());
        assertEquals(3, out.get(0).length, "group 0 stops at its floor");
        assertArrayEquals(new int[] {0, 4, 5}, out.get(0), "its best channel and the last ties (ties go in channel order)");
        assertArrayEquals(new int[] {3}, out.get(1), "the rest comes from group 1, lowest first, channel 1 stays out");
        assertArrayEquals(new int[] {0, 2, 3}, keep.get(1), "the input is not modified");
        assertEquals(3 + 1, out.values().stream().mapToInt(k -> k.length).sum());
        assertThrows(IllegalArgumentException.class,
                () -> GlobalChannelAllocation.select(all(2), new double[][] {{Double.NaN, 1}}, 1, Map.of(0, 1), Map.of()));
    }

    @Test
    void ceilingsComeDownFirst() {
        double[][] scores = {{1, 1, 1, 1}, {0.1, 0.1, 10, 10}};
        Map<Integer, int[]> free = GlobalChannelAllocation.select(all(4, 4), scores, 6, Map.of(0, 1, 1, 1), Map.of());
        assertArrayEquals(new int[] {0, 1, 2, 3}, free.get(0), "unbounded, the even group keeps all");
        Map<Integer, int[]> banded = GlobalChannelAllocation.select(all(4, 4), scores, 6, Map.of(0, 1, 1, 1), Map.of(0, 3));
        assertArrayEquals(new int[] {1, 2, 3}, banded.get(0), "at most 3: its lowest channel goes first");
        assertArrayEquals(new int[] {1, 2, 3}, banded.get(1), "then the lowest normalised score of the rest");
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = GradualStructuredPruner.Allocation.class, names = {"GLOBAL", "BANDED"})
    void theGradualPrunerKeepsTheUniformTotalInOtherShares(GradualStructuredPruner.Allocation allocation) {
        Backend be = new ReferenceBackend();
        Graph dense = OnnxImporter.importFile(OnnxFixtures.file("mobilenetv2_student"), be).graph();
        var plan = new GradualStructuredPruner.Plan(GradualStructuredPruner.Schedule.CUBIC, 6, 4, 2, 1);
        StructuredPruneConfig config = StructuredPruneConfig.of(0.5);
        StructuredPruneResult uniform = StructuredPruner.prune(dense, config, FilterCriterion.groupL2());
        try (GradualStructuredPruner p = new GradualStructuredPruner(be, dense, config, FilterCriterion.groupL2(), plan, allocation)) {
            StepHook h = p.hook();
            for (int t = 0; t < 6; t++) {
                try (StepHook.Step s = h.begin(p.graph())) {
                    s.afterBackward();
                }
                h.afterUpdate(p.graph());
            }
            StructuredPruneResult r = p.finish();
            int sumUniform = 0, sumGlobal = 0;
            boolean differs = false;
            for (int i = 0; i < r.report().groups().size(); i++) {
                var u = uniform.report().groups().get(i);
                var g = r.report().groups().get(i);
                if (g.note() != null) continue;
                sumUniform += u.after();
                sumGlobal += g.after();
                differs |= u.after() != g.after();
                assertTrue(g.after() >= (u.after() + 1) / 2, "group " + i + " keeps at least half its uniform count: " + r.report().lines());
                if (allocation == GradualStructuredPruner.Allocation.BANDED) {
                    assertTrue(g.after() <= u.after() + (u.before() - u.after() + 1) / 2, "group " + i + " within its band: " + r.report().lines());
                }
            }
            assertEquals(sumUniform, sumGlobal, "the same channel count as uniform allocation");
            assertTrue(differs, "some group is shared differently: " + r.report().lines());
            assertNotEquals(uniform.pruned().parameterCount(), r.pruned().parameterCount());
            assertTrue(r.report().criterion().contains(allocation.name().toLowerCase(java.util.Locale.ROOT) + " allocation"), r.report().criterion());
        }
        assertThrows(IllegalArgumentException.class, () -> new GradualStructuredPruner(be, dense, config.withRoundTo(8),
                FilterCriterion.groupL2(), plan, GradualStructuredPruner.Allocation.GLOBAL));
    }
}

package dev.nncompress.compress.prune.structured;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.OpType;
import dev.nncompress.graph.ops.Conv2dOp;
import dev.nncompress.models.GraphBuilder;
import dev.nncompress.tensor.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Channel-level coupling on small hand-built graphs: concat offsets, depthwise convs (multiplier 1 and 2), a residual
 * sum of a concat and a conv (that conv's channels split between the concat inputs' groups), per-channel constants,
 * and a general grouped conv refused with its reason. Each pruned graph must compute what the original computes with
 * the dropped channels zeroed everywhere ({@link MaskedReference}); batch norms get far-from-identity statistics so a
 * wrongly sliced entry shows.
 */
class CoupledChannelsTest {
    private final Backend be = new ReferenceBackend();

    private void assertExact(Graph g, ChannelGroups groups, Map<Integer, int[]> keep, String what) {
        Graph pruned = ChannelSurgery.apply(g, groups, keep);
        MaskedReference.assertPrunedEqualsMasked(g, pruned, be, groups, keep, PruneFixtures.randomImages(g, 3, 21), 1e-5, what);
    }

    @Test
    void concatPutsEachBranchAtItsOffset() {
        GraphBuilder b = new GraphBuilder("fire", Shape.of(2, 6, 6), be, 5);
        String s = b.relu("r0", b.conv("squeeze", Graph.INPUT, 4, 1, 1, 0, true));
        String e1 = b.relu("r1", b.conv("e1", s, 3, 1, 1, 0, true)), e3 = b.relu("r3", b.conv("e3", s, 5, 3, 1, 1, true));
        String cat = b.op("cat", OpType.CONCAT, List.of(e1, e3), Map.of("axis", 0.0));
        Graph g = b.build(b.linear("fc", b.flatten("fl", b.globalAvgPool("gap", b.relu("r2", b.conv("c2", cat, 6, 3, 1, 1, true)))), 3));
        ChannelGroups groups = ChannelDependencies.analyze(g);
        ChannelGroup g1 = groups.producedBy("e1"), g3 = groups.producedBy("e3");
        assertArrayEquals(new int[] {4}, g3.channelsOf("cat", 1), "e3's channel 1 is the concat's 3 + 1");
        assertEquals(List.of("c2"), g3.convReaders());
        Map<Integer, int[]> keep = Map.of(g1.id(), new int[] {0, 2}, g3.id(), new int[] {1, 4});
        Graph pruned = ChannelSurgery.apply(g, groups, keep);
        assertEquals(Shape.of(6, 4, 3, 3), pruned.param("c2.weight").value().shape());
        float[] w = g.param("c2.weight").value().toFloatArray(), pw = pruned.param("c2.weight").value().toFloatArray();
        int[] columns = {0, 2, 4, 7}; // e1's 0 and 2, e3's 1 and 4 at offset 3
        for (int j = 0; j < 4; j++) assertEquals(w[columns[j] * 9], pw[j * 9], "c2 reads concat channel " + columns[j] + " as its input " + j);
        assertExact(g, groups, keep, "concat");
    }

    /** stem -> BN -> ReLU6 -> depthwise (groups 4, 4*m outputs) -> BN -> ReLU -> 1x1 conv -> pool -> fc. */
    @ParameterizedTest(name = "multiplier {0}")
    @ValueSource(ints = {1, 2})
    void depthwiseConvTiesEachInputChannelToItsOutputsAndLosesGroups(int m) {
        GraphBuilder b = new GraphBuilder("dw", Shape.of(3, 7, 7), be, 6);
        String x = b.activation("r6", OpType.CLIP, b.batchNorm("bn0", b.conv("stem", Graph.INPUT, 4, 3, 1, 1, false)), Map.of("min", 0.0, "max", 6.0));
        x = b.relu("r1", b.batchNorm("bn1", b.conv("dw", x, 4 * m, 3, new Conv2dSpec(2, 1, 1, 0, 1, 1, 1, 2, 4), false)));
        Graph g = b.build(b.linear("fc", b.flatten("fl", b.globalAvgPool("gap", b.conv("pw", x, 5, 1, 1, 0, true))), 2));
        PruneFixtures.randomizeBatchNorms(g, be, 2);
        ChannelGroups groups = ChannelDependencies.analyze(g);
        ChannelGroup grp = groups.producedBy("stem");
        assertEquals(List.of("stem", "dw"), grp.producers());
        assertEquals(List.of("bn0", "bn1"), grp.batchNorms());
        assertEquals(List.of("pw"), grp.convReaders(), "a depthwise conv is a producer, not a reader, of the group");
        assertEquals(4, grp.channels());
        assertArrayEquals(m == 1 ? new int[] {2} : new int[] {4, 5}, grp.channelsOf("dw", 2));
        if (m == 2) assertTrue(grp.describe().contains("dw (2 per ch)"), grp.describe());
        Map<Integer, int[]> keep = Map.of(grp.id(), new int[] {1, 2, 3});
        Graph pruned = ChannelSurgery.apply(g, groups, keep);
        assertEquals(3, Conv2dOp.spec(pruned.node("dw")).groups());
        assertEquals(Shape.of(3 * m, 1, 3, 3), pruned.param("dw.weight").value().shape());
        assertEquals(Shape.of(5, 3 * m, 1, 1), pruned.param("pw.weight").value().shape());
        assertExact(g, groups, keep, "depthwise x" + m);
        // down to one channel: one group, which a conv stores as no groups attribute
        Map<Integer, int[]> one = Map.of(grp.id(), new int[] {3});
        assertFalse(ChannelSurgery.apply(g, groups, one).node("dw").attrs().containsKey("groups"));
        assertExact(g, groups, one, "depthwise x" + m + ", one channel left");
        // the criterion sums the m filters of each channel
        double[] l1 = FilterCriterion.l1().scores(g, groups)[grp.id()];
        float[] stem = g.param("stem.weight").value().toFloatArray(), dw = g.param("dw.weight").value().toFloatArray();
        double want = 0;
        for (int i = 2 * 27; i < 3 * 27; i++) want += Math.abs(stem[i]);
        for (int i = 2 * m * 9; i < (2 * m + m) * 9; i++) want += Math.abs(dw[i]);
        assertEquals(want, l1[2], 1e-5);
    }

    /** squeeze -> e1 (3), e3 (5) -> concat (8) + shortcut conv d (8) -> conv: d's channels split between e1's and e3's groups. */
    @Test
    void residualSumOfAConcatAndAConvSplitsTheConvBetweenTheBranchGroups() {
        GraphBuilder b = new GraphBuilder("catres", Shape.of(2, 6, 6), be, 7);
        String s = b.relu("r0", b.conv("squeeze", Graph.INPUT, 4, 1, 1, 0, true));
        String cat = b.op("cat", OpType.CONCAT, List.of(b.conv("e1", s, 3, 1, 1, 0, true), b.conv("e3", s, 5, 3, 1, 1, true)), Map.of("axis", 0.0));
        String sum = b.addNodes("add", cat, b.batchNorm("bnd", b.conv("d", s, 8, 1, 1, 0, false)));
        Graph g = b.build(b.linear("fc", b.flatten("fl", b.globalAvgPool("gap", b.relu("r2", b.conv("c2", b.relu("ra", sum), 6, 3, 1, 1, true)))), 3));
        PruneFixtures.randomizeBatchNorms(g, be, 3);
        ChannelGroups groups = ChannelDependencies.analyze(g);
        List<ChannelGroup> ofD = groups.allProducedBy("d");
        assertEquals(2, ofD.size(), String.join("\n", groups.lines()));
        assertEquals(List.of("e1", "d"), ofD.get(0).producers());
        assertEquals(List.of("e3", "d"), ofD.get(1).producers());
        assertArrayEquals(new int[] {3 + 2}, ofD.get(1).channelsOf("d", 2));
        assertTrue(ofD.get(1).describe().contains("d[3..7 of 8]"), ofD.get(1).describe());
        Map<Integer, int[]> keep = Map.of(ofD.get(0).id(), new int[] {1}, ofD.get(1).id(), new int[] {0, 2, 4});
        Graph pruned = ChannelSurgery.apply(g, groups, keep);
        assertEquals(Shape.of(4, 4, 1, 1), pruned.param("d.weight").value().shape());
        assertEquals(Shape.of(4), pruned.param("bnd.running_mean").value().shape());
        assertExact(g, groups, keep, "concat + conv");
        // a per-layer sparsity for d reaches both of its groups
        StructuredPruneResult r = StructuredPruner.prune(g, StructuredPruneConfig.of(0).withLayerSparsity(Map.of("d", 0.5)), FilterCriterion.l2());
        assertEquals(2 + 3, r.pruned().param("d.weight").value().shape().dim(0), "e1's group 3 -> 2, e3's 5 -> 3");
    }

    @ParameterizedTest(name = "constant rank {0}")
    @ValueSource(ints = {3, 4})
    void perChannelConstantsAreSlicedWithTheChannels(int rank) {
        GraphBuilder b = new GraphBuilder("scale", Shape.of(2, 5, 5), be, 8);
        float[] scale = {0.5f, -1, 2, 3, -0.25f}, shift = {1, 2, 3, 4, 5};
        Shape cs = rank == 3 ? Shape.of(5, 1, 1) : Shape.of(1, 5, 1, 1);
        String x = b.arithmetic("mul", OpType.MUL, b.conv("c1", Graph.INPUT, 5, 3, 1, 1, true), be.fromFloats(scale, cs), false, false);
        x = b.relu("r", b.arithmetic("add", OpType.ADD, x, be.fromFloats(shift, cs), false, false));
        Graph g = b.build(b.linear("fc", b.flatten("fl", b.globalAvgPool("gap", b.conv("c2", x, 3, 1, 1, 0, true))), 2));
        ChannelGroups groups = ChannelDependencies.analyze(g);
        ChannelGroup c1 = groups.producedBy("c1");
        assertTrue(c1.prunable(), c1.describe());
        Map<Integer, int[]> keep = Map.of(c1.id(), new int[] {0, 3, 4});
        Graph pruned = ChannelSurgery.apply(g, groups, keep);
        assertArrayEquals(new float[] {0.5f, 3, -0.25f}, pruned.param("mul.constant").value().toFloatArray());
        assertArrayEquals(new float[] {1, 4, 5}, pruned.param("add.constant").value().toFloatArray());
        assertEquals(rank == 3 ? Shape.of(3, 1, 1) : Shape.of(1, 3, 1, 1), pruned.param("add.constant").value().shape());
        assertExact(g, groups, keep, "per-channel constants");
    }

    @Test
    void generalGroupedConvIsRefusedWithItsReason() {
        GraphBuilder b = new GraphBuilder("gc", Shape.of(2, 6, 6), be, 9);
        String x = b.relu("r", b.conv("c1", Graph.INPUT, 4, 3, 1, 1, true));
        x = b.conv("gc", x, 6, 3, new Conv2dSpec(1, 1, 1, 1, 1, 1, 1, 1, 2), true);
        Graph g = b.build(b.linear("fc", b.flatten("fl", b.globalAvgPool("gap", b.conv("c2", b.relu("r2", x), 3, 1, 1, 0, true))), 2));
        ChannelGroups groups = ChannelDependencies.analyze(g);
        String read = groups.producedBy("c1").fixedReason(), produced = groups.producedBy("gc").fixedReason();
        assertTrue(read != null && read.contains("read by grouped conv gc (2 groups), whose filters each read a block of 2 input channels"), read);
        assertTrue(produced != null && produced.contains("produced by grouped conv gc (2 groups)"), produced);
        assertTrue(groups.producedBy("c2").prunable());
        String e = assertThrows(IllegalArgumentException.class,
                () -> ChannelSurgery.apply(g, groups, Map.of(groups.producedBy("c1").id(), new int[] {0, 1}))).getMessage();
        assertTrue(e.contains("cannot be pruned: read by grouped conv gc"), e);
    }
}

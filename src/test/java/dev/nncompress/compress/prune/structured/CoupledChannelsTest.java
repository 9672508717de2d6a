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
 * and general grouped convs (the same in-group channels pruned in every group). Each pruned graph must compute what the original computes with
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

    /**
     * c1 (8) -> BN -> ReLU -> grouped conv gc (g groups: 8/g inputs and 12/g outputs each) -> BN -> ReLU -> c2: in-group
     * index i of every group is one channel of c1's group (and of gc's), so each group keeps as many channels and gc keeps g.
     */
    @ParameterizedTest(name = "groups {0}")
    @ValueSource(ints = {2, 4})
    void generalGroupedConvPrunesTheSameInGroupIndicesInEveryGroup(int g) {
        GraphBuilder b = new GraphBuilder("gc", Shape.of(2, 6, 6), be, 9);
        String x = b.relu("r1", b.batchNorm("bn1", b.conv("c1", Graph.INPUT, 8, 3, 1, 1, true)));
        x = b.relu("r2", b.batchNorm("bn2", b.conv("gc", x, 12, 3, new Conv2dSpec(1, 1, 1, 1, 1, 1, 1, 1, g), true)));
        Graph graph = b.build(b.linear("fc", b.flatten("fl", b.globalAvgPool("gap", b.conv("c2", x, 3, 1, 1, 0, true))), 2));
        PruneFixtures.randomizeBatchNorms(graph, be, 4);
        ChannelGroups groups = ChannelDependencies.analyze(graph);
        int in = 8 / g, out = 12 / g;
        ChannelGroup c1 = groups.producedBy("c1"), gc = groups.producedBy("gc");
        assertTrue(c1.prunable() && gc.prunable(), String.join("\n", groups.lines()));
        assertEquals(List.of("c1"), c1.producers(), "gc reads c1's group, it does not produce it");
        assertEquals(List.of("gc"), c1.convReaders());
        assertEquals(in, c1.channels());
        assertEquals(out, gc.channels());
        int[] want = new int[g], wantOut = new int[g];
        for (int k = 0; k < g; k++) {
            want[k] = k * in + 1;
            wantOut[k] = k * out + 2;
        }
        assertArrayEquals(want, c1.channelsOf("c1", 1), "in-group input 1 of every group");
        assertArrayEquals(wantOut, gc.channelsOf("gc", 2), "in-group output 2 of every group");

        int[] keepIn = g == 2 ? new int[] {0, 2, 3} : new int[] {1}, keepOut = g == 2 ? new int[] {1, 4} : new int[] {0, 2};
        Map<Integer, int[]> keep = Map.of(c1.id(), keepIn, gc.id(), keepOut);
        Graph pruned = ChannelSurgery.apply(graph, groups, keep);
        assertEquals(g, Conv2dOp.spec(pruned.node("gc")).groups(), "gc keeps its groups");
        assertEquals(Shape.of(g * keepOut.length, keepIn.length, 3, 3), pruned.param("gc.weight").value().shape());
        float[] w = graph.param("gc.weight").value().toFloatArray(), pw = pruned.param("gc.weight").value().toFloatArray();
        for (int k = 0; k < g; k++) for (int o = 0; o < keepOut.length; o++) for (int i = 0; i < keepIn.length; i++) {
            int row = k * keepOut.length + o;
            assertEquals(w[((k * out + keepOut[o]) * in + keepIn[i]) * 9], pw[(row * keepIn.length + i) * 9],
                    "gc's filter " + row + " reads in-group input " + keepIn[i] + " as its input " + i);
        }
        assertExact(graph, groups, keep, "grouped conv, " + g + " groups");
        // the pruner keeps half of each group's in-group indices, on both sides of gc (with g = 4 one input per group
        // is left: the pruned gc is a depthwise conv with multiplier 2, which a later analysis ties to c1)
        StructuredPruneConfig half = StructuredPruneConfig.of(0.5);
        Graph p = StructuredPruner.prune(graph, half, FilterCriterion.l2()).pruned();
        assertEquals(Shape.of(g * half.keepCount(out, 0.5), half.keepCount(in, 0.5), 3, 3), p.param("gc.weight").value().shape());
        assertEquals(g, Conv2dOp.spec(p.node("gc")).groups());
        assertTrue(ChannelDependencies.analyze(p).producedBy("c1").prunable());
        // surgery refuses kept inputs that differ between groups rather than slicing one group's indices into all
        String e = assertThrows(IllegalStateException.class, () -> ChannelSurgery.inGroupColumns("gc", new int[] {0, 3}, 2, 2)).getMessage();
        assertTrue(e.contains("grouped conv gc would keep different channels in its 2 groups"), e);
    }

    /**
     * c1 (8) -> ReLU -> gc (2 groups) added back to c1's ReLU -> gc4 (4 groups): the residual sum ties gc's outputs to
     * its inputs, and gc4's ties across its 4 blocks of 2 join gc's across 2 blocks of 4, so c1, gc and gc4's input share
     * two units of 4 channels each ({0, 2, 4, 6} and {1, 3, 5, 7}).
     */
    @Test
    void groupedConvTiesPropagateThroughSharedProducers() {
        GraphBuilder b = new GraphBuilder("gcres", Shape.of(2, 6, 6), be, 10);
        String x = b.relu("r1", b.conv("c1", Graph.INPUT, 8, 3, 1, 1, true));
        String sum = b.relu("ra", b.addNodes("add", x, b.batchNorm("bn", b.conv("gc", x, 8, 3, new Conv2dSpec(1, 1, 1, 1, 1, 1, 1, 1, 2), false))));
        String y = b.relu("r4", b.conv("gc4", sum, 8, 1, new Conv2dSpec(1, 1, 0, 0, 0, 0, 1, 1, 4), true));
        Graph graph = b.build(b.linear("fc", b.flatten("fl", b.globalAvgPool("gap", b.conv("c2", y, 3, 1, 1, 0, true))), 2));
        PruneFixtures.randomizeBatchNorms(graph, be, 5);
        ChannelGroups groups = ChannelDependencies.analyze(graph);
        ChannelGroup grp = groups.producedBy("c1"), out4 = groups.producedBy("gc4");
        assertEquals(List.of("c1", "gc"), grp.producers(), String.join("\n", groups.lines()));
        assertEquals(List.of("gc", "gc4"), grp.convReaders());
        assertEquals(2, grp.channels());
        assertArrayEquals(new int[] {1, 3, 5, 7}, grp.channelsOf("add", 1));
        assertEquals(2, out4.channels(), "gc4's 4 blocks of 2 outputs");
        Map<Integer, int[]> keep = Map.of(grp.id(), new int[] {1}, out4.id(), new int[] {0});
        Graph pruned = ChannelSurgery.apply(graph, groups, keep);
        assertEquals(Shape.of(4, 2, 3, 3), pruned.param("gc.weight").value().shape());
        assertEquals(Shape.of(4, 1, 1, 1), pruned.param("gc4.weight").value().shape(), "one input and one output left per group");
        assertEquals(4, Conv2dOp.spec(pruned.node("gc4")).groups());
        assertExact(graph, groups, keep, "grouped convs through a residual sum");
    }

    /** The conv-family model (depthwise x2 with asymmetric padding, a strided dilated 2-group conv) pruned end to end. */
    @Test
    void convFamilyModelPrunedThroughBothGroupedConvsEqualsItsMaskedOriginal() {
        Graph g = dev.nncompress.models.ConvFamilyModels.mixed(be, 3);
        PruneFixtures.randomizeBatchNorms(g, be, 6);
        ChannelGroups groups = ChannelDependencies.analyze(g);
        StructuredPruneResult r = StructuredPruner.prune(g, 0.5, FilterCriterion.l1());
        Map<Integer, int[]> keep = new java.util.HashMap<>();
        for (StructuredPruneReport.GroupOutcome o : r.report().groups()) if (o.note() == null) keep.put(o.group().id(), o.kept());
        assertEquals(3, keep.size(), "stem + dw, gc and pw are pruned: " + String.join("\n", groups.lines()));
        MaskedReference.assertPrunedEqualsMasked(g, r.pruned(), be, groups, keep, PruneFixtures.randomImages(g, 3, 22), 1e-5, "conv family");
    }
}

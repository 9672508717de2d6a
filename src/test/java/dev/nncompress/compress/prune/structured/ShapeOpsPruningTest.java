package dev.nncompress.compress.prune.structured;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphPredictor;
import dev.nncompress.graph.OpType;
import dev.nncompress.graph.Parameter;
import dev.nncompress.models.GraphBuilder;
import dev.nncompress.tensor.Shape;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Structured pruning across the shapes family: pools with any window options, a reshape that keeps the
 * channels as its inferred dim0 and a mean over the dims after them carry a channel group on (and the
 * pruned graph computes what the original computes with those filters zeroed); a concat places each branch's
 * group at its offset; a reshape that changes the channel dim fixes the group it reads, naming the node.
 */
class ShapeOpsPruningTest {
    private final Backend ref = new ReferenceBackend();

    private static final Map<String, Double> CEIL_POOL = Map.of("kernel_h", 3.0, "kernel_w", 3.0, "stride_h", 2.0, "stride_w", 2.0,
            "pad_h", 0.0, "pad_w", 0.0, "ceil_mode", 1.0);
    private static final Map<String, Double> COUNTED_POOL = Map.of("kernel_h", 2.0, "kernel_w", 2.0, "stride_h", 1.0, "stride_w", 1.0,
            "pad_h", 1.0, "pad_w", 0.0, "pad_bottom", 0.0, "pad_right", 1.0, "count_include_pad", 1.0);

    /** c1 -> ceil pool -> counted pool -> reshape [-1, HW] -> mean over HW -> reshape [-1, 1, 1] -> 1x1 conv c2 -> gap -> fc. */
    private Graph passThrough() {
        GraphBuilder b = new GraphBuilder("pass", Shape.of(2, 9, 9), ref, 3);
        String x = b.relu("r1", b.conv("c1", Graph.INPUT, 6, 3, 1, 1, true));
        x = b.op("mp", OpType.MAXPOOL2D, List.of(x), CEIL_POOL); // [6, 4, 4]: 9 - 3 = 6 -> ceil 3 + 1
        x = b.op("ap", OpType.AVGPOOL2D, List.of(x), COUNTED_POOL);
        x = b.op("flat2", OpType.RESHAPE, List.of(x), Map.of("dim0", -1.0, "dim1", 16.0)); // [6, 16]
        x = b.op("mean", OpType.REDUCE_MEAN, List.of(x), Map.of("axis", 1.0, "count", 1.0, "keepdims", 0.0)); // [6]
        x = b.op("unflat", OpType.RESHAPE, List.of(x), Map.of("dim0", -1.0, "dim1", 1.0, "dim2", 1.0)); // [6, 1, 1]
        x = b.relu("r2", b.conv("c2", x, 5, 1, 1, 0, true));
        return b.build(b.linear("fc", b.flatten("fl", b.globalAvgPool("gap", x)), 3));
    }

    @Test
    void channelPreservingPoolsReshapesAndMeansCarryTheGroupAndSurgeryIsExact() {
        Graph g = passThrough();
        ChannelGroups groups = ChannelDependencies.analyze(g);
        ChannelGroup c1 = groups.producedBy("c1");
        assertTrue(c1.prunable(), c1.fixedReason());
        assertEquals(List.of("c1", "r1", "mp", "ap", "flat2", "mean", "unflat"), c1.values());
        assertEquals(List.of("c2"), c1.convReaders());
        int[] keep = {0, 2, 3, 5};
        Graph pruned = ChannelSurgery.apply(g, groups, Map.of(c1.id(), keep));
        assertEquals(Shape.of(4, 1, 1), pruned.inferShapes().get("unflat"), "the inferred dim0 follows the pruned channels");
        // the original with filters 1 and 4 of c1 zeroed computes the same: their channels are 0 through every op to c2
        for (String p : List.of("c1.weight", "c1.bias")) zeroChannels(g.param(p), new int[] {1, 4});
        float[] x = new float[5 * 2 * 9 * 9];
        SplittableRandom rng = new SplittableRandom(1);
        for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextGaussian();
        try (GraphPredictor a = new GraphPredictor(g, ref); GraphPredictor b = new GraphPredictor(pruned, ref)) {
            float[] want = a.logits(x, 5), got = b.logits(x, 5);
            for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], 1e-5, "logit " + i);
        }
    }

    private void zeroChannels(Parameter p, int[] channels) {
        float[] v = p.value().toFloatArray();
        int per = v.length / p.value().shape().dim(0);
        for (int c : channels) java.util.Arrays.fill(v, c * per, (c + 1) * per, 0f);
        p.setValue(ref.fromFloats(v, p.value().shape()));
    }

    @Test
    void concatBranchesKeepTheirOffsetsAndChannelChangingReshapesFixTheGroupsTheyRead() {
        GraphBuilder b = new GraphBuilder("fire", Shape.of(2, 8, 8), ref, 4);
        String s = b.relu("r0", b.conv("squeeze", Graph.INPUT, 4, 1, 1, 0, true));
        String e1 = b.conv("e1", s, 3, 1, 1, 0, true), e3 = b.conv("e3", s, 5, 3, 1, 1, true);
        String cat = b.op("cat", OpType.CONCAT, List.of(e1, e3), Map.of("axis", 0.0));
        String c2 = b.conv("c2", cat, 6, 3, 1, 1, true);
        String split = b.op("split", OpType.RESHAPE, List.of(c2), Map.of("dim0", 12.0, "dim1", 4.0, "dim2", 8.0)); // channels halved
        Graph g = b.build(b.linear("fc", b.flatten("fl", b.conv("c3", split, 2, 1, 1, 0, true)), 3));
        ChannelGroups groups = ChannelDependencies.analyze(g);
        assertTrue(groups.producedBy("squeeze").prunable(), "squeeze's channels feed only convs");
        // each branch is its own group, holding its slice of the concat (CoupledChannelsTest checks the surgery)
        assertTrue(groups.producedBy("e1").prunable() && groups.producedBy("e3").prunable());
        assertEquals("  group 1: 3 ch, conv e1 -> cat[0..2 of 8]; read by conv c2", groups.lines().get(2));
        assertEquals("  group 2: 5 ch, conv e3 -> cat[3..7 of 8]; read by conv c2", groups.lines().get(3));
        String why = groups.producedBy("c2").fixedReason();
        assertTrue(why != null && why.contains("read by split (RESHAPE), which changes the channel dim (target dim0 12)"), why);
        assertTrue(groups.producedBy("c3").prunable(), "c3 starts its own space after the reshape");
        assertFalse(groups.producedBy("c3").values().contains("split"));
        // the fixed groups keep all their channels; pruning the others still gives a graph that runs
        Graph pruned = ChannelSurgery.apply(g, groups, Map.of(groups.producedBy("squeeze").id(), new int[] {1, 3}));
        try (GraphPredictor p = new GraphPredictor(pruned, ref)) {
            assertEquals(2 * 3, p.logits(new float[2 * 2 * 64], 2).length);
        }
        assertArrayEquals(new int[] {3, 2, 1, 1}, pruned.param("e1.weight").value().shape().dims());
    }
}

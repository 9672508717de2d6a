package dev.nncompress.compress.prune.structured;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphPredictor;
import dev.nncompress.graph.OpType;
import dev.nncompress.graph.Parameter;
import dev.nncompress.graph.PointwiseNet;
import dev.nncompress.models.GraphBuilder;
import dev.nncompress.tensor.Shape;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Structured pruning on the pointwise ops (issue 17): the activations carry channels (and hidden neurons)
 * through, so removing a channel there is exactly zeroing what its readers take from it; a constant that is
 * the same for every channel passes them on; a squeeze-excitation gate ties its conv to the trunk and a
 * per-channel constant is sliced with the channels; APoZ observes ReLU6 as a ReLU and refuses a group with no ReLU output.
 */
class PointwisePruningTest {
    private final Backend be = new ReferenceBackend();

    /** conv -> ReLU6 -> conv -> HardSwish -> conv (- 0.5) -> Sigmoid -> gap -> flatten -> linear -> LeakyRelu -> Tanh -> linear. */
    private Graph mobileLike() {
        GraphBuilder b = new GraphBuilder("m", Shape.of(2, 6, 6), be, 3);
        String x = b.activation("relu6", OpType.CLIP, b.conv("c1", Graph.INPUT, 6, 3, 1, 1, true), Map.of("min", 0.0, "max", 6.0));
        x = b.activation("hswish", OpType.HARD_SWISH, b.conv("c2", x, 5, 3, 1, 1, true), Map.of());
        x = b.arithmetic("shift", OpType.SUB, b.conv("c3", x, 4, 1, 1, 0, true), be.fromFloats(new float[] {0.5f}, Shape.of(1)), false, false);
        x = b.flatten("flat", b.globalAvgPool("gap", b.activation("sig", OpType.SIGMOID, x, Map.of())));
        x = b.activation("tanh", OpType.TANH, b.activation("lrelu", OpType.LEAKY_RELU, b.linear("fc1", x, 7), Map.of()), Map.of());
        return b.build(b.linear("fc2", x, 3));
    }

    @Test
    void activationsAndUniformConstantsCarryChannelsAndNeurons() {
        Graph g = mobileLike();
        ChannelGroups groups = ChannelDependencies.analyze(g);
        ChannelGroup g1 = groups.producedBy("c1"), g2 = groups.producedBy("c2"), g3 = groups.producedBy("c3"), hidden = groups.producedBy("fc1");
        for (ChannelGroup grp : new ChannelGroup[] {g1, g2, g3, hidden}) assertTrue(grp.prunable(), grp.describe() + ": " + grp.fixedReason());
        assertEquals(java.util.List.of("c1", "relu6"), g1.values());
        assertEquals(java.util.List.of("c3", "shift", "sig", "gap", "flat"), g3.values());
        assertTrue(hidden.neurons());
        assertEquals(java.util.List.of("fc1", "lrelu", "tanh"), hidden.values());
    }

    /**
     * Removing channels is zeroing what their readers take from them, whatever the activation does at 0
     * (sigmoid(0) = 1/2 still feeds the reader until the reader's columns go).
     */
    @Test
    void removingChannelsEqualsZeroingTheirReadersColumns() {
        Graph g = mobileLike();
        ChannelGroups groups = ChannelDependencies.analyze(g);
        int[] keep1 = {0, 2, 3, 5}, keep3 = {1, 3}, keepHidden = {0, 1, 4, 6};
        Map<Integer, int[]> keep = Map.of(groups.producedBy("c1").id(), keep1, groups.producedBy("c3").id(), keep3,
                groups.producedBy("fc1").id(), keepHidden);
        Graph pruned = ChannelSurgery.apply(g, groups, keep);
        Map<String, Parameter> zeroed = new LinkedHashMap<>(g.params());
        zeroed.put("c2.weight", zeroColumns(g.param("c2.weight"), keep1, 1));   // reads c1's channels
        zeroed.put("fc1.weight", zeroColumns(g.param("fc1.weight"), keep3, 1)); // reads c3's (1 feature each after the pool)
        zeroed.put("fc2.weight", zeroColumns(g.param("fc2.weight"), keepHidden, 1));
        Graph reference = new Graph("z", g.inputShape(), g.nodes(), g.output(), zeroed);
        float[] x = new float[3 * 2 * 6 * 6];
        SplittableRandom rng = new SplittableRandom(5);
        for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextGaussian();
        try (GraphPredictor a = new GraphPredictor(pruned, be); GraphPredictor r = new GraphPredictor(reference, be)) {
            assertArrayEquals(r.logits(x, 3), a.logits(x, 3), 1e-5f);
        }
        assertEquals(Shape.of(5, 4, 3, 3), pruned.param("c2.weight").value().shape());
    }

    /** Zeros the entries of dim 1 (input channels or features) not in {@code keep}, of a copy. */
    private Parameter zeroColumns(Parameter p, int[] keep, int perChannel) {
        Shape s = p.value().shape();
        float[] v = p.value().toFloatArray();
        int cols = s.dim(1), inner = v.length / s.dim(0) / cols;
        boolean[] kept = new boolean[cols];
        for (int k : keep) for (int f = 0; f < perChannel; f++) kept[k * perChannel + f] = true;
        for (int o = 0; o < s.dim(0); o++) for (int c = 0; c < cols; c++) if (!kept[c]) java.util.Arrays.fill(v, (o * cols + c) * inner, (o * cols + c + 1) * inner, 0f);
        return new Parameter(p.name(), be.fromFloats(v, s), p.trainable());
    }

    @Test
    void squeezeExcitationTiesTheGateToTheTrunkAndPerChannelConstantsAreSliced() {
        GraphBuilder b = new GraphBuilder("se", Shape.of(2, 5, 5), be, 4);
        String x = b.relu("r", b.conv("c1", Graph.INPUT, 6, 3, 1, 1, true));
        String gate = b.activation("gate", OpType.SIGMOID, b.conv("fc2", b.relu("fr", b.conv("fc1", b.globalAvgPool("gap", x), 3, 1, 1, 0, true)),
                6, 1, 1, 0, true), Map.of());
        String se = b.arithmetic("se", OpType.MUL, x, gate);
        String y = b.conv("c2", se, 4, 3, 1, 1, true);
        y = b.arithmetic("norm", OpType.DIV, y, be.fromFloats(new float[] {1, 2, 3, 4}, Shape.of(4, 1, 1)), false, false);
        Graph g = b.build(b.linear("fc", b.flatten("flat", b.relu("r2", y)), 2));
        ChannelGroups groups = ChannelDependencies.analyze(g);
        // the gate [6, 1, 1] scales the trunk [6, 5, 5] channel by channel: c1's channel c and fc2's filter c go together
        ChannelGroup c1 = groups.producedBy("c1"), c2 = groups.producedBy("c2"), fc1 = groups.producedBy("fc1");
        assertEquals(java.util.List.of("c1", "fc2"), c1.producers());
        assertEquals(java.util.List.of("c1", "r", "gap", "fc2", "gate", "se"), c1.values());
        assertEquals(java.util.List.of("fc1", "c2"), c1.convReaders());
        for (ChannelGroup grp : new ChannelGroup[] {c1, c2, fc1}) assertTrue(grp.prunable(), grp.describe());
        Map<Integer, int[]> keep = Map.of(c1.id(), new int[] {0, 2, 3, 5}, c2.id(), new int[] {1, 3}, fc1.id(), new int[] {0, 2});
        Graph pruned = ChannelSurgery.apply(g, groups, keep);
        assertArrayEquals(new float[] {2, 4}, pruned.param("norm.constant").value().toFloatArray(), "the per-channel divisor keeps c2's channels");
        assertEquals(Shape.of(2, 1, 1), pruned.param("norm.constant").value().shape());
        assertEquals(Shape.of(4, 2, 1, 1), pruned.param("fc2.weight").value().shape(), "the gate's conv keeps the trunk's 4 channels, reads 2");
        float[] images = PruneFixtures.randomImages(g, 3, 8);
        MaskedReference.assertPrunedEqualsMasked(g, pruned, be, groups, keep, images, 1e-5, "squeeze-excitation");
    }

    @Test
    void apozObservesRelu6AndRefusesAGroupWithoutAReluOutput() {
        Graph g = mobileLike();
        ChannelGroups groups = ChannelDependencies.analyze(g);
        float[] images = new float[4 * 2 * 6 * 6];
        SplittableRandom rng = new SplittableRandom(6);
        for (int i = 0; i < images.length; i++) images[i] = (float) rng.nextGaussian();
        ActivationCriterion apoz = new ActivationCriterion(ActivationCriterion.Statistic.APOZ, be, images, 2);
        // c2's group ends in HardSwish, c3's in Sigmoid: neither zeroes what it cuts
        String e = assertThrows(IllegalArgumentException.class, () -> apoz.scores(g, groups)).getMessage();
        assertTrue(e.contains("has no ReLU output to observe"), e);
        GraphBuilder b = new GraphBuilder("r6", Shape.of(2, 6, 6), be, 3);
        String x = b.activation("relu6", OpType.CLIP, b.conv("c1", Graph.INPUT, 6, 3, 1, 1, true), Map.of("min", 0.0, "max", 6.0));
        Graph r6 = b.build(b.linear("fc", b.flatten("flat", b.relu("r2", b.conv("c2", x, 2, 3, 1, 1, true))), 3));
        ChannelGroups rg = ChannelDependencies.analyze(r6);
        double[] s = apoz.scores(r6, rg)[rg.producedBy("c1").id()];
        assertEquals(6, s.length);
        for (double v : s) assertTrue(v > 0 && v < 1, "a fraction of non-zeros after ReLU6: " + v);
    }
}

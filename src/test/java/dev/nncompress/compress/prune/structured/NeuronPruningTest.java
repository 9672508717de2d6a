package dev.nncompress.compress.prune.structured;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphRunner;
import dev.nncompress.graph.Parameter;
import dev.nncompress.models.GraphBuilder;
import dev.nncompress.models.Models;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import dev.nncompress.train.EpochStats;
import dev.nncompress.train.LrSchedule;
import dev.nncompress.train.OptimizerConfig;
import dev.nncompress.train.TrainConfig;
import dev.nncompress.train.TrainListener;
import dev.nncompress.train.Trainer;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.nncompress.compress.prune.structured.PruneFixtures.infer;
import static dev.nncompress.compress.prune.structured.PruneFixtures.maskDropped;
import static dev.nncompress.compress.prune.structured.PruneFixtures.randomImages;
import static dev.nncompress.compress.prune.structured.PruneFixtures.randomKeep;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hidden-neuron pruning of Linear layers against the masking reference: the original graph with the dropped
 * neurons' (and channels') weight rows and biases zeroed. A zeroed neuron outputs exactly 0 after ReLU, and the
 * reference backend accumulates every dot product in order, so adding its 0 * w terms changes nothing: the
 * pruned graph must give bit-identical outputs, which fails on any misaligned row or column.
 */
class NeuronPruningTest {
    private final Backend backend = new ReferenceBackend();

    /** flatten -> fc1 -> relu -> dropout -> fc2 -> relu -> fc3: two neuron groups, dropout carries neurons through. */
    private Graph mlp(long seed) {
        GraphBuilder b = new GraphBuilder("mlp", Shape.of(1, 4, 4), backend, seed);
        String x = b.dropout("drop", b.relu("r1", b.linear("fc1", b.flatten("flat", Graph.INPUT), 12)), 0.5);
        x = b.relu("r2", b.linear("fc2", x, 9));
        return b.build(b.linear("fc3", x, 5));
    }

    @Test
    void mlpHeadSurgeryEqualsMaskedReference() {
        Graph g = mlp(3);
        ChannelGroups groups = ChannelDependencies.analyze(g);
        assertEquals(List.of(List.of("fc1"), List.of("fc2")), groups.prunable().stream().map(ChannelGroup::producers).toList());
        assertEquals(List.of("fc1", "r1", "drop"), groups.producedBy("fc1").values());
        Map<Integer, int[]> keep = randomKeep(groups, 5);
        Graph pruned = ChannelSurgery.apply(g, groups, keep);
        assertEquals(Shape.of(6, 16), pruned.param("fc1.weight").value().shape());
        assertEquals(Shape.of(4, 6), pruned.param("fc2.weight").value().shape());
        assertEquals(Shape.of(5, 4), pruned.param("fc3.weight").value().shape());
        assertEquals(4, pruned.param("fc2.bias").value().numel());
        assertMatchesMaskedReference(g, groups, keep, pruned, 8);
    }

    /** Every prunable group of the built-in student and teacher at once: conv channels, flatten into fc1, fc1's neurons. */
    @Test
    void studentAndTeacherSurgeryEqualsMaskedReference() {
        for (Graph g : new Graph[] {Models.student(backend, 4), Models.teacher(backend, 4)}) {
            ChannelGroups groups = ChannelDependencies.analyze(g);
            assertEquals(g.name().equals("student") ? 3 : 4, groups.prunable().size(), String.join("\n", groups.lines())); // convs + fc1
            Map<Integer, int[]> keep = randomKeep(groups, 9);
            Graph pruned = ChannelSurgery.apply(g, groups, keep);
            int[] hidden = keep.get(groups.producedBy("fc1").id());
            int lastConvKept = keep.get(groups.producedBy(g.name().equals("student") ? "conv2" : "conv3").id()).length;
            assertEquals(Shape.of(hidden.length, lastConvKept * 49), pruned.param("fc1.weight").value().shape(), g.name());
            assertEquals(Shape.of(10, hidden.length), pruned.param("fc2.weight").value().shape(), g.name());
            assertMatchesMaskedReference(g, groups, keep, pruned, 3);
        }
    }

    private void assertMatchesMaskedReference(Graph g, ChannelGroups groups, Map<Integer, int[]> keep, Graph pruned, int images) {
        float[] x = randomImages(g, images, 17);
        float[] actual = infer(pruned, backend, x);
        float[] dense = infer(g, backend, x);
        maskDropped(g, backend, groups, keep);
        float[] expected = infer(g, backend, x);
        assertArrayEquals(expected, actual, 0f, g.name() + ": pruned vs masked");
        assertFalse(java.util.Arrays.equals(dense, expected), g.name() + ": masking must change the outputs, or the test proves nothing");
    }

    /**
     * Backward through the pruned student gives the masked graph's gradients at the kept rows and columns (the
     * masked gradients sliced by the same surgery; loss 0.5 * sum(logits^2), so the logit gradient is the logits),
     * and full-batch SGD steps on 32 easy images (a bright band whose position is the label) lower the loss at every step.
     */
    @Test
    void prunedStudentHasTheMaskedGradientsAndTrains() {
        Graph g = Models.student(backend, 6);
        ChannelGroups groups = ChannelDependencies.analyze(g);
        Map<Integer, int[]> keep = randomKeep(groups, 2);
        Graph pruned = ChannelSurgery.apply(g, groups, keep);
        maskDropped(g, backend, groups, keep);
        float[] x = randomImages(g, 4, 8);
        backward(pruned, x);
        backward(g, x);
        Map<String, Parameter> grads = new LinkedHashMap<>();
        for (Parameter p : g.params().values()) grads.put(p.name(), new Parameter(p.name(), p.grad(), true));
        Graph slicedGrads = ChannelSurgery.apply(new Graph(g.name(), g.inputShape(), g.nodes(), g.output(), grads), groups, keep);
        for (Parameter p : pruned.params().values()) {
            assertArrayEquals(slicedGrads.param(p.name()).value().toFloatArray(), p.grad().toFloatArray(), 0f, p.name());
            assertTrue(java.util.Arrays.stream(box(p.grad().toFloatArray())).anyMatch(v -> v != 0f), p.name() + " has a gradient");
        }

        int n = 32;
        int[] labels = new int[n];
        float[] images = randomImages(pruned, n, 4);
        for (int i = 0; i < n; i++) {
            labels[i] = i % 10;
            for (int j = 0; j < 78; j++) images[i * 784 + labels[i] * 78 + j] += 3f;
        }
        Dataset data = new Dataset(images, labels, 1, 28, 28, 10);
        for (Parameter p : pruned.params().values()) p.clearGrad();
        // full-batch steps: each epoch's loss is measured at the weights the previous step left, so it must fall step by step
        List<EpochStats> h = new Trainer(backend, new TrainConfig(6, n, new OptimizerConfig.Sgd(0.05f, 0f, 0f, false),
                new LrSchedule.Constant(), 1)).fit(pruned, data, null, TrainListener.NONE);
        for (int e = 1; e < h.size(); e++) {
            assertTrue(h.get(e).trainLoss() < h.get(e - 1).trainLoss(), "loss went up at step " + e + ": " + h);
        }
        assertEquals(Shape.of(keep.get(2).length, keep.get(1).length * 49), pruned.param("fc1.weight").value().shape());
    }

    private void backward(Graph g, float[] images) {
        try (Tensor x = backend.fromFloats(images, Shape.of(images.length / 784, 1, 28, 28));
             GraphRunner run = new GraphRunner(g, backend, true, 0)) {
            Tensor logits = run.forward(x);
            try (Tensor grad = backend.fromFloats(logits.toFloatArray(), logits.shape())) {
                run.backward(grad);
            }
        }
    }

    private static Float[] box(float[] v) {
        Float[] out = new Float[v.length];
        for (int i = 0; i < v.length; i++) out[i] = v[i];
        return out;
    }

    @Test
    void classifierResidualAddsAndFlattenLeaveLinearsWhole() {
        ChannelGroups lenet = ChannelDependencies.analyze(Models.lenet5(backend, 0));
        assertTrue(lenet.producedBy("fc1").prunable() && lenet.producedBy("fc2").prunable());
        assertTrue(lenet.producedBy("fc3").fixedReason().contains("reaches the graph output fc3"), lenet.producedBy("fc3").fixedReason());

        GraphBuilder b = new GraphBuilder("resmlp", Shape.of(1, 4, 4), backend, 1);
        String flat = b.flatten("flat", Graph.INPUT);
        String h = b.relu("r1", b.linear("fc1", flat, 16));
        String sum = b.addNodes("add", b.linear("fcA", h, 8), b.relu("rB", b.linear("fcB", h, 8)));
        String f = b.flatten("again", b.linear("fcC", sum, 6));
        ChannelGroups groups = ChannelDependencies.analyze(b.build(b.linear("out", f, 3)));
        assertTrue(groups.producedBy("fc1").prunable(), "fc1 feeds only linears through a ReLU");
        for (String tied : new String[] {"fcA", "fcB"}) {
            String why = groups.producedBy(tied).fixedReason();
            assertTrue(why != null && why.contains("read by add (ADD)"), tied + ": " + why);
        }
        String why = groups.producedBy("fcC").fixedReason();
        assertTrue(why != null && why.contains("read by again (FLATTEN)"), why);
        assertFalse(groups.producedBy("out").prunable());
    }

    @Test
    void linearSparsityOverridesSparsityForNeuronsOnly() {
        Graph g = Models.student(backend, 1);
        Graph p = StructuredPruner.prune(g, StructuredPruneConfig.of(0.5).withLinearSparsity(0.75), FilterCriterion.l1()).pruned();
        assertEquals(16, p.param("fc1.weight").value().shape().dim(0));
        assertEquals(4, p.param("conv1.weight").value().shape().dim(0));
        Graph layer = StructuredPruner.prune(g, StructuredPruneConfig.of(0.5).withLinearSparsity(0.75)
                .withLayerSparsity(Map.of("fc1", 0.25)), FilterCriterion.l1()).pruned();
        assertEquals(48, layer.param("fc1.weight").value().shape().dim(0)); // a named layer wins over both
        Graph excluded = StructuredPruner.prune(g, StructuredPruneConfig.of(0.5).withExclude(java.util.Set.of("fc1")), FilterCriterion.l1()).pruned();
        assertEquals(64, excluded.param("fc1.weight").value().shape().dim(0));
    }
}

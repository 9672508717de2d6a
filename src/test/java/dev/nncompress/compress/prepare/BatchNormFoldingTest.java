package dev.nncompress.compress.prepare;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.OpType;
import dev.nncompress.graph.Parameter;
import dev.nncompress.models.GraphBuilder;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.nncompress.compress.prepare.PrepareFixtures.assertCloseRelative;
import static dev.nncompress.compress.prepare.PrepareFixtures.assertParamsEqual;
import static dev.nncompress.compress.prepare.PrepareFixtures.infer;
import static dev.nncompress.compress.prepare.PrepareFixtures.randomInput;
import static dev.nncompress.compress.prepare.PrepareFixtures.randomizeBatchNorms;
import static dev.nncompress.compress.prepare.PrepareFixtures.snapshot;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BatchNormFoldingTest {
    private final Backend backend = new ReferenceBackend();

    /**
     * A 1x1 conv with two output channels and a BN with eps = 1, values chosen so that every step is
     * exact in float: s = gamma / sqrt(var + eps) = [3/2, 1/1], W' = W * s = [3, -1],
     * b' = (b - mean) * s + beta = [(0-1)*1.5+0.5, (0-2)*1+0] = [-1, -2] without a conv bias and
     * [(1-1)*1.5+0.5, (4-2)*1+0] = [0.5, 2] with bias [1, 4].
     */
    @Test
    void foldedWeightAndBiasMatchTheFormulaWorkedByHand() {
        PassResult noBias = BatchNormFolding.apply(handGraph(null));
        assertArrayEquals(new float[] {3, -1}, noBias.graph().param("c.weight").value().toFloatArray());
        assertArrayEquals(new float[] {-1, -2}, noBias.graph().param("c.bias").value().toFloatArray());
        assertTrue(noBias.graph().param("c.bias").trainable());
        assertEquals(List.of("c.weight", "c.bias"), List.copyOf(noBias.graph().params().keySet()));
        assertEquals(List.of(new Merge("c", "bn")), noBias.merged());
        assertEquals("c", noBias.graph().output()); // the BN was the output; its producer takes over

        PassResult withBias = BatchNormFolding.apply(handGraph(new float[] {1, 4}));
        assertArrayEquals(new float[] {3, -1}, withBias.graph().param("c.weight").value().toFloatArray());
        assertArrayEquals(new float[] {0.5f, 2}, withBias.graph().param("c.bias").value().toFloatArray());
    }

    private Graph handGraph(float[] convBias) {
        Map<String, Parameter> params = new LinkedHashMap<>();
        put(params, "c.weight", new float[] {2, -1}, Shape.of(2, 1, 1, 1), true);
        if (convBias != null) put(params, "c.bias", convBias, Shape.of(2), true);
        put(params, "bn.weight", new float[] {3, 1}, Shape.of(2), true);
        put(params, "bn.bias", new float[] {0.5f, 0}, Shape.of(2), true);
        put(params, "bn.running_mean", new float[] {1, 2}, Shape.of(2), false);
        put(params, "bn.running_var", new float[] {3, 0}, Shape.of(2), false);
        Node conv = new Node("c", OpType.CONV2D, List.of(Graph.INPUT), Map.of("stride_h", 1.0, "stride_w", 1.0, "pad_h", 0.0, "pad_w", 0.0));
        Node bn = new Node("bn", OpType.BATCHNORM2D, List.of("c"), Map.of("eps", 1.0, "momentum", 0.1));
        return new Graph("hand", Shape.of(1, 2, 2), List.of(conv, bn), "bn", params);
    }

    private void put(Map<String, Parameter> params, String name, float[] v, Shape s, boolean trainable) {
        params.put(name, new Parameter(name, backend.fromFloats(v, s), trainable));
    }

    @Test
    void convWithAnotherReaderBesidesItsBatchNormIsLeftAlone() {
        GraphBuilder b = new GraphBuilder("shared", Shape.of(2, 6, 6), backend, 1);
        String c = b.conv("c", Graph.INPUT, 3, 3, 1, 1, false);
        Graph g = b.build(b.addNodes("add", b.batchNorm("bn", c), c));
        randomizeBatchNorms(g, backend, 2);

        PassResult r = BatchNormFolding.apply(g);
        assertTrue(r.merged().isEmpty());
        assertEquals(1, r.skipped().size());
        assertEquals("bn", r.skipped().get(0).node());
        assertTrue(r.skipped().get(0).reason().contains("other readers"), r.skipped().get(0).reason());
        assertEquals(g.nodes(), r.graph().nodes());
        assertParamsEqual(snapshot(g), r.graph());
        Tensor x = randomInput(backend, g, 2, 3);
        assertArrayEquals(infer(g, backend, x), infer(r.graph(), backend, x), 0f);
    }

    @Test
    void twoBatchNormsReadingOneConvAreBothLeftAlone() {
        GraphBuilder b = new GraphBuilder("fork", Shape.of(2, 6, 6), backend, 1);
        String c = b.conv("c", Graph.INPUT, 3, 3, 1, 1, true);
        Graph g = b.build(b.addNodes("add", b.batchNorm("bn1", c), b.batchNorm("bn2", c)));
        PassResult r = BatchNormFolding.apply(g);
        assertTrue(r.merged().isEmpty());
        assertEquals(List.of("bn1", "bn2"), r.skipped().stream().map(Skip::node).toList());
    }

    @Test
    void batchNormNotAfterAConvIsLeftAloneAndTheRestIsFolded() {
        GraphBuilder b = new GraphBuilder("mixed", Shape.of(2, 6, 6), backend, 1);
        String x = b.batchNorm("bn_in", Graph.INPUT); // reads the graph input
        x = b.relu("r", b.conv("c1", x, 4, 3, 1, 1, false));
        x = b.batchNorm("bn_relu", x); // reads a ReLU
        x = b.batchNorm("bn_c2", b.conv("c2", x, 4, 3, 2, 1, true)); // folds, into a conv that has a bias
        Graph g = b.build(b.linear("fc", b.flatten("flat", x), 3));
        randomizeBatchNorms(g, backend, 5);
        Map<String, float[]> before = snapshot(g);

        PassResult r = BatchNormFolding.apply(g);
        assertEquals(List.of(new Merge("c2", "bn_c2")), r.merged());
        assertEquals(List.of("bn_in", "bn_relu"), r.skipped().stream().map(Skip::node).toList());
        assertTrue(r.skipped().get(0).reason().contains("graph input"), r.skipped().get(0).reason());
        assertTrue(r.skipped().get(1).reason().contains("RELU"), r.skipped().get(1).reason());
        assertEquals(List.of("c2"), r.graph().node("flat").inputs());
        assertEquals(g.nodes().size() - 1, r.graph().nodes().size());

        Tensor in = randomInput(backend, g, 3, 6);
        assertCloseRelative(infer(g, backend, in), infer(r.graph(), backend, in), 1e-5, "partly folded");
        assertParamsEqual(before, g);
    }

    @Test
    void batchNormAfterAConvThatAlreadyFusedItsReluIsLeftAlone() {
        GraphBuilder b = new GraphBuilder("late", Shape.of(2, 6, 6), backend, 1);
        Graph g = b.build(b.batchNorm("bn", b.relu("r", b.conv("c", Graph.INPUT, 3, 3, 1, 1, false))));
        Graph fused = ReluFusion.apply(g).graph(); // c (relu=1) -> bn
        PassResult r = BatchNormFolding.apply(fused);
        assertTrue(r.merged().isEmpty());
        assertTrue(r.skipped().get(0).reason().contains("fused ReLU"), r.skipped().get(0).reason());
    }

    @Test
    void foldedGraphOwnsFreshParametersSoTheSourceNeverChanges() {
        GraphBuilder b = new GraphBuilder("own", Shape.of(2, 6, 6), backend, 1);
        Graph g = b.build(b.relu("r", b.batchNorm("bn", b.conv("c", Graph.INPUT, 3, 3, 1, 1, true))));
        Graph f = BatchNormFolding.apply(g).graph();
        for (Parameter p : f.params().values()) {
            Parameter q = g.params().get(p.name());
            if (q != null) assertTrue(q != p && q.value() != p.value(), p.name() + " is shared");
        }
        Map<String, float[]> before = snapshot(g);
        f.param("c.weight").setValue(backend.zeros(f.param("c.weight").value().shape()));
        assertParamsEqual(before, g);
    }
}

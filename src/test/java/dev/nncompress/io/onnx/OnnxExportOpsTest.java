package dev.nncompress.io.onnx;

import ai.onnxruntime.OrtException;
import dev.nncompress.backend.Backend;
import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.cpu.CpuBackend;
import dev.nncompress.compress.prepare.GraphPreparation;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.OpType;
import dev.nncompress.graph.PointwiseNet;
import dev.nncompress.io.onnx.proto.OnnxProto.ModelProto;
import dev.nncompress.io.onnx.proto.OnnxProto.NodeProto;
import dev.nncompress.io.onnx.proto.OnnxProto.TensorProto;
import dev.nncompress.models.GraphBuilder;
import dev.nncompress.models.Models;
import dev.nncompress.tensor.Shape;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The export of each op form on Java-built graphs, run by ONNX Runtime beside our CPU backend (1e-4 relative):
 * the general conv (groups, dilation, asymmetric pads), fused ReLU, ceil-mode and count_include_pad pools,
 * concat, mean over a dim (attribute and input forms of ReduceMean), reshape, dropout (left out), Clip with one
 * bound, the pointwise net; and what is refused: HardSwish below opset 14, the clipped-divisor AveragePool below 19.
 */
class OnnxExportOpsTest {
    private static Backend cpu;

    @BeforeAll
    static void backend() { cpu = new CpuBackend(); }

    @AfterAll
    static void close() { cpu.close(); }

    /** Input [3, 11, 10]: every op family whose attributes the export translates, in one network. */
    static Graph shapesNet(Backend be) {
        GraphBuilder b = new GraphBuilder("export_ops", Shape.of(3, 11, 10), be, 4);
        String c1 = b.relu("r1", b.batchNorm("bn1", b.conv("c1", Graph.INPUT, 6, 3, new Conv2dSpec(1, 1, 1, 0, 2, 1, 1, 1, 1), true)));
        String dw = b.conv("dw", c1, 6, 3, new Conv2dSpec(2, 1, 2, 2, 2, 2, 2, 2, 6), false); // depthwise, dilation 2
        String gc = b.conv("gc", dw, 4, 1, new Conv2dSpec(1, 1, 0, 0).withGroups(2), true);
        String cat = b.op("cat", OpType.CONCAT, List.of(gc, dw), Map.of("axis", 0.0));
        String mp = b.op("mp", OpType.MAXPOOL2D, List.of(cat), Map.of("kernel_h", 3.0, "kernel_w", 2.0, "stride_h", 2.0, "stride_w", 2.0,
                "pad_h", 1.0, "pad_w", 0.0, "pad_bottom", 0.0, "pad_right", 1.0, "ceil_mode", 1.0));
        String ap = b.op("ap", OpType.AVGPOOL2D, List.of(mp), Map.of("kernel_h", 3.0, "kernel_w", 3.0, "stride_h", 1.0, "stride_w", 1.0,
                "pad_h", 1.0, "pad_w", 0.0, "pad_bottom", 1.0, "pad_right", 1.0, "count_include_pad", 1.0));
        String clip = b.activation("clip", OpType.CLIP, ap, Map.of("min", -0.25));
        String rm = b.op("rm", OpType.REDUCE_MEAN, List.of(clip), Map.of("axis", 2.0, "count", 1.0, "keepdims", 0.0));
        String rs = b.op("rs", OpType.RESHAPE, List.of(rm), Map.of("dim0", -1.0, "dim1", 2.0));
        String drop = b.dropout("drop", b.flatten("fl", rs), 0.3);
        return b.build(b.softmax("probs", b.linear("fc", drop, 5), 1));
    }

    @ParameterizedTest
    @ValueSource(ints = {13, 17, 18, 21})
    void everyOpFormAgreesWithOnnxRuntime(int opset) throws OrtException {
        Graph g = shapesNet(cpu);
        ModelProto m = assertAgrees("shapes net", g, opset);
        List<String> ops = m.getGraph().getNodeList().stream().map(NodeProto::getOpType).toList();
        assertFalse(ops.contains("Dropout"), "dropout is the identity in inference: " + ops);
        NodeProto rm = m.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("ReduceMean")).findFirst().orElseThrow();
        assertEquals(opset >= 18 ? 2 : 1, rm.getInputCount(), "ReduceMean's axes: an input from opset 18, an attribute before");
    }

    @Test
    void preparedGraphWithFusedReluAndFoldedBatchNorm() throws OrtException {
        Graph g = GraphPreparation.forInference(Models.byName("resnet8", cpu, 2)).graph();
        assertTrue(g.nodes().stream().anyMatch(dev.nncompress.graph.ops.FusedRelu::on), "the prepared graph fuses ReLUs");
        assertAgrees("resnet8 prepared", g, OnnxExporter.DEFAULT_OPSET);
    }

    @ParameterizedTest
    @ValueSource(ints = {14, 17, 21})
    void pointwiseNet(int opset) throws OrtException {
        assertAgrees("pointwise net", PointwiseNet.build(cpu, 9), opset);
    }

    @Test
    void hardSwishBelowOpset14IsRefusedNamingNodeAndOpset() {
        OnnxExportException e = assertThrows(OnnxExportException.class, () -> OnnxExporter.export(PointwiseNet.build(cpu, 9), Map.of(), 13));
        assertEquals("node hs (HARD_SWISH) needs ONNX opset 14 or later (HardSwish); --opset 13 was asked", e.getMessage());
    }

    /** A ceil-mode average pool counting padding whose last window runs past the end padding: AveragePool-19's divisor, ours. */
    static Graph overhangingPool(Backend be) {
        GraphBuilder b = new GraphBuilder("overhang", Shape.of(2, 8, 7), be, 1);
        String ap = b.op("ap", OpType.AVGPOOL2D, List.of(b.conv("c", Graph.INPUT, 3, 1, 1, 0, true)), Map.of("kernel_h", 3.0, "kernel_w", 3.0,
                "stride_h", 2.0, "stride_w", 2.0, "pad_h", 1.0, "pad_w", 1.0, "ceil_mode", 1.0, "count_include_pad", 1.0));
        return b.build(b.linear("fc", b.flatten("fl", ap), 4));
    }

    @Test
    void clippedDivisorAveragePoolNeedsOpset19() throws OrtException {
        OnnxExportException e = assertThrows(OnnxExportException.class, () -> OnnxExporter.export(overhangingPool(cpu), Map.of(), 18));
        assertTrue(e.getMessage().startsWith("node ap (AVGPOOL2D, ceil_mode with count_include_pad") && e.getMessage().contains("opset 19")
                && e.getMessage().endsWith("--opset 18 was asked"), e.getMessage());
        assertAgrees("overhanging pool", overhangingPool(cpu), 19);
    }

    /** Kept ONNX names that collide (with each other, the input, a node's value) fall back to ours; a broken name map is ignored. */
    @Test
    void collidingNamesFallBackToOurs() throws OrtException {
        Graph g = Models.byName("lenet5", cpu, 1);
        String first = g.params().keySet().iterator().next();
        Map<String, String> names = new java.util.HashMap<>();
        for (String p : g.params().keySet()) names.put(p, "w");
        names.put(Graph.INPUT, "w");
        ModelProto m = assertAgrees("colliding names", g, OnnxExporter.DEFAULT_OPSET, names);
        List<String> inits = m.getGraph().getInitializerList().stream().map(TensorProto::getName).toList();
        assertEquals("w", m.getGraph().getInput(0).getName(), "the input claims its name first");
        assertTrue(inits.contains(first) && !inits.contains("w") && inits.size() == g.params().size(), inits.toString());
        assertEquals(Map.of(), OnnxExporter.onnxNames(Map.of(OnnxImporter.NAMES_KEY, "{not json")));
        assertEquals(Map.of("a.weight", "x"), OnnxExporter.onnxNames(Map.of(OnnxImporter.NAMES_KEY, "{\"a.weight\": \"x\", \"b.bias\": \"\"}")));
    }

    @Test
    void structureCheckFindsWhatIsWrong() {
        ModelProto good = OnnxExporter.export(Models.byName("lenet5", cpu, 1), Map.of(), OnnxExporter.DEFAULT_OPSET);
        assertEquals(List.of(), OnnxStructure.problems(good));
        ModelProto.Builder bad = good.toBuilder().clearOpsetImport();
        bad.getGraphBuilder().setNode(1, bad.getGraph().getNode(1).toBuilder().setInput(0, "nowhere"));
        TensorProto t = bad.getGraph().getInitializer(0);
        bad.getGraphBuilder().setInitializer(0, t.toBuilder().setRawData(t.getRawData().substring(4)));
        bad.getGraphBuilder().addInitializer(t);
        List<String> p = OnnxStructure.problems(bad.build());
        assertEquals(4, p.size(), p.toString());
        assertTrue(p.get(0).startsWith("0 opset imports"), p.toString());
        assertTrue(p.get(1).contains("need " + t.getRawData().size()), p.toString());
        assertTrue(p.get(2).startsWith("initializer " + t.getName() + " is defined twice"), p.toString());
        assertTrue(p.get(3).contains("reads nowhere, not defined before it"), p.toString());
        assertThrows(IllegalStateException.class, () -> OnnxStructure.check(bad.build()));
    }

    private static ModelProto assertAgrees(String what, Graph g, int opset) throws OrtException { return assertAgrees(what, g, opset, Map.of()); }

    private static ModelProto assertAgrees(String what, Graph g, int opset, Map<String, String> names) throws OrtException {
        ModelProto m = OnnxExporter.export(g, names, opset);
        assertEquals(List.of(), OnnxStructure.problems(m), what);
        int n = 3;
        float[] x = OrtRun.images(g, n, 5);
        double err = OnnxFixtures.maxRelativeError(OrtRun.ours(g, cpu, x, n), OrtRun.run(m, x, OrtRun.batchShape(g, n)));
        System.out.printf(Locale.ROOT, "%-18s opset %d: max rel error vs ONNX Runtime %.2e%n", what, opset, err);
        assertTrue(err <= 1e-4, what + " at opset " + opset + ": " + err);
        return m;
    }
}

package dev.nncompress.io.onnx;

import ai.onnxruntime.OrtException;
import dev.nncompress.backend.Backend;
import dev.nncompress.backend.cpu.CpuBackend;
import dev.nncompress.backend.cpu.Int8KernelChoice;
import dev.nncompress.compress.prepare.GraphPreparation;
import dev.nncompress.quant.QParams;
import dev.nncompress.compress.quant.calib.Calibrator;
import dev.nncompress.compress.quant.calib.QuantPreset;
import dev.nncompress.compress.quant.calib.QuantTargets;
import dev.nncompress.compress.quant.convert.Int8Converter;
import dev.nncompress.data.Dataset;
import dev.nncompress.data.FashionMnist;
import dev.nncompress.graph.Graph;
import dev.nncompress.int8.Int8Model;
import dev.nncompress.int8.Int8Runner;
import dev.nncompress.int8.QuantizedWeight;
import dev.nncompress.io.onnx.proto.OnnxProto.ModelProto;
import dev.nncompress.io.onnx.proto.OnnxProto.NodeProto;
import dev.nncompress.io.onnx.proto.OnnxProto.TensorProto;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Issue 18, {@code --target tensorrt}: a trained fixture quantised with {@link QuantPreset#TENSORRT} exports in the
 * form TensorRT takes (every zero point 0, INT8 codes, weight codes in [-127, 127], no INT32 tensor) and ONNX Runtime
 * runs that file as our int8 engine runs the model (>= 99.5% top-1, logits within 2 output steps); a model quantised
 * with the default (affine) preset is refused with one line naming the layer and the fix.
 */
class QdqTensorRtTest {
    private static final int TEST_IMAGES = 1000;
    private static Backend cpu;

    @BeforeAll
    static void backend() { cpu = new CpuBackend(); }

    @AfterAll
    static void close() { cpu.close(); }

    private static Int8Model quantised(String fixture, QuantPreset preset) {
        OnnxImporter.Imported imp = OnnxImporter.importFile(OnnxFixtures.file(fixture), cpu);
        Graph g = GraphPreparation.forInference(imp.graph()).graph();
        QuantTargets targets = QuantTargets.of(g, Set.of(), preset);
        return Int8Converter.convert(g, new Calibrator("minmax", 256, 64, null).calibrate(targets, FashionMnist.train(FashionMnist.DEFAULT_DIR, 256), cpu), Map.of());
    }

    @ParameterizedTest
    @ValueSource(strings = {"lenet_op17", "mobilenetv2_student"})
    void presetModelExportsForTensorRtAndOnnxRuntimeAgrees(String fixture) throws OrtException {
        assumeTrue(OnnxFixtures.datasetInstalled(), "Fashion-MNIST not installed");
        Int8Model m = quantised(fixture, QuantPreset.TENSORRT);
        ModelProto qdq = QdqExporter.export(m, Map.of(), OnnxExporter.DEFAULT_OPSET, ExportTarget.TENSORRT);
        assertEquals(List.of(), OnnxStructure.problems(qdq));
        assertTensorRtForm(qdq);

        Dataset test = FashionMnist.test(FashionMnist.DEFAULT_DIR, TEST_IMAGES);
        float[] ours;
        try (Int8Runner r = new Int8Runner(m, Int8KernelChoice.choose("auto", 2).kernels(), cpu)) {
            ours = r.logits(test.images(), test.count());
        }
        Graph g = m.floatGraph(cpu);
        float[][] theirs;
        try {
            theirs = OrtRun.run(qdq, test.images(), OrtRun.batchShape(g, test.count()));
        } finally {
            g.params().values().forEach(p -> p.value().close());
        }
        int k = theirs[0].length, agree = 0;
        double maxDiff = 0;
        for (int i = 0; i < test.count(); i++) {
            if (argmax(ours, i * k, k) == argmax(theirs[i], 0, k)) agree++;
            for (int j = 0; j < k; j++) maxDiff = Math.max(maxDiff, Math.abs(ours[i * k + j] - theirs[i][j]));
        }
        QParams out = m.activations().get(m.output());
        System.out.printf(Locale.ROOT, "%-20s tensorrt QDQ: top-1 agreement with our int8 engine %d/%d, max logit difference %.4f (%.2f output steps)%n",
                fixture, agree, test.count(), maxDiff, maxDiff / out.scale(0));
        assertTrue(agree >= 0.995 * test.count(), fixture + ": top-1 agreement " + agree + "/" + test.count());
        assertTrue(maxDiff <= 2 * out.scale(0) * 1.0001, fixture + ": max logit difference " + maxDiff + " > 2 steps of " + out.scale(0));
    }

    /** TensorRT's explicit quantisation: zero points 0, INT8 only (no INT32 bias), weight codes in [-127, 127]. */
    static void assertTensorRtForm(ModelProto qdq) {
        Map<String, TensorProto> inits = new HashMap<>();
        for (TensorProto t : qdq.getGraph().getInitializerList()) inits.put(t.getName(), t);
        int weights = 0, activations = 0;
        for (NodeProto n : qdq.getGraph().getNodeList()) {
            if (!n.getOpType().equals("QuantizeLinear") && !n.getOpType().equals("DequantizeLinear")) continue;
            TensorProto zero = inits.get(n.getInput(2));
            assertEquals(DataTypes.INT8, zero.getDataType(), n.getName() + ": zero point type");
            for (byte z : zero.getRawData().toByteArray()) assertEquals(0, z, n.getName() + ": zero point");
            TensorProto codes = inits.get(n.getInput(0));
            if (codes == null) { // an activation's pair
                activations++;
                continue;
            }
            assertEquals(DataTypes.INT8, codes.getDataType(), n.getName() + ": dequantised from INT8 only");
            for (byte c : codes.getRawData().toByteArray()) assertTrue(c >= -127, n.getName() + ": weight code " + c + " outside [-127, 127]");
            weights++;
        }
        assertTrue(weights > 0 && activations > 0, "weights " + weights + ", activation Q/DQ " + activations);
        for (TensorProto t : inits.values()) assertFalse(t.getDataType() == DataTypes.INT32, t.getName() + " is INT32");
    }

    @Test
    void anAffineModelIsRefusedNamingTheLayerAndTheFix() {
        assumeTrue(OnnxFixtures.datasetInstalled(), "Fashion-MNIST not installed");
        Int8Model m = quantised("lenet_op17", QuantPreset.DEFAULT);
        OnnxExportException e = assertThrows(OnnxExportException.class, () -> QdqExporter.export(m, Map.of(), OnnxExporter.DEFAULT_OPSET, ExportTarget.TENSORRT));
        assertTrue(e.getMessage().startsWith("--target tensorrt needs symmetric activations (zero point 0), but ") && !e.getMessage().contains("\n")
                && e.getMessage().endsWith("re-quantize the float model with 'nncompress quantize --preset tensorrt'"), e.getMessage());
        assertTrue(e.getMessage().contains(" is quantised with zero point "), e.getMessage());
        QdqExporter.export(m, Map.of(), OnnxExporter.DEFAULT_OPSET); // the default target takes it
    }

    /** Symmetric activations but one weight code of -128 (the default weight scale max|w| / 127.5 gives it): refused by layer. */
    @Test
    void aWeightCodeOfMinus128IsRefusedNamingTheLayer() {
        assumeTrue(OnnxFixtures.datasetInstalled(), "Fashion-MNIST not installed");
        Int8Model m = quantised("lenet_op17", QuantPreset.TENSORRT);
        Map<String, QuantizedWeight> weights = new LinkedHashMap<>(m.weights());
        String layer = weights.keySet().stream().skip(1).findFirst().orElseThrow();
        QuantizedWeight w = weights.get(layer);
        byte[] codes = w.codes().clone();
        codes[codes.length / 2] = -128;
        weights.put(layer, new QuantizedWeight(codes, w.shape(), w.scales()));
        Int8Model bad = new Int8Model(m.name(), m.inputShape(), m.nodes(), m.output(), weights, m.floats(), m.activations(), m.info());
        OnnxExportException e = assertThrows(OnnxExportException.class, () -> QdqExporter.export(bad, Map.of(), OnnxExporter.DEFAULT_OPSET, ExportTarget.TENSORRT));
        assertEquals("--target tensorrt needs int8 weights in [-127, 127], but layer " + layer + " has weight code -128;"
                + " re-quantize the float model with 'nncompress quantize --preset tensorrt'", e.getMessage());
    }

    private static int argmax(float[] v, int from, int k) {
        int best = 0;
        for (int j = 1; j < k; j++) if (v[from + j] > v[from + best]) best = j;
        return best;
    }
}

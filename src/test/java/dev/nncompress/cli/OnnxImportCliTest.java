package dev.nncompress.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphPredictor;
import dev.nncompress.io.ModelIO;
import dev.nncompress.io.onnx.OnnxFixtures;
import dev.nncompress.io.onnx.OnnxImporter;
import dev.nncompress.io.onnx.proto.OnnxProto.ModelProto;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.nncompress.cli.MainTest.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@code nncompress import}, and ONNX files given where a MODEL goes (eval, info, prune, quantize), in-process. */
class OnnxImportCliTest {
    @TempDir Path tmp;

    private static String lenet() { return OnnxFixtures.file("lenet_op17").toString(); }

    @Test
    void importWritesAModelWhoseInfoSpeaksTheOnnxNames() {
        Path out = tmp.resolve("lenet.safetensors");
        MainTest.Run r = run("import", lenet(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("pytorch 2.13.0, IR version 8, opset 17, 17 ONNX nodes"), r.out());
        assertTrue(r.out().contains("graph     lenet_op17: 10 nodes (conv2d x2, flatten, linear x2, maxpool2d x2, relu x3), input [1, 28, 28], output fc2"), r.out());
        assertTrue(r.out().contains("params    28,886 trainable in 8 tensors"), r.out());
        assertTrue(r.out().contains("folded    Concat, Constant x3, Gather, Reshape (as flatten), Shape, Unsqueeze"), r.out());
        assertTrue(r.out().contains("wrote     " + out), r.out());

        MainTest.Run info = run("info", out.toString());
        assertEquals(0, info.code(), info.err());
        assertTrue(info.out().contains("onnx node") && info.out().matches("(?s).*\\nconv2 +conv2d .* /conv2/Conv\\n.*"), info.out());
        assertTrue(info.out().contains("source_format    onnx") && info.out().contains("onnx_opset       17"), info.out());

        MainTest.Run direct = run("info", lenet());
        assertEquals(0, direct.code(), direct.err());
        assertTrue(direct.out().matches("(?s).*\\nfc1 +linear +64 +25,664 .*") && direct.out().contains("task             import"), direct.out());

        MainTest.Run check = run("import", OnnxFixtures.file("resnet_op13").toString());
        assertEquals(0, check.code(), check.err());
        assertTrue(check.out().contains("batchnorm2d x6") && check.out().contains("288 buffer values")
                && check.out().contains("checked   (no --out FILE: nothing written)"), check.out());
    }

    /** import -> safetensors -> load gives bit-identical logits to the model imported on the fly, and eval agrees. */
    @Test
    void roundTripThroughTheModelFileKeepsTheLogits() {
        assumeTrue(OnnxFixtures.datasetInstalled(), "Fashion-MNIST not installed");
        Path out = tmp.resolve("resnet.safetensors");
        String onnx = OnnxFixtures.file("resnet_op13").toString();
        assertEquals(0, run("import", onnx, "--out", out.toString()).code());
        Backend ref = new ReferenceBackend();
        Graph imported = OnnxImporter.importFile(Path.of(onnx), ref).graph();
        Graph loaded = ModelIO.load(out, ref).graph();
        float[] images = OnnxFixtures.testImages(8);
        try (GraphPredictor a = new GraphPredictor(imported, ref); GraphPredictor b = new GraphPredictor(loaded, ref)) {
            assertArrayEquals(a.logits(images, 8), b.logits(images, 8), 0f);
        }
        MainTest.Run e1 = run("eval", onnx, "--test-limit", "300", "--backend", "reference", "--quiet");
        MainTest.Run e2 = run("eval", out.toString(), "--test-limit", "300", "--backend", "reference", "--quiet");
        assertEquals(0, e1.code(), e1.err());
        assertEquals(line(e1.out(), "accuracy"), line(e2.out(), "accuracy"));
        assertEquals(line(e1.out(), "loss"), line(e2.out(), "loss"));
        assertTrue(e1.out().contains("(resnet_op13, imported from ONNX)") && e1.out().contains("input     normalised as (x/255 - 0.2860)/0.3530"), e1.out());
    }

    /** The imported models score on the whole test set exactly what PyTorch scored (the script recorded it). */
    @Test
    void evalOnTheTestSetMatchesPyTorchsAccuracy() {
        assumeTrue(OnnxFixtures.datasetInstalled(), "Fashion-MNIST not installed");
        for (String name : new String[] {"lenet_op17", "mlp_op11"}) {
            JsonNode expected = OnnxFixtures.expected(name);
            MainTest.Run r = run("eval", OnnxFixtures.file(name).toString(), "--backend", "cpu", "--quiet");
            assertEquals(0, r.code(), r.err());
            Matcher m = Pattern.compile("accuracy  [0-9.]+% \\((\\d+)/10000\\)").matcher(r.out());
            assertTrue(m.find(), r.out());
            assertEquals(expected.get("pytorch_test_correct").asInt(), Integer.parseInt(m.group(1)), name + ": " + r.out());
        }
    }

    /** Compression works on an imported model: prune the LeNet given as .onnx, quantize the result, evaluate the int8 file. */
    @Test
    void pruneThenQuantizeAnImportedModel() {
        assumeTrue(OnnxFixtures.datasetInstalled(), "Fashion-MNIST not installed");
        Path pruned = tmp.resolve("p.safetensors");
        MainTest.Run p = run("prune", lenet(), "--sparsity", "0.5", "--finetune-epochs", "1", "--train-limit", "256", "--test-limit", "128",
                "--backend", "reference", "--quiet", "--out", pruned.toString());
        assertEquals(0, p.code(), p.err());
        assertTrue(p.out().contains("magnitude, global, 50.00% of 28,790 weights in conv1, conv2, fc1, fc2"), p.out());
        assertTrue(p.out().contains("accuracy  after fine-tuning ") && p.out().contains("(sparsity 50.00%"), p.out());

        Path q = tmp.resolve("q.safetensors");
        MainTest.Run qr = run("quantize", pruned.toString(), "--calib", "64", "--test-limit", "128", "--sensitivity-images", "0", "--backend", "reference",
                "--int8-kernels", "java", "--quiet", "--out", q.toString());
        assertEquals(0, qr.code(), qr.err());
        assertTrue(qr.out().contains("int8 engine (java kernels, 7 of 7 nodes in int8 (4 int8 GEMMs), none in float)"), qr.out());
        MainTest.Run info = run("info", q.toString());
        assertTrue(info.code() == 0 && info.out().contains("4 of 4 weights int8"), info.out());
        MainTest.Run e = run("eval", q.toString(), "--test-limit", "128", "--backend", "reference", "--int8-kernels", "java", "--quiet");
        assertEquals(0, e.code(), e.err());
        Matcher m = Pattern.compile("accuracy  ([0-9.]+)%").matcher(e.out());
        assertTrue(m.find() && Double.parseDouble(m.group(1)) > 70, "an int8 LeNet from ONNX still classifies: " + e.out());
    }

    @Test
    void badOnnxFilesFailInOneLineAndWriteNothing() throws IOException {
        ModelProto good = ModelProto.parseFrom(Files.readAllBytes(OnnxFixtures.file("lenet_op17")));
        ModelProto.Builder unknown = good.toBuilder();
        unknown.getGraphBuilder().getNodeBuilder(1).setOpType("Einsum");
        ModelProto.Builder old = good.toBuilder();
        old.getOpsetImportBuilder(0).setVersion(7);
        ModelProto.Builder external = good.toBuilder();
        external.getGraphBuilder().getInitializerBuilder(0).clearRawData().setDataLocation(1);
        Object[][] cases = {{unknown, "node '/Relu' (Einsum) is not supported"}, {old, "opset 7 of the default domain"},
            {external, "has external data without a location"}};
        for (Object[] c : cases) {
            Path bad = tmp.resolve("bad.onnx");
            Files.write(bad, ((ModelProto.Builder) c[0]).build().toByteArray());
            Path out = tmp.resolve("out.safetensors");
            for (String[] args : new String[][] {{"import", bad.toString(), "--out", out.toString()}, {"eval", bad.toString(), "--backend", "reference"},
                {"info", bad.toString()}}) {
                MainTest.Run r = run(args);
                assertEquals(Main.EXIT_FAILURE, r.code(), r.err());
                String line = r.singleError();
                assertTrue(line.startsWith("nncompress: error: " + bad + ": ") && line.contains((String) c[1]), line);
                assertEquals("", r.out(), args[0] + " printed nothing");
                assertFalse(Files.exists(out), "nothing written");
            }
        }
    }

    private static String line(String out, String prefix) {
        return out.lines().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow();
    }
}

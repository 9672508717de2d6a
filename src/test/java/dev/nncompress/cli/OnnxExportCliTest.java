package dev.nncompress.cli;

import ai.onnxruntime.OrtException;
import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.compress.prune.structured.FilterCriterion;
import dev.nncompress.compress.prune.structured.StructuredPruner;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Parameter;
import dev.nncompress.graph.PointwiseNet;
import dev.nncompress.io.ModelIO;
import dev.nncompress.io.SafeTensors;
import dev.nncompress.io.onnx.OnnxFixtures;
import dev.nncompress.io.onnx.OrtRun;
import dev.nncompress.io.onnx.proto.OnnxProto.ModelProto;
import dev.nncompress.io.onnx.proto.OnnxProto.TensorProto;
import dev.nncompress.models.Models;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static dev.nncompress.cli.MainTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code nncompress export}: built-in, imported, structurally pruned and unstructured-pruned models out as ONNX
 * files that ONNX Runtime runs to our logits, and the one-line errors that leave no file behind.
 */
class OnnxExportCliTest {
    @TempDir Path tmp;
    private final Backend ref = new ReferenceBackend();

    @AfterEach
    void close() { ref.close(); }

    @Test
    void builtInModelExportsAtTheDefaultOpset() throws IOException {
        Path out = tmp.resolve("lenet5.onnx");
        MainTest.Run r = run("export", "lenet5", "--seed", "3", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("exported  lenet5 (built-in, untrained, seed 3): ") && r.out().contains("opset 17"), r.out());
        assertTrue(r.out().contains("wrote     " + out), r.out());
        ModelProto m = read(out);
        assertEquals(17, m.getOpsetImport(0).getVersion());
        assertTrue(m.getMetadataPropsList().stream().anyMatch(p -> p.getKey().equals("nncompress.command") && p.getValue().contains("export lenet5")));
    }

    @Test
    void plainSafeTensorsHoldTheWeightsOnly() throws IOException {
        Path out = tmp.resolve("student.safetensors");
        MainTest.Run r = run("export", "student", "--format", "safetensors-plain", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("dense F32 under their ONNX/PyTorch names"), r.out());
        Graph g = Models.byName("student", ref, 0);
        assertEquals(g.params().keySet(), SafeTensors.read(out).tensors().keySet());
    }

    /** quantize's int8 file out as QDQ: int8 weight initializers, Quantize/DequantizeLinear pairs; no plain safetensors of it. */
    @Test
    void int8ModelFileExportsAsQdq() throws IOException {
        assumeTrue(OnnxFixtures.datasetInstalled(), "Fashion-MNIST not installed");
        Path q = tmp.resolve("lenet-int8.safetensors");
        MainTest.Run quantize = run("quantize", OnnxFixtures.file("lenet_op17").toString(), "--calib", "32", "--test-limit", "50", "--sensitivity-images", "0", "--out", q.toString());
        assertEquals(0, quantize.code(), quantize.err());
        Path out = tmp.resolve("lenet-int8.onnx");
        MainTest.Run r = run("export", q.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("ONNX nodes (QDQ)"), r.out());
        ModelProto m = read(out);
        assertEquals(4, m.getGraph().getInitializerList().stream().filter(t -> t.getDataType() == 3 && t.getDimsCount() >= 2).count(), "int8 weights");
        assertTrue(m.getGraph().getNodeList().stream().anyMatch(n -> n.getOpType().equals("QuantizeLinear")));
        MainTest.Run plain = run("export", q.toString(), "--format", "safetensors-plain", "--out", tmp.resolve("p.safetensors").toString());
        assertEquals(2, plain.code());
        assertTrue(plain.err().contains("is an int8 model; safetensors-plain holds float weights"), plain.err());
    }

    @Test
    void importedModelKeepsItsOnnxInitializerNames() throws IOException {
        Path out = tmp.resolve("lenet.onnx");
        String onnx = OnnxFixtures.file("lenet_op17").toString();
        MainTest.Run r = run("export", onnx, "--opset", "21", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        List<String> original = read(Path.of(onnx)).getGraph().getInitializerList().stream().map(TensorProto::getName).sorted().toList();
        List<String> exported = read(out).getGraph().getInitializerList().stream().map(TensorProto::getName).sorted().toList();
        assertEquals(original.stream().filter(n -> n.contains(".")).toList(), exported, "the PyTorch parameter names of the fixture");
    }

    /** A structurally pruned model file is the smaller dense graph; ONNX Runtime runs it to our logits. */
    @Test
    void structurallyPrunedModelFileExportsItsSmallerGraph() throws OrtException, IOException {
        Graph full = Models.byName("resnet8", ref, 4);
        Graph pruned = StructuredPruner.prune(full, 0.5, FilterCriterion.l1()).pruned();
        assertTrue(pruned.parameterCount() < full.parameterCount() * 0.6, "pruned " + pruned.parameterCount() + " of " + full.parameterCount());
        Path file = tmp.resolve("pruned.safetensors");
        ModelIO.save(pruned, file, Map.of());
        Path out = tmp.resolve("pruned.onnx");
        assertEquals(0, run("export", file.toString(), "--out", out.toString()).code());
        ModelProto m = read(out);
        long values = m.getGraph().getInitializerList().stream().filter(t -> t.getDataType() == 1).mapToLong(t -> t.getRawData().size() / 4).sum();
        long buffers = pruned.params().values().stream().filter(p -> !p.trainable()).mapToLong(p -> p.value().numel()).sum();
        assertEquals(pruned.parameterCount() + buffers, values, "the pruned graph's parameters, dense");
        assertMatchesOrt(pruned, m);
    }

    /** Unstructured and 2:4 zeros: the file stores them sparse (ours), the export dense with the zeros in place. */
    @Test
    void sparseModelFileExportsDenseWithItsZeros() throws OrtException, IOException {
        Graph g = Models.byName("lenet5", ref, 6);
        int[] zeros = new int[1];
        for (Parameter p : g.params().values()) {
            if (!p.name().endsWith(".weight")) continue;
            float[] w = p.value().toFloatArray();
            boolean nm = p.name().startsWith("conv"); // 2:4 along the rows of conv weights, 80% magnitude-free zeros elsewhere
            for (int i = 0; i < w.length; i++) {
                if (nm ? i % 4 >= 2 : i % 5 != 0) {
                    w[i] = 0f;
                    zeros[0]++;
                }
            }
            p.setValue(ref.fromFloats(w, p.value().shape()));
        }
        Path file = tmp.resolve("sparse.safetensors");
        ModelIO.save(g, file, Map.of());
        assertTrue(Files.size(file) < ModelIO.fileSize(g, Map.of(), false) / 2, "the model file stores the zeros sparse");
        Path out = tmp.resolve("sparse.onnx");
        assertEquals(0, run("export", file.toString(), "--out", out.toString()).code());
        ModelProto m = read(out);
        int exportedZeros = 0;
        for (TensorProto t : m.getGraph().getInitializerList()) {
            if (!t.getName().endsWith(".weight")) continue;
            ByteBuffer b = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining()) if (b.getFloat() == 0f) exportedZeros++;
        }
        assertEquals(zeros[0], exportedZeros);
        assertTrue(Files.size(out) > ModelIO.fileSize(g, Map.of(), false) * 0.9, "dense: " + Files.size(out));
        assertMatchesOrt(ModelIO.load(file, ref).graph(), m);
    }

    @Test
    void opsetTooOldForAnOpIsOneLineAndWritesNothing() throws IOException {
        Path file = tmp.resolve("pointwise.safetensors");
        ModelIO.save(PointwiseNet.build(ref, 1), file, Map.of());
        Path out = tmp.resolve("pw.onnx");
        MainTest.Run r = run("export", file.toString(), "--opset", "13", "--out", out.toString());
        assertEquals(1, r.code(), r.err());
        assertEquals("nncompress: error: " + file + ": node hs (HARD_SWISH) needs ONNX opset 14 or later (HardSwish); --opset 13 was asked\n", r.err());
        assertEquals(List.of("pointwise.safetensors"), listing(), "no output, no temporary file");
        assertEquals(0, run("export", file.toString(), "--opset", "14", "--out", out.toString()).code());
    }

    @Test
    void usageErrors() throws IOException {
        Path out = tmp.resolve("x.onnx");
        MainTest.Run r = run("export", "lenet5", "--opset", "12", "--out", out.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("nncompress: error: --opset 12 is outside 13..21"), r.err());
        r = run("export", "lenet5", "--format", "tflite", "--out", out.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("nncompress: error: --format tflite is not one of: onnx, safetensors-plain"), r.err());
        r = run("export", "lenet5", "--out", tmp.resolve("missing/x.onnx").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("does not exist"), r.err());
        r = run("export", "lenet5");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--out"), r.err());
        r = run("export", tmp.resolve("nothing.safetensors").toString(), "--out", out.toString());
        assertEquals(1, r.code(), r.err());
        assertEquals(List.of(), listing());
    }

    private static ModelProto read(Path f) throws IOException { return ModelProto.parseFrom(Files.readAllBytes(f)); }

    private List<String> listing() throws IOException {
        try (Stream<Path> s = Files.list(tmp)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private void assertMatchesOrt(Graph g, ModelProto m) throws OrtException {
        float[] x = OrtRun.images(g, 3, 8);
        double err = OnnxFixtures.maxRelativeError(OrtRun.ours(g, ref, x, 3), OrtRun.run(m, x, OrtRun.batchShape(g, 3)));
        System.out.printf(java.util.Locale.ROOT, "%s exported: %d bytes, max rel error vs ONNX Runtime %.2e%n", g.name(), m.getSerializedSize(), err);
        assertTrue(err <= 1e-4, "max relative error " + err);
    }
}

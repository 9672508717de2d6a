package dev.nncompress.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.nncompress.io.onnx.OnnxFixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --json}: stdout is exactly one JSON object whose numbers are the ones the text reports (the text then goes to
 * stderr), for every command that prints results; on a 32-image Fashion-MNIST written by the test, reference backend.
 */
class JsonOutputTest {
    @TempDir static Path tmp;
    private static Path data;

    @BeforeAll
    static void writeData() { data = TinyFashionMnist.write(tmp.resolve("data"), 32); }

    /** Runs with --json; asserts success, one JSON object on stdout and the text on stderr; returns the object. */
    private static JsonNode json(String... args) throws IOException {
        List<String> a = new ArrayList<>(List.of(args));
        a.addAll(List.of("--json", "-q"));
        MainTest.Run r = MainTest.run(a.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        JsonNode n = new JsonMapper().readTree(r.out());
        assertTrue(n.isObject(), r.out());
        assertEquals(1, r.out().strip().lines().count(), "one line of JSON, nothing else: " + r.out());
        assertFalse(r.err().isBlank(), "the text lines go to stderr");
        return n;
    }

    private static String[] withData(String... args) {
        List<String> a = new ArrayList<>(List.of(args));
        a.addAll(List.of("--data", data.toString(), "--backend", "reference"));
        return a.toArray(String[]::new);
    }

    @Test
    void evalTrainDistillPruneQuantizeAndExportPrintTheirResults() throws IOException {
        JsonNode eval = json(withData("eval", "student", "--test-limit", "8"));
        assertEquals(8, eval.get("test_images").asInt());
        assertEquals(eval.get("correct").asDouble() / 8, eval.get("accuracy").asDouble(), 1e-12);
        assertEquals(10, eval.get("confusion").size());
        int confused = 0;
        for (JsonNode row : eval.get("confusion")) for (JsonNode c : row) confused += c.asInt();
        assertEquals(8, confused, "the confusion matrix counts every test image once");

        Path model = tmp.resolve("s.safetensors");
        JsonNode train = json(withData("train", "student", "--epochs", "2", "--train-limit", "16", "--test-limit", "8", "--batch-size", "8",
                "-o", model.toString()));
        assertEquals(2, train.get("epochs").size());
        assertEquals(16, train.get("train_images").asInt());
        assertEquals(train.get("epochs").get(1).get("test_accuracy").asDouble(), train.get("test_accuracy").asDouble(), 0);
        assertEquals(model.toString(), train.get("out").asText());
        assertTrue(Files.exists(model));

        JsonNode distill = json(withData("distill", "student", "--teacher", model.toString(), "--epochs", "1", "--train-limit", "16",
                "--test-limit", "8", "--batch-size", "8"));
        assertEquals(1, distill.get("epochs").size());
        assertTrue(distill.get("teacher").asText().contains("s.safetensors"), distill.toString());
        assertTrue(distill.get("out").isNull());

        JsonNode prune = json(withData("prune", model.toString(), "--sparsity", "0.5", "--finetune-epochs", "0", "--test-limit", "8"));
        assertEquals(0.5, prune.get("sparsity").asDouble(), 0.01);
        assertTrue(prune.get("pruned_file_bytes").asLong() < prune.get("dense_file_bytes").asLong(), prune.toString());
        assertEquals(8, prune.get("test_images").asInt());

        Path int8 = tmp.resolve("q.safetensors");
        JsonNode quantize = json(withData("quantize", model.toString(), "--calib", "16", "--test-limit", "8", "--sensitivity-images", "0",
                "-o", int8.toString(), "--int8-kernels", "java"));
        assertEquals(8, quantize.get("accuracy").get("images").asInt());
        assertEquals(Files.size(int8), quantize.get("bytes").asLong());
        assertEquals(8, quantize.get("int8").get("images").asInt());

        Path onnx = tmp.resolve("s.onnx");
        JsonNode export = json("export", model.toString(), "-o", onnx.toString());
        assertEquals(Files.size(onnx), export.get("bytes").asLong());
        assertEquals("onnx", export.get("format").asText());
        assertTrue(export.get("onnx_nodes").asInt() > 0);
    }

    @Test
    void benchGemmPrintsItsRows() throws IOException {
        JsonNode gemm = json("bench-gemm", "--size", "16", "--conv-shape", "none", "--rounds", "1", "--round-seconds", "0.01", "--no-java");
        JsonNode first = gemm.get("rows").get(0);
        assertEquals("16x16x16", first.get("shape").asText());
        assertEquals(1.0, first.get("vs_fp32").asDouble(), 1e-12, "the fp32 row is its own baseline");
        assertTrue(first.get("ms").asDouble() > 0);
    }

    @Test
    void benchPrintsItsTableRows() throws IOException {
        JsonNode bench = json(withData("bench", "student", "lenet5", "--train-batch", "8", "--infer-batch", "8", "--rounds", "1",
                "--round-seconds", "0.01", "--baseline", "none", "--sparse", "off"));
        assertEquals(4, bench.get("rows").size(), "train and inference rows of two models: " + bench);
        for (JsonNode row : bench.get("rows")) assertTrue(row.get("images_per_second").asDouble() > 0, row.toString());
        assertEquals(List.of("student", "student", "lenet5", "lenet5"),
                List.of(bench.get("rows").get(0).get("model").asText(), bench.get("rows").get(1).get("model").asText(),
                        bench.get("rows").get(2).get("model").asText(), bench.get("rows").get(3).get("model").asText()));
    }

    @Test
    void importPrintsTheGraphItRead() throws IOException {
        JsonNode imp = json("import", OnnxFixtures.file("lenet_op17").toString());
        assertTrue(imp.get("onnx_nodes").asInt() > 0, imp.toString());
        assertEquals(2, imp.get("ops").get("conv2d").asInt(), imp.toString());
        assertTrue(imp.get("out").isNull());
    }
}

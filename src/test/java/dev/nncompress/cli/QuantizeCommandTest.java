package dev.nncompress.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.nncompress.data.FashionMnist;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static dev.nncompress.cli.MainTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@code nncompress quantize}, in-process on small slices with the reference backend. */
class QuantizeCommandTest {
    @TempDir Path tmp;

    @Test
    void calibratesReportsAndWritesOnlyTheReport() throws Exception {
        assumeTrue(Files.exists(FashionMnist.resolve(FashionMnist.DEFAULT_DIR, FashionMnist.TRAIN_IMAGES)), "Fashion-MNIST not installed");
        Path json = tmp.resolve("sens.json");
        MainTest.Run r = run("quantize", "student", "--calib", "64", "--observer", "minmax", "--test-limit", "128", "--sensitivity-images", "32",
                "--exclude", "fc2", "--backend", "reference", "--quiet", "--report", json.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("fuse  relu1 into conv1"), r.out());
        assertTrue(r.out().contains("plan for student: 3 weight(s) per channel") && r.out().contains("float: fc2"), r.out());
        assertTrue(r.out().contains("simulated int8") && r.out().contains("on 128 test images"), r.out());
        assertTrue(r.out().contains("sensitivity (32 image(s)"), r.out());
        try (var files = Files.list(tmp)) { assertEquals(1, files.count(), "only the report is written"); }
        JsonNode root = new JsonMapper().readTree(json.toFile());
        assertEquals("minmax", root.get("observer").asText());
        assertEquals(64, root.get("calibration_images").asInt());
        assertEquals("fc2", root.get("excluded").get(0).asText());
        JsonNode layers = root.get("sensitivity").get("layers");
        assertEquals(4, layers.size()); // input, conv1, conv2, fc1
        for (JsonNode l : layers) assertTrue(l.get("sqnr_db").isNumber() && l.get("logits_mse").isNumber(), l.toString());
        double acc = root.get("accuracy").get("simulated_int8").asDouble();
        assertTrue(acc >= 0 && acc <= 1);
    }

    @Test
    void qatRunsAfterCalibrationAndReportsPtqAndQatNextToFloat() throws Exception {
        assumeTrue(Files.exists(FashionMnist.resolve(FashionMnist.DEFAULT_DIR, FashionMnist.TRAIN_IMAGES)), "Fashion-MNIST not installed");
        Path json = tmp.resolve("qat.json");
        MainTest.Run r = run("quantize", "student", "--calib", "64", "--test-limit", "128", "--sensitivity-images", "0", "--qat-epochs", "1",
                "--qat-images", "256", "--backend", "reference", "--int8-kernels", "java", "--quiet", "--report", json.toString(),
                "--out", tmp.resolve("qat8.safetensors").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("qat       1 epoch(s) on 256 training images, sgd lr 0.01"), r.out());
        assertTrue(r.out().contains("observer qat-ema, 320 calibration image(s)"), r.out()); // 64 PTQ + 256 QAT
        assertTrue(r.out().matches("(?s).*accuracy  float [0-9.]+%, PTQ int8 [0-9.]+% \\([+-][0-9.]+\\), QAT int8 [0-9.]+% .*on 128 test images.*"), r.out());
        JsonNode root = new JsonMapper().readTree(json.toFile());
        assertEquals("qat-ema", root.get("observer").asText(), "the command continues with the QAT plan");
        // the converter takes the fine-tuned graph and the QAT plan as it takes PTQ's: the engine scores what QAT simulated
        String qatInt8 = between(r.out(), "QAT int8 ", " (");
        assertTrue(r.out().contains("int8      " + qatInt8 + " on 128 test images with the int8 engine"), r.out());
    }

    @Test
    void badQatOptionsAreUsageErrors() {
        MainTest.Run epochs = run("quantize", "student", "--qat-epochs", "-1", "--backend", "reference");
        assertEquals(Main.EXIT_USAGE, epochs.code());
        assertTrue(epochs.singleError().contains("--qat-epochs"), epochs.err());
        MainTest.Run lr = run("quantize", "student", "--qat-epochs", "1", "--qat-lr", "0", "--backend", "reference");
        assertEquals(Main.EXIT_USAGE, lr.code());
        assertTrue(lr.singleError().contains("--qat-lr"), lr.err());
    }

    /**
     * quantize --out writes an int8 file whose engine accuracy is printed; eval, info and bench then run
     * the file, and commands that need a float model refuse it by name.
     */
    @Test
    void outWritesAnInt8ModelThatEvalInfoAndBenchRun() {
        assumeTrue(Files.exists(FashionMnist.resolve(FashionMnist.DEFAULT_DIR, FashionMnist.TRAIN_IMAGES)), "Fashion-MNIST not installed");
        Path model = tmp.resolve("s8.safetensors");
        MainTest.Run q = run("quantize", "student", "--calib", "64", "--test-limit", "128", "--sensitivity-images", "0", "--backend", "reference",
                "--int8-kernels", "java", "--quiet", "--out", model.toString());
        assertEquals(0, q.code(), q.err());
        assertTrue(Files.exists(model));
        assertTrue(q.out().contains("wrote     " + model) && q.out().contains("smaller than the float parameters"), q.out());
        String simulated = between(q.out(), "simulated int8 ", " (");
        assertTrue(q.out().contains("int8      " + simulated + " on 128 test images with the int8 engine (java kernels, 7 of 7 nodes in int8 (4 int8 GEMMs)"), q.out());

        MainTest.Run e = run("eval", model.toString(), "--test-limit", "128", "--backend", "reference", "--int8-kernels", "java", "--quiet");
        assertEquals(0, e.code(), e.err());
        assertTrue(e.out().contains("(student, int8)") && e.out().contains("accuracy  " + simulated), e.out());

        MainTest.Run i = run("info", model.toString());
        assertEquals(0, i.code(), i.err());
        assertTrue(i.out().contains("conv1    conv2d int8") && i.out().contains("4 of 4 weights int8"), i.out());

        MainTest.Run b = run("bench", model.toString(), "--baseline", "none", "--rounds", "1", "--round-seconds", "0.05",
                "--backend", "reference", "--int8-kernels", "java");
        assertEquals(0, b.code(), b.err());
        assertTrue(b.out().contains(model.getFileName() + " int8 inference 256"), "rows named by file: " + b.out());

        MainTest.Run t = run("train", "--model", model.toString(), "--epochs", "1", "--backend", "reference", "--out", tmp.resolve("t.safetensors").toString());
        assertTrue(t.code() != 0 && t.singleError().contains("is an int8 model"), t.err());
    }

    private static String between(String s, String from, String to) {
        int a = s.indexOf(from) + from.length();
        return s.substring(a, s.indexOf(to, a));
    }

    @Test
    void badInputIsAUsageErrorBeforeAnyWork() {
        MainTest.Run observer = run("quantize", "student", "--observer", "median", "--backend", "reference");
        assertEquals(Main.EXIT_USAGE, observer.code());
        assertTrue(observer.singleError().contains("--observer must be one of minmax, ema, percentile, mse, kl, got 'median'"), observer.err());

        MainTest.Run calib = run("quantize", "student", "--calib", "0", "--backend", "reference");
        assertEquals(Main.EXIT_USAGE, calib.code());
        assertTrue(calib.singleError().contains("--calib"), calib.err());

        // needs no dataset: the targets are checked before any image is loaded
        MainTest.Run exclude = run("quantize", "student", "--exclude", "conv1,nosuch", "--backend", "reference", "--data", tmp.resolve("none").toString());
        assertEquals(Main.EXIT_USAGE, exclude.code());
        assertTrue(exclude.singleError().contains("'nosuch'"), exclude.err());

        MainTest.Run data = run("quantize", "student", "--backend", "reference", "--data", tmp.resolve("none").toString());
        assertEquals(Main.EXIT_FAILURE, data.code());
        data.singleError();
    }
}

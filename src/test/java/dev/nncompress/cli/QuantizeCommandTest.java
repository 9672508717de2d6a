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
        MainTest.Run r = run("quantize", "student", "--calib", "64", "--observer", "minmax", "--eval", "128", "--sensitivity", "32",
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
        MainTest.Run r = run("quantize", "student", "--calib", "64", "--eval", "128", "--sensitivity", "0", "--qat-epochs", "1",
                "--qat-images", "256", "--backend", "reference", "--quiet", "--report", json.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("qat       1 epoch(s) on 256 training images, sgd lr 0.01"), r.out());
        assertTrue(r.out().contains("observer qat-ema, 320 calibration image(s)"), r.out()); // 64 PTQ + 256 QAT
        assertTrue(r.out().matches("(?s).*accuracy  float [0-9.]+%, PTQ int8 [0-9.]+% \\([+-][0-9.]+\\), QAT int8 [0-9.]+% .*on 128 test images.*"), r.out());
        JsonNode root = new JsonMapper().readTree(json.toFile());
        assertEquals("qat-ema", root.get("observer").asText(), "the command continues with the QAT plan");
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

    @Test
    void outIsRefusedUntilTheInt8EngineExists() {
        Path model = tmp.resolve("m.safetensors");
        MainTest.Run r = run("quantize", "student", "--out", model.toString(), "--backend", "reference");
        assertEquals(Main.EXIT_USAGE, r.code());
        assertTrue(r.singleError().contains("--out: not yet"), r.err());
        assertFalse(Files.exists(model));
    }

    @Test
    void badInputIsAUsageErrorBeforeAnyWork() {
        MainTest.Run observer = run("quantize", "student", "--observer", "median", "--backend", "reference");
        assertEquals(Main.EXIT_USAGE, observer.code());
        assertTrue(observer.singleError().contains("unknown observer 'median'") && observer.err().contains("kl"), observer.err());

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

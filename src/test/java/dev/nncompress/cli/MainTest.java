package dev.nncompress.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.nncompress.data.FashionMnist;
import dev.nncompress.io.ModelIO;
import dev.nncompress.models.Models;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Runs the CLI in-process on small slices with the reference backend. */
class MainTest {
    @TempDir Path tmp;

    record Run(int code, String out, String err) {
        List<String> errLines() { return err.isBlank() ? List.of() : Arrays.asList(err.strip().split("\\R")); }

        /**
         * The error line, asserting it is the only error line and that stderr holds nothing else but the
         * informational "nncompress: backend ..." line (no stack trace, no usage dump).
         */
        String singleError() {
            List<String> errors = errLines().stream().filter(l -> l.startsWith("nncompress: error: ")).toList();
            List<String> others = errLines().stream().filter(l -> !l.startsWith("nncompress: error: ")
                    && !l.startsWith("nncompress: backend ")).toList();
            assertEquals(1, errors.size(), () -> "expected one error line, got:\n" + err);
            assertEquals(List.of(), others, () -> "unexpected stderr lines:\n" + err);
            return errors.get(0);
        }
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    private static void assumeDataset() {
        assumeTrue(Files.exists(FashionMnist.resolve(FashionMnist.DEFAULT_DIR, FashionMnist.TRAIN_IMAGES)),
                "Fashion-MNIST is not installed in " + FashionMnist.DEFAULT_DIR);
    }

    @Test
    void infoCountsBuiltInParameters() {
        Run student = run("info", "student");
        assertEquals(0, student.code(), student.err());
        assertTrue(student.out().contains("52,138"), student.out());
        assertTrue(student.out().contains("conv1") && student.out().contains("fc2") && student.out().contains("sparsity"), student.out());

        Run teacher = run("info", "teacher");
        assertEquals(0, teacher.code(), teacher.err());
        assertTrue(teacher.out().contains("1,701,130"), teacher.out());
    }

    @Test
    void infoJsonIsMachineReadable() throws Exception {
        Run r = run("info", "resnet8", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode root = new JsonMapper().readTree(r.out());
        assertEquals("resnet8", root.get("name").asText());
        assertEquals(77_754, root.get("totals").get("parameters").asLong());
        assertTrue(root.get("totals").get("buffer_values").asLong() > 0);
        assertEquals(0.0, root.get("totals").get("sparsity").asDouble());
        assertEquals("conv2d", root.get("layers").get(0).get("op").asText());
    }

    @Test
    void trainWritesAFileThatEvalAndInfoReadBack() throws Exception {
        assumeDataset();
        Path model = tmp.resolve("student.safetensors");
        Run train = run("train", "--model", "student", "--epochs", "1", "--train-limit", "512", "--test-limit", "500",
                "--backend", "reference", "--seed", "7", "--out", model.toString());
        assertEquals(0, train.code(), train.err());
        assertTrue(train.out().contains("epoch 1/1"), train.out());
        assertTrue(train.out().contains("test acc"), train.out());
        assertTrue(train.err().contains("100% (8/8 batches)"), "plain progress lines off a terminal: " + train.err());
        assertTrue(Files.size(model) > 200_000);

        Map<String, String> prov = ModelIO.load(model, CliSupport.inspectionBackend()).provenance();
        assertEquals("7", prov.get("seed"));
        assertEquals("reference", prov.get("backend"));
        assertEquals("512", prov.get("train_images"));
        assertTrue(prov.get("command").startsWith("nncompress train --model student"), prov.get("command"));
        assertTrue(prov.get("config").contains("\"optimizer\":\"sgd\""), prov.get("config"));

        Run eval = run("eval", model.toString(), "--test-limit", "300", "--backend", "reference", "--confusion", "--quiet");
        assertEquals(0, eval.code(), eval.err());
        assertTrue(eval.out().contains("accuracy"), eval.out());
        assertTrue(eval.out().contains("/300)"), eval.out());
        assertTrue(eval.out().contains("Ankle boot") && eval.out().contains("T-shirt/top"), eval.out());
        assertFalse(eval.err().contains("batches"), "--quiet prints no progress: " + eval.err());

        Run info = run("info", model.toString());
        assertEquals(0, info.code(), info.err());
        assertTrue(info.out().contains("52,138"), info.out());
        assertTrue(info.out().contains("provenance") && info.out().contains("test_accuracy"), info.out());

        // continue training from the file, with adamw and a cosine schedule
        Path tuned = tmp.resolve("tuned.safetensors");
        Run fineTune = run("train", "--model", model.toString(), "--epochs", "1", "--train-limit", "128", "--test-limit", "100",
                "--optimizer", "adamw", "--lr", "0.001", "--weight-decay", "0.01", "--lr-schedule", "cosine", "--backend", "reference",
                "--quiet", "--out", tuned.toString());
        assertEquals(0, fineTune.code(), fineTune.err());
        Map<String, String> tunedProv = ModelIO.load(tuned, CliSupport.inspectionBackend()).provenance();
        assertEquals("file " + model, tunedProv.get("init"));
        assertTrue(tunedProv.get("config").contains("\"optimizer\":\"adamw\""), tunedProv.get("config"));
    }

    @Test
    void schedulesParseAndNameTheOption() {
        assertEquals(new dev.nncompress.train.LrSchedule.Constant(), TrainingOptions.parseSchedule("constant"));
        assertEquals(new dev.nncompress.train.LrSchedule.Step(2, 0.5f), TrainingOptions.parseSchedule("step:2:0.5"));
        assertEquals(new dev.nncompress.train.LrSchedule.Cosine(1e-4f), TrainingOptions.parseSchedule("cosine:1e-4"));
        assertEquals(new dev.nncompress.train.LrSchedule.Cosine(0f), TrainingOptions.parseSchedule("cosine"));
        for (String bad : List.of("linear", "step:x", "step:1:2", "cosine:-1", "constant:1")) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> TrainingOptions.parseSchedule(bad));
            assertTrue(e.getMessage().startsWith("--lr-schedule: "), e.getMessage());
        }
    }

    @Test
    void missingDatasetGivesTheInstallHint() {
        Path missing = tmp.resolve("no-such-dir");
        Run r = run("train", "--model", "student", "--data", missing.toString(), "--backend", "reference");
        assertEquals(1, r.code());
        String line = r.singleError();
        assertTrue(line.contains("apt-get install dataset-fashion-mnist"), line);
        assertTrue(line.contains(missing.toString()), line);

        Run e = run("eval", "student", "--data", missing.toString(), "--backend", "reference");
        assertEquals(1, e.code());
        assertTrue(e.singleError().contains("dataset-fashion-mnist"));
    }

    @Test
    void truncatedModelFileIsOneLineError() throws Exception {
        Path good = tmp.resolve("good.safetensors");
        ModelIO.save(Models.student(CliSupport.inspectionBackend(), 0), good, Map.of());
        byte[] bytes = Files.readAllBytes(good);
        Path bad = tmp.resolve("truncated.safetensors");
        Files.write(bad, Arrays.copyOf(bytes, bytes.length / 2));

        Run info = run("info", bad.toString());
        assertEquals(1, info.code());
        assertTrue(info.singleError().contains("truncated.safetensors"), info.err());
        assertFalse(info.err().contains("\tat "), "no stack trace without --debug");

        Run eval = run("eval", bad.toString(), "--backend", "reference", "--test-limit", "10");
        assertEquals(1, eval.code());
        eval.singleError();

        for (String[] args : List.of(new String[] {"info", bad.toString(), "--debug"}, new String[] {"--debug", "info", bad.toString()})) {
            Run debug = run(args);
            assertEquals(1, debug.code());
            assertTrue(debug.err().contains("\tat "), "--debug prints the stack trace: " + debug.err());
        }
    }

    @Test
    void unknownModelListsTheNames() {
        Run r = run("info", "mobilenet");
        assertEquals(2, r.code());
        String line = r.singleError();
        for (String name : Models.NAMES) assertTrue(line.contains(name), line);

        Run missingFile = run("info", tmp.resolve("absent.safetensors").toString());
        assertEquals(1, missingFile.code());
        assertTrue(missingFile.singleError().contains("not found"), missingFile.err());
    }

    @Test
    void noCommandIsAUsageErrorListingEveryCommand() {
        Run none = run();
        assertEquals(2, none.code());
        String line = none.singleError();
        for (String c : List.of("train", "eval", "info", "bench", "bench-gemm", "quantize")) assertTrue(line.contains(c), line);
        assertFalse(line.contains("help,"), line);
    }

    @Test
    void badOptionValuesAreUsageErrorsNamingTheOption() {
        Run epochs = run("train", "--model", "student", "--epochs", "0");
        assertEquals(2, epochs.code());
        assertTrue(epochs.singleError().contains("--epochs must be >= 1"), epochs.err());

        Run lr = run("train", "--model", "student", "--lr", "-1");
        assertEquals(2, lr.code());
        assertTrue(lr.singleError().contains("--lr"), lr.err());

        Run schedule = run("train", "--model", "student", "--lr-schedule", "step:0:0.5");
        assertEquals(2, schedule.code());
        assertTrue(schedule.singleError().contains("--lr-schedule"), schedule.err());

        Run momentum = run("train", "--model", "student", "--optimizer", "adam", "--momentum", "0.5");
        assertEquals(2, momentum.code());
        assertTrue(momentum.singleError().contains("--momentum"), momentum.err());

        Run notInt = run("train", "--model", "student", "--epochs", "three");
        assertEquals(2, notInt.code());
        assertTrue(notInt.singleError().contains("--epochs"), notInt.err());

        Run unknownOption = run("train", "--model", "student", "--epoch", "3");
        assertEquals(2, unknownOption.code());
        assertTrue(unknownOption.singleError().contains("--epoch"), unknownOption.err());

        Run missingModel = run("train");
        assertEquals(2, missingModel.code());
        assertTrue(missingModel.singleError().contains("MODEL"), missingModel.err());

        Run backend = run("eval", "student", "--backend", "tpu");
        assertEquals(2, backend.code());
        assertTrue(backend.singleError().contains("reference"), backend.err());

        Run outDir = run("train", "--model", "student", "--out", tmp.resolve("nope/x.safetensors").toString());
        assertEquals(2, outDir.code());
        assertTrue(outDir.singleError().contains("--out"), outDir.err());

        Run noCommand = run();
        assertEquals(2, noCommand.code());
        noCommand.singleError();
    }

    @Test
    void helpAndVersion() {
        Run help = run("train", "--help");
        assertEquals(0, help.code());
        assertTrue(help.out().contains("--lr-schedule") && help.out().contains("--train-limit"), help.out());
        Run version = run("--version");
        assertEquals(0, version.code());
        assertTrue(version.out().startsWith("nncompress "), version.out());
    }
}

package dev.nncompress.cli;

import dev.nncompress.data.FashionMnist;
import dev.nncompress.io.SafeTensors;
import dev.nncompress.io.SafeTensorsFile;
import dev.nncompress.io.TensorRecord;
import dev.nncompress.train.CheckpointFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static dev.nncompress.cli.MainTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The checkpoint options' usage errors, and damaged or foreign checkpoints refused in one line (in-process, reference backend). */
class CheckpointCliTest {
    private static final List<String> TRAIN = List.of("train", "--model", "student", "--epochs", "2", "--train-limit", "96", "--batch-size", "32",
            "--test-limit", "32", "--backend", "reference", "--quiet");
    @TempDir static Path shared;
    @TempDir Path tmp;
    private static Path good;

    /** Once for the class: the tests read this checkpoint (resuming a finished run writes nothing into it). */
    @BeforeAll
    static void checkpointARun() {
        assumeTrue(Files.exists(FashionMnist.resolve(FashionMnist.DEFAULT_DIR, FashionMnist.TRAIN_IMAGES)), "Fashion-MNIST not installed");
        good = shared.resolve("good");
        MainTest.Run r = run(args(TRAIN, "--checkpoint-dir", good.toString(), "--checkpoint-every", "2"));
        assertEquals(0, r.code(), r.err());
        // 3 steps per epoch: after global steps 2, 3 (epoch end), 4, 6 (epoch end)
        assertTrue(r.err().contains("nncompress: note: 4 checkpoints written to " + good), r.err());
    }

    private static String[] args(List<String> base, String... more) {
        List<String> a = new ArrayList<>(base);
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    @Test
    void resumingAFinishedRunGoesStraightToTheEnd() {
        Path out = tmp.resolve("m.safetensors");
        MainTest.Run r = run(args(TRAIN, "--resume", good.toString(), "--out", out.toString()));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("resuming " + good + " from the end of training (2 epochs)"), r.out());
        assertTrue(Files.exists(out));
    }

    /** Structured pruning's fine-tuning checkpoints like the others; resuming its finished run writes the same weights. */
    @Test
    void structuredPruningFineTuningCheckpoints() throws Exception {
        List<String> prune = List.of("prune", "student", "--structured", "--sparsity", "0.5", "--finetune-epochs", "1", "--train-limit", "64",
                "--batch-size", "32", "--test-limit", "32", "--backend", "reference", "--quiet");
        Path dir = tmp.resolve("structured");
        Path first = tmp.resolve("first.safetensors");
        Path again = tmp.resolve("again.safetensors");
        MainTest.Run r = run(args(prune, "--checkpoint-dir", dir.toString(), "--out", first.toString()));
        assertEquals(0, r.code(), r.err());
        MainTest.Run resumed = run(args(prune, "--resume", dir.toString(), "--out", again.toString()));
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(resumed.out().contains("resuming " + dir + " from the end of training (1 epoch)"), resumed.out());
        assertEquals(SafeTensors.read(first).tensors(), SafeTensors.read(again).tensors());
        assertTrue(dev.nncompress.io.ModelIO.load(again, new dev.nncompress.backend.ref.ReferenceBackend()).provenance().get("resumed_from").startsWith(dir + " at the end of training"));
    }

    @Test
    void anotherConfigurationIsAUsageErrorNamingTheKeys() {
        MainTest.Run r = run(args(TRAIN, "--resume", good.toString(), "--lr", "0.02", "--seed", "3"));
        assertEquals(Main.EXIT_USAGE, r.code(), r.err());
        assertTrue(r.singleError().contains("the checkpoint was made with another configuration (--lr: 0.01 -> 0.02; --seed: 42 -> 3)"), r.err());
    }

    @Test
    void optionMistakesAreUsageErrors() {
        assertEquals(Main.EXIT_USAGE, run(args(TRAIN, "--checkpoint-every", "5")).code());
        assertEquals(Main.EXIT_USAGE, run(args(TRAIN, "--checkpoint-dir", good.toString())).code()); // would overwrite a run
        assertEquals(Main.EXIT_USAGE, run(args(TRAIN, "--checkpoint-dir", tmp.resolve("x").toString(), "--resume", good.toString())).code());
        assertEquals(Main.EXIT_USAGE, run(args(TRAIN, "--checkpoint-dir", tmp.resolve("y").toString(), "--checkpoint-every", "-1")).code());
        MainTest.Run ptq = run("quantize", "student", "--calib", "32", "--checkpoint-dir", tmp.resolve("q").toString(), "--backend", "reference");
        assertEquals(Main.EXIT_USAGE, ptq.code());
        assertTrue(ptq.singleError().contains("give --qat-epochs N"), ptq.err());
        MainTest.Run iterative = run("prune", "student", "--sparsity", "0.5", "--prune-schedule", "iterative", "--resume", good.toString(), "--backend", "reference");
        assertEquals(Main.EXIT_USAGE, iterative.code());
        assertTrue(iterative.singleError().contains("--prune-schedule iterative runs 3"), iterative.err());
    }

    @Test
    void aMissingCheckpointIsOneLine() {
        MainTest.Run r = run(args(TRAIN, "--resume", tmp.resolve("empty").toString()));
        assertEquals(Main.EXIT_FAILURE, r.code());
        assertTrue(r.singleError().contains("empty: no checkpoint here (checkpoint.safetensors is missing)"), r.err());
    }

    @Test
    void damagedOrForeignCheckpointsAreRefusedInOneLineNamingTheFile() throws Exception {
        SafeTensorsFile st = SafeTensors.read(CheckpointFile.path(good));
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put(damage("truncated", null, null, 100), "header length");
        cases.put(damage("step", null, m -> m.put("nncompress.checkpoint", m.get("nncompress.checkpoint").replaceFirst("\"step\":\\d+", "\"step\":99")),
                -1), "not a valid checkpoint: \"step\" is 99, outside 0..2");
        cases.put(damage("config", null, m -> m.put("nncompress.checkpoint.config", m.get("nncompress.checkpoint.config").replace("\"0.01\"", "\"0.02\"")),
                -1), "the configuration does not match its SHA-256 (edited or damaged)");
        cases.put(damage("nan", t -> t.put("param/conv1.weight", TensorRecord.ofFloats(nanLike(st.tensor("param/conv1.weight")),
                st.tensor("param/conv1.weight").shape())), null, -1), "checkpoint does not fit this run: tensor 'param/conv1.weight' holds NaN at index 0");
        cases.put(damage("shape", t -> t.put("param/fc2.bias", TensorRecord.ofFloats(new float[3])), null, -1),
                "tensor 'param/fc2.bias' has shape [3], expected [10]");
        cases.put(damage("extra", t -> t.put("optim/velocity/ghost.weight", TensorRecord.ofFloats(new float[2])), null, -1),
                "tensor 'optim/velocity/ghost.weight' is not part of this run's optimizer state");
        cases.put(damage("section", t -> t.put("stray", TensorRecord.ofFloats(new float[2])), null, -1), "tensor 'stray' is in no section");
        cases.put(damage("model", null, m -> m.remove("nncompress.checkpoint"), -1), "no 'nncompress.checkpoint' metadata");
        cases.put(damage("history", null, m -> m.put("nncompress.checkpoint", m.get("nncompress.checkpoint").replaceFirst("\"correct\":\\d+",
                "\"correct\":1000")), -1), "\"correct\" is 1000, outside 0..32");
        for (var c : cases.entrySet()) {
            MainTest.Run r = run(args(TRAIN, "--resume", c.getKey()));
            assertEquals(Main.EXIT_FAILURE, r.code(), c.getKey() + ": " + r.err());
            String line = r.singleError();
            assertTrue(line.contains(c.getKey()) && line.contains(c.getValue()), c.getKey() + ": " + line);
        }
    }

    private static float[] nanLike(TensorRecord t) {
        float[] v = t.toFloats();
        v[0] = Float.NaN;
        return v;
    }

    /** A copy of the good checkpoint with its tensors and metadata edited (or its bytes cut at {@code truncate}); returns its directory. */
    private String damage(String name, Consumer<Map<String, TensorRecord>> tensors, Consumer<Map<String, String>> meta, int truncate) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve(name));
        Path file = CheckpointFile.path(dir);
        if (truncate >= 0) {
            byte[] all = Files.readAllBytes(CheckpointFile.path(good));
            Files.write(file, java.util.Arrays.copyOf(all, truncate));
            return dir.toString();
        }
        SafeTensorsFile st = SafeTensors.read(CheckpointFile.path(good));
        Map<String, TensorRecord> t = new LinkedHashMap<>(st.tensors());
        Map<String, String> m = new LinkedHashMap<>(st.metadata());
        if (tensors != null) tensors.accept(t);
        if (meta != null) meta.accept(m);
        SafeTensors.write(file, t, m);
        return dir.toString();
    }
}

package dev.nncompress.cli;

import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.data.FashionMnist;
import dev.nncompress.io.ModelIO;
import dev.nncompress.io.SafeTensors;
import dev.nncompress.io.SafeTensorsFile;
import dev.nncompress.io.TensorRecord;
import dev.nncompress.models.Models;
import dev.nncompress.train.Checkpoint;
import dev.nncompress.train.CheckpointFile;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * kill -9 and resume, one per training command, on the cpu backend: each command runs once uninterrupted, once with
 * {@code --checkpoint-dir} killed by SIGKILL ({@link Process#destroyForcibly()}) a random time after its first
 * checkpoint appears, then with {@code --resume}; the resumed run's output file must hold exactly the uninterrupted
 * run's tensors (bytes). Only the killed run needs a JVM of its own (a SIGKILL ends the whole process); the
 * uninterrupted and the resumed runs are in-process ({@link MainTest#run}), which also checks that a checkpoint
 * written by one JVM resumes bit-exactly in another. Both JVMs take the cpu backend's thread count from the same
 * machine (CpuPar: the available processors), so the float sums are split the same way. The kill delay's seed is
 * printed in every failure message, to replay it. Each test costs one JVM start (two in-process starts saved per test:
 * about 20 s of the class's 46 s on a 2-core machine).
 */
class KillResumeForkedTest {
    @TempDir Path tmp;
    private final long seed = System.nanoTime();
    private final SplittableRandom random = new SplittableRandom(seed);

    @BeforeEach
    void dataset() {
        assumeTrue(Files.exists(FashionMnist.resolve(FashionMnist.DEFAULT_DIR, FashionMnist.TRAIN_IMAGES)), "Fashion-MNIST not installed");
    }

    @Test
    void train() throws Exception {
        // 2 epochs x 100 steps; adam, so its moments and step count must come back too
        check("train", List.of("train", "--model", "student", "--optimizer", "adam", "--lr", "0.002", "--epochs", "2", "--train-limit", "1600",
                "--batch-size", "16", "--test-limit", "100"), "--out");
    }

    @Test
    void distillWithAHintAdapter() throws Exception {
        Path teacher = tmp.resolve("teacher.safetensors"); // an untrained student of another seed: same layers, so a hint fits
        ModelIO.save(Models.student(new ReferenceBackend(), 7), teacher, Map.of());
        // the live teacher every step, and the 1x1 adapter's parameters and momentum in the checkpoint
        check("distill", List.of("distill", "--teacher", teacher.toString(), "student", "--hint", "conv2", "--epochs", "2",
                "--train-limit", "1280", "--batch-size", "16", "--test-limit", "100"), "--out");
    }

    @Test
    void pruneCubicFineTuning() throws Exception {
        // gradual pruning: the masks change every 10 steps while training, so they and the schedule's step must come back
        check("prune", List.of("prune", "student", "--sparsity", "0.8", "--prune-schedule", "cubic", "--update-every", "10", "--finetune-epochs", "2",
                "--train-limit", "1600", "--batch-size", "16", "--test-limit", "100"), "--out");
    }

    @Test
    void quantizationAwareTraining() throws Exception {
        // QAT batches are 64: 2 epochs x 40 steps; the moving-average activation ranges must come back
        check("qat", List.of("quantize", "student", "--calib", "256", "--qat-epochs", "2", "--qat-images", "2560", "--test-limit", "100",
                "--sensitivity-images", "0"), "--out");
    }

    /** Uninterrupted, killed, resumed: same tensors. */
    private void check(String name, List<String> args, String outOption) throws Exception {
        List<String> base = new ArrayList<>(args);
        base.addAll(List.of("--backend", "cpu", "--quiet"));
        Path reference = tmp.resolve(name + "-reference.safetensors");
        long t0 = System.nanoTime();
        Result plain = runInProcess(with(base, outOption, reference.toString()));
        long t1 = System.nanoTime();
        assertEquals(0, plain.code, () -> context(plain));

        Path resumed = tmp.resolve(name + "-resumed.safetensors");
        Path dir = null;
        Checkpoint atKill = null;
        // the kill lands anywhere in training: up to 60% of the plain run's time after the first checkpoint (which comes
        // after start-up; the in-process plain run has no JVM start to count), halved on each try whose run had already
        // finished training
        long delayLimit = (t1 - t0) / 1_000_000 * 6 / 10;
        for (int attempt = 0; attempt < 4 && atKill == null; attempt++, delayLimit /= 2) {
            dir = tmp.resolve(name + "-ck" + attempt);
            List<String> killed = with(with(base, outOption, resumed.toString()), "--checkpoint-dir", dir.toString());
            atKill = runAndKill(with(killed, "--checkpoint-every", "3"), dir, random.nextLong(delayLimit + 1), name + "-killed" + attempt);
        }
        if (atKill == null) fail("the run finished before every kill (seed " + seed + ")");
        Path killedDir = dir;
        Checkpoint at = atKill;
        long t2 = System.nanoTime();
        Result resume = runInProcess(with(with(with(base, outOption, resumed.toString()), "--resume", dir.toString()), "--checkpoint-every", "3"));
        System.out.printf("%s: killed at %s; plain run %.1f s, killed run(s) %.1f s, resumed run %.1f s (seed %d)%n", name, at.describePosition(),
                (t1 - t0) / 1e9, (t2 - t1) / 1e9, (System.nanoTime() - t2) / 1e9, seed);
        assertEquals(0, resume.code, () -> context(resume));
        assertTrue(resume.out.contains("resuming " + killedDir + " from " + at.describePosition()), () -> context(resume));

        SafeTensorsFile a = SafeTensors.read(reference);
        SafeTensorsFile b = SafeTensors.read(resumed);
        assertEquals(a.tensors().keySet(), b.tensors().keySet());
        for (Map.Entry<String, TensorRecord> e : a.tensors().entrySet()) {
            assertEquals(e.getValue(), b.tensors().get(e.getKey()),
                    () -> name + ": tensor " + e.getKey() + " differs after a kill at " + at.describePosition() + " (seed " + seed + ")");
        }
    }

    /**
     * Starts the run, waits for its first checkpoint, kills it {@code delayMs} later; returns the checkpoint left
     * behind, or null when the run had finished training before the kill (try again sooner).
     */
    private Checkpoint runAndKill(List<String> args, Path dir, long delayMs, String log) throws Exception {
        Process p = start(args, log);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!CheckpointFile.exists(dir)) {
            if (!p.isAlive()) fail("the run exited (" + p.exitValue() + ") before its first checkpoint: " + Files.readString(tmp.resolve(log + ".err")));
            if (System.nanoTime() > deadline) fail("no checkpoint after 120 s");
            Thread.sleep(5);
        }
        Thread.sleep(delayMs);
        if (!p.isAlive()) return null;
        p.destroyForcibly(); // SIGKILL: no shutdown hooks, no finally blocks
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "killed process did not end");
        Checkpoint c = CheckpointFile.read(dir); // the kill may land mid-write: the rename keeps the file whole
        return c.finished() ? null : c;
    }

    private record Result(int code, String out, String err) {}

    private static String context(Result r) { return "exit " + r.code + "\nstdout:\n" + r.out + "\nstderr:\n" + r.err; }

    private static Result runInProcess(List<String> args) {
        MainTest.Run r = MainTest.run(args.toArray(String[]::new));
        return new Result(r.code(), r.out(), r.err());
    }

    /** The CLI in a child JVM ({@link ForkedCli}) with a heap for training and both JIT tiers (it trains for seconds). */
    private Process start(List<String> args, String log) throws IOException {
        return ForkedCli.start(List.of("-Xmx1g"), args, tmp, tmp.resolve(log + ".out"), tmp.resolve(log + ".err"));
    }

    private static List<String> with(List<String> args, String option, String value) {
        List<String> out = new ArrayList<>(args);
        out.add(option);
        out.add(value);
        return out;
    }
}

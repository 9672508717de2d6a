package dev.nncompress.train;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.Backends;
import dev.nncompress.data.Batches;
import dev.nncompress.data.Dataset;
import dev.nncompress.data.FashionMnist;
import dev.nncompress.graph.Graph;
import dev.nncompress.models.Models;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What checkpoints cost. Plain main, not a JUnit test:
 * <pre>{@code java -cp target/classes:target/test-classes:target/lib/* dev.nncompress.train.CheckpointBench [ROUNDS] [IMAGES] [EVERY]}</pre>
 * 1. per model (student, resnet8, teacher, SGD momentum state): checkpoint size, and the median time to capture the
 * tensors and write the file (temporary file, fsync, rename) over 7 writes, into a folder under java.io.tmpdir;
 * 2. student training on the first IMAGES training images (default 60,000: one epoch, 938 steps) without and with
 * checkpoints every EVERY steps (default 200, the CLI's default), interleaved ROUNDS times (default 3) on the
 * default backend: median epoch time of each and their ratio, the overhead a user sees.
 */
public final class CheckpointBench {
    private CheckpointBench() {}

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        int images = args.length > 1 ? Integer.parseInt(args[1]) : 60_000;
        int every = args.length > 2 ? Integer.parseInt(args[2]) : 200;
        Backend backend = Backends.defaultBackend();
        Path root = Files.createTempDirectory("checkpoint-bench");
        Dataset data = FashionMnist.train(FashionMnist.DEFAULT_DIR, images);
        CheckpointConfig cfg = CheckpointConfig.of(Map.of("bench", "1"));

        for (String model : List.of("student", "resnet8", "teacher")) {
            Graph g = Models.byName(model, backend, 1);
            TrainConfig one = new TrainConfig(1, 64, new OptimizerConfig.Sgd(0.01f, 0.9f, 0f, false), new LrSchedule.Constant(), 1);
            try (Optimizer opt = one.optimizer().create()) {
                new Trainer(backend, one).trainStep(g, Batches.of(data, 64).epoch(0).next(), opt, 0.01f, 1); // makes the velocity
                TrainingState state = new TrainingState(g, List.of(), opt, StepHook.NONE);
                Path dir = Files.createDirectories(root.resolve(model));
                double[] capture = new double[7];
                double[] write = new double[7];
                long bytes = 0;
                for (int i = 0; i < capture.length; i++) {
                    long t0 = System.nanoTime();
                    var tensors = state.capture();
                    long t1 = System.nanoTime();
                    bytes = CheckpointFile.write(dir, new Checkpoint(1, 10, 0, 1, 1, 1.0, 64, List.of(), cfg, "bench", tensors));
                    long t2 = System.nanoTime();
                    capture[i] = (t1 - t0) / 1e6;
                    write[i] = (t2 - t1) / 1e6;
                }
                System.out.printf(Locale.ROOT, "%-8s %,11d bytes  capture %6.2f ms  write+fsync+rename %6.2f ms (median of 7)%n", model, bytes,
                        median(capture), median(write));
            }
        }

        TrainConfig epoch = new TrainConfig(1, 64, new OptimizerConfig.Sgd(0.01f, 0.9f, 0f, false), new LrSchedule.Constant(), 42);
        int steps = Batches.of(data, 64).batchCount();
        List<Double> plain = new ArrayList<>();
        List<Double> checkpointed = new ArrayList<>();
        Checkpointing last = null;
        for (int r = 0; r < rounds; r++) {
            long t0 = System.nanoTime();
            new Trainer(backend, epoch).fit(Models.student(backend, 42), data, null, TrainListener.NONE);
            plain.add((System.nanoTime() - t0) / 1e9);
            Path dir = root.resolve("epoch" + r);
            last = Checkpointing.start(dir, every, cfg, n -> { });
            long t1 = System.nanoTime();
            new Trainer(backend, epoch).withCheckpoints(last).fit(Models.student(backend, 42), data, null, TrainListener.NONE);
            checkpointed.add((System.nanoTime() - t1) / 1e9);
        }
        double p = median(plain.stream().mapToDouble(Double::doubleValue).toArray());
        double c = median(checkpointed.stream().mapToDouble(Double::doubleValue).toArray());
        System.out.printf(Locale.ROOT, "student epoch of %,d images (%d steps) on %s: plain %.2f s, checkpoints every %d steps %.2f s: %.3fx (%+.1f%%); last run: %s%n",
                data.count(), steps, backend.name(), p, every, c, c / p, 100 * (c / p - 1), last.summary());
        System.out.println("rounds plain " + plain + ", checkpointed " + checkpointed);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}

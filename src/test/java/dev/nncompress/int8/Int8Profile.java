package dev.nncompress.int8;

import dev.nncompress.backend.cpu.Int8KernelChoice;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.io.Int8ModelIO;

import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Where the int8 engine's time goes (not a test): {@code Int8Profile MODEL.safetensors [threads] [kernels]}
 * runs batches of 256 random images, 50 to warm up and 100 timed, and prints ms per batch per node.
 */
public final class Int8Profile {
    public static void main(String[] args) {
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        Int8Model model = Int8ModelIO.load(Path.of(args[0])).model();
        Int8Runner warm = new Int8Runner(model, Int8KernelChoice.choose(args.length > 2 ? args[2] : "auto", threads).kernels(), new ReferenceBackend());
        int n = 256;
        float[] x = new float[n * (int) model.inputShape().numel()];
        SplittableRandom rnd = new SplittableRandom(1);
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextDouble();
        for (int i = 0; i < 50; i++) warm.logits(x, n);
        Int8Runner run = new Int8Runner(model, warm.kernels(), new ReferenceBackend());
        int reps = 100;
        long t0 = System.nanoTime();
        for (int i = 0; i < reps; i++) run.logits(x, n);
        double total = (System.nanoTime() - t0) / 1e6 / reps;
        System.out.printf("%s, %d threads: %.2f ms per batch of %d%n", run.kernels().name(), threads, total, n);
        for (Map.Entry<String, Double> e : run.millisPerNode().entrySet()) System.out.printf("  %-10s %7.2f ms%n", e.getKey(), e.getValue() / reps);
    }
}

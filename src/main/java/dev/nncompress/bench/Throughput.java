package dev.nncompress.bench;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.LossResult;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphPredictor;
import dev.nncompress.graph.GraphRunner;
import dev.nncompress.graph.Logits;
import dev.nncompress.graph.Parameter;
import dev.nncompress.graph.Predictor;
import dev.nncompress.graph.SparseInference;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import dev.nncompress.train.Optimizer;
import dev.nncompress.train.OptimizerConfig;
import dev.nncompress.util.ProgressListener;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Measures images per second of training steps (forward, backward, SGD update) and of inference on
 * one backend. Runs warm-up steps first, then timed rounds, and reports the median round so that a
 * single GC pause or page-in does not decide the number.
 */
public final class Throughput {
    private Throughput() {}

    /** Median images/s and the spread of the rounds. */
    public record Result(double imagesPerSecond, double minImagesPerSecond, double maxImagesPerSecond, int batch, int rounds) {
        @Override public String toString() {
            return String.format("%,.0f img/s (rounds %,.0f..%,.0f)", imagesPerSecond, minImagesPerSecond, maxImagesPerSecond);
        }
    }

    /** @param images [batch * C*H*W] input values, labels [batch]; steps per round chosen to last ~roundSeconds */
    public static Result training(Graph g, Backend b, float[] images, int[] labels, int batch, int rounds, double roundSeconds) {
        return training(g, b, images, labels, batch, rounds, roundSeconds, ProgressListener.NONE);
    }

    /** As {@link #training(Graph, Backend, float[], int[], int, int, double)}, reporting the rounds. */
    public static Result training(Graph g, Backend b, float[] images, int[] labels, int batch, int rounds, double roundSeconds,
                                  ProgressListener progress) {
        try (TrainingStep step = new TrainingStep(g, b, images, labels, batch)) {
            return measure(step, batch, rounds, roundSeconds, progress, "bench train batch " + batch);
        }
    }

    /**
     * One training step of {@code g} on one fixed batch (the first {@code batch} images and labels): forward, softmax
     * cross-entropy, backward, SGD (lr 0.01, momentum 0.9) over the trainable parameters, gradients cleared; as the
     * trainer runs it, minus data loading. Also the side of ours that {@link PyTorchFloat} times against PyTorch.
     */
    public static final class TrainingStep implements Runnable, AutoCloseable {
        private final Graph logits;
        private final Backend b;
        private final Tensor x;
        private final int[] y;
        private final Optimizer opt;
        private final List<Parameter> params;

        public TrainingStep(Graph g, Backend b, float[] images, int[] labels, int batch) {
            Shape shape = inputShape(g, batch);
            this.b = b;
            this.logits = Logits.of(g); // as Trainer: a final Softmax is not trained through
            this.params = g.trainableParams();
            this.y = Arrays.copyOf(labels, batch);
            this.x = b.fromFloats(Arrays.copyOf(images, shape.numel()), shape);
            this.opt = new OptimizerConfig.Sgd(0.01f, 0.9f, 0, false).create();
        }

        @Override
        public void run() {
            try (GraphRunner run = new GraphRunner(logits, b, true, 0)) {
                LossResult l = b.softmaxCrossEntropy(run.forward(x), y);
                try (Tensor grad = l.gradLogits()) {
                    run.backward(grad);
                }
            }
            opt.step(params, 0.01f);
            for (Parameter p : params) p.clearGrad();
        }

        @Override
        public void close() {
            try (Tensor t = x) {
                opt.close();
            }
        }
    }

    public static Result inference(Graph g, Backend b, float[] images, int batch, int rounds, double roundSeconds) {
        return inference(g, b, images, batch, rounds, roundSeconds, ProgressListener.NONE);
    }

    /**
     * As {@link #inference(Graph, Backend, float[], int, int, double)}, reporting the rounds: through a dense
     * {@link GraphPredictor}, as {@code predict} and a library user run a float model (its fused conv stacks and
     * batch-norm chains included), images from the heap to logits on the heap.
     */
    public static Result inference(Graph g, Backend b, float[] images, int batch, int rounds, double roundSeconds, ProgressListener progress) {
        try (GraphPredictor p = new GraphPredictor(g, b, SparseInference.Mode.OFF)) {
            return inference(p, images, batch, rounds, roundSeconds, progress);
        }
    }

    /** Inference of any {@link Predictor} (float graph or int8 model), images from the heap to logits on the heap. */
    public static Result inference(Predictor p, float[] images, int batch, int rounds, double roundSeconds) {
        return inference(p, images, batch, rounds, roundSeconds, ProgressListener.NONE);
    }

    /** As {@link #inference(Predictor, float[], int, int, double)}, reporting the rounds. */
    public static Result inference(Predictor p, float[] images, int batch, int rounds, double roundSeconds, ProgressListener progress) {
        float[] x = Arrays.copyOf(images, batch * p.inputShape().numel());
        return measure(() -> p.logits(x, batch), batch, rounds, roundSeconds, progress, "bench inference batch " + batch);
    }

    /**
     * One predictor called by one thread and shared by {@code threads} threads, in alternating rounds (so
     * that load from other processes falls on both): median images/s of each side (all threads together)
     * and the median of the per-pair ratios, which a change of load between pairs moves least. In a shared
     * round every thread calls in a loop until the round's time is up, on its own copy of the batch; the
     * round lasts until the last call ends and counts every image.
     */
    public static Shared sharedInference(Predictor p, float[] images, int batch, int threads, int rounds, double roundSeconds) {
        return sharedInference(p, images, batch, threads, rounds, roundSeconds, ProgressListener.NONE);
    }

    /** As {@link #sharedInference(Predictor, float[], int, int, int, double)}, one step per pair of rounds. */
    public static Shared sharedInference(Predictor p, float[] images, int batch, int threads, int rounds, double roundSeconds,
                                         ProgressListener progress) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        if (rounds < 1) throw new IllegalArgumentException("rounds must be >= 1, got " + rounds);
        float[][] inputs = new float[threads][];
        for (int t = 0; t < threads; t++) inputs[t] = Arrays.copyOf(images, batch * p.inputShape().numel());
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "bench-caller");
            t.setDaemon(true);
            return t;
        });
        try {
            double warm = Math.min(0.5, roundSeconds);
            round(p, inputs, 1, batch, warm, pool);
            round(p, inputs, threads, batch, warm, pool);
            double[] one = new double[rounds];
            double[] shared = new double[rounds];
            double[] ratio = new double[rounds];
            double[] oneCpu = new double[rounds];
            double[] sharedCpu = new double[rounds];
            try (ProgressListener.Task task = progress.start("bench 1 vs " + threads + " threads", rounds, "pairs")) {
                for (int r = 0; r < rounds; r++) {
                    Round a = timedRound(p, inputs, 1, batch, roundSeconds, pool);
                    Round b = timedRound(p, inputs, threads, batch, roundSeconds, pool);
                    one[r] = a.imagesPerSecond();
                    shared[r] = b.imagesPerSecond();
                    oneCpu[r] = a.cpuMicrosPerImage();
                    sharedCpu[r] = b.cpuMicrosPerImage();
                    ratio[r] = shared[r] / one[r];
                    task.update(r + 1);
                }
            }
            Arrays.sort(ratio);
            return new Shared(sorted(one, batch), sorted(shared, batch), ratio[rounds / 2], ratio[0], ratio[rounds - 1], median(oneCpu),
                    median(sharedCpu));
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * {@link #sharedInference}: one thread's and the shared side's images/s, and the median, lowest and highest of
     * the pairs' ratios (their spread says how much of a ratio is the machine's noise).
     */
    public record Shared(Result one, Result shared, double ratio, double lowestRatio, double highestRatio, double oneCpuMicrosPerImage,
                         double sharedCpuMicrosPerImage) {}

    /** One round: images/s, and the process's CPU time per image (NaN where the JVM does not report it). */
    private record Round(double imagesPerSecond, double cpuMicrosPerImage) {}

    /**
     * {@link #round} with the CPU time of the whole process (callers, helpers, native pools) per image. On a shared
     * machine images/s measure what the other processes leave; CPU time per image measures the work, and more of
     * it with many callers than with one is overhead (threads beyond the cores, cache misses).
     */
    private static Round timedRound(Predictor p, float[][] inputs, int callers, int batch, double seconds, ExecutorService pool) {
        long c0 = processCpuNanos();
        long t0 = System.nanoTime();
        long images = round(p, inputs, callers, batch, seconds, pool);
        double wall = (System.nanoTime() - t0) / 1e9;
        long c1 = processCpuNanos();
        return new Round(images / wall, c0 < 0 || c1 < 0 ? Double.NaN : (c1 - c0) / 1e3 / images);
    }

    /** CPU time of this process so far, all threads (-1 where the JVM cannot say); also Alternating's measure of ours. */
    static long processCpuNanos() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getProcessCpuTime() : -1;
    }

    private static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c[c.length / 2];
    }

    /** Images inferred by {@code callers} threads calling {@code p} in a loop for about {@code seconds}. */
    private static long round(Predictor p, float[][] inputs, int callers, int batch, double seconds, ExecutorService pool) {
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        List<Future<Integer>> calls = new ArrayList<>();
        for (int t = 0; t < callers; t++) {
            float[] x = inputs[t];
            calls.add(pool.submit(() -> {
                int n = 0;
                do {
                    p.logits(x, batch);
                    n++;
                } while (System.nanoTime() < end);
                return n;
            }));
        }
        long images = 0;
        for (Future<Integer> f : calls) {
            try {
                images += (long) f.get() * batch;
            } catch (ExecutionException e) {
                throw new IllegalStateException("a benchmark caller failed: " + e.getCause(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
        return images;
    }

    private static Result sorted(double[] imagesPerSecond, int batch) {
        double[] v = imagesPerSecond.clone();
        Arrays.sort(v);
        return new Result(v[v.length / 2], v[0], v[v.length - 1], batch, v.length);
    }

    /** From the seconds of a call that infers {@code images} images in batches of {@code batch}. */
    private static Result result(Timing.Result t, int images, int batch) {
        return new Result(images / t.median(), images / t.slowest(), images / t.fastest(), batch, t.rounds());
    }

    private static Shape inputShape(Graph g, int batch) {
        int[] d = new int[g.inputShape().rank() + 1];
        d[0] = batch;
        for (int i = 0; i < g.inputShape().rank(); i++) d[i + 1] = g.inputShape().dim(i);
        return Shape.of(d);
    }

    private static Result measure(Runnable step, int batch, int rounds, double roundSeconds, ProgressListener progress, String name) {
        return result(Timing.secondsPerCall(step, rounds, roundSeconds, progress, name), batch, batch);
    }
}

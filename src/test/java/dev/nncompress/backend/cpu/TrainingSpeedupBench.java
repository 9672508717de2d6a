package dev.nncompress.backend.cpu;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.LossResult;
import dev.nncompress.bench.Alternating;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphPredictor;
import dev.nncompress.graph.GraphRunner;
import dev.nncompress.graph.Logits;
import dev.nncompress.graph.Parameter;
import dev.nncompress.models.Models;
import dev.nncompress.tensor.Tensor;
import dev.nncompress.train.Optimizer;
import dev.nncompress.train.OptimizerConfig;
import dev.nncompress.util.ProgressListener;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Session 10's native training forward (issue 23) against the code before it, in alternating rounds in one JVM, so that a
 * loaded machine's load falls on both sides: "before" runs conv2d forward on the routes before {@code CpuConv.Route.STACK}
 * and no conv fusion (the backend answers null to {@code conv2dReluMaxPool2dArgmax} and {@code convStack}, so the
 * conv -> ReLU [-> pool] nodes run one by one, the ReLU -> pool pairs still fused); "after" is the code as it is. Both sides go through the same
 * proxy. Plain main: {@code ... TrainingSpeedupBench [models,...] [rounds] [seconds]}.
 */
public final class TrainingSpeedupBench {
    private TrainingSpeedupBench() {}

    public static void main(String[] args) {
        List<String> models = List.of((args.length > 0 ? args[0] : "student,lenet5,teacher").split(","));
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 7;
        double seconds = args.length > 2 ? Double.parseDouble(args[2]) : 1;
        int batch = 64;
        CpuBackend cpu = new CpuBackend();
        boolean[] before = {false};
        Backend b = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, (p, m, a) -> {
            if (before[0] && (m.getName().equals("conv2dReluMaxPool2dArgmax") || m.getName().equals("convStack"))) return null;
            try {
                return m.invoke(cpu, a);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
        System.out.println("cpu backend: " + cpu.describe());
        for (String model : models) {
            Graph g = Models.byName(model, cpu, 1);
            float[] images = new float[batch * g.inputShape().numel()];
            SplittableRandom r = new SplittableRandom(7);
            for (int i = 0; i < images.length; i++) images[i] = (float) r.nextGaussian();
            int[] labels = new int[batch];
            for (int i = 0; i < batch; i++) labels[i] = r.nextInt(10);
            Graph logits = Logits.of(g);
            try (Tensor x = cpu.fromFloats(images, GraphPredictor.batchShape(g.inputShape(), batch));
                 Optimizer opt = new OptimizerConfig.Sgd(0.01f, 0.9f, 0, false).create()) {
                Runnable afterStep = () -> {
                    before[0] = false;
                    CpuConv.stackForward = true;
                    step(logits, g, b, x, labels, opt);
                };
                Runnable beforeStep = () -> {
                    before[0] = true;
                    CpuConv.stackForward = false;
                    step(logits, g, b, x, labels, opt);
                };
                if (Boolean.getBoolean("bench.threadCpu")) {
                    threadCpu(model, batch, rounds, afterStep, beforeStep);
                    continue;
                }
                Alternating.Comparison c = Alternating.compare(s -> Alternating.timed(afterStep, batch, s), s -> Alternating.timed(beforeStep, batch, s),
                        rounds, seconds, ProgressListener.NONE, "after vs before");
                System.out.printf(Locale.ROOT, "%-8s train batch %d: after %,.0f img/s, before %,.0f img/s, ratio %.3fx (pairs %.3f-%.3f), CPU us/img %.1f vs %.1f%n",
                        model, batch, c.ours().imagesPerSecond(), c.theirs().imagesPerSecond(), c.ratio(), c.lowestRatio(), c.highestRatio(),
                        c.ours().cpuMicrosPerImage(), c.theirs().cpuMicrosPerImage());
            } finally {
                CpuConv.stackForward = true;
            }
        }
    }

    /**
     * The steadier reading on a loaded machine (run single-threaded: -Dnncompress.cpu.javaThreads=1, OMP_NUM_THREADS=1,
     * OPENBLAS_NUM_THREADS=1): the calling thread's CPU time over {@code rounds} alternating blocks of 20 steps per side,
     * which time spent waiting for a core does not inflate. Prints the sums' ratio and each block pair's.
     */
    static void threadCpu(String model, int batch, int rounds, Runnable after, Runnable before) {
        java.lang.management.ThreadMXBean tmx = java.lang.management.ManagementFactory.getThreadMXBean();
        int steps = 20;
        for (int i = 0; i < 40; i++) { after.run(); before.run(); } // warm-up (JIT)
        long sumAfter = 0, sumBefore = 0;
        double lo = Double.MAX_VALUE, hi = 0;
        for (int r = 0; r < rounds; r++) {
            long t0 = tmx.getCurrentThreadCpuTime();
            for (int i = 0; i < steps; i++) after.run();
            long t1 = tmx.getCurrentThreadCpuTime();
            for (int i = 0; i < steps; i++) before.run();
            long t2 = tmx.getCurrentThreadCpuTime();
            sumAfter += t1 - t0;
            sumBefore += t2 - t1;
            double ratio = (double) (t2 - t1) / (t1 - t0);
            lo = Math.min(lo, ratio);
            hi = Math.max(hi, ratio);
        }
        double n = (double) rounds * steps * batch;
        System.out.printf(Locale.ROOT, "%-8s train batch %d, one thread, thread CPU: after %.1f us/img, before %.1f us/img, before/after %.3fx (blocks %.3f-%.3f)%n",
                model, batch, sumAfter / 1e3 / n, sumBefore / 1e3 / n, (double) sumBefore / sumAfter, lo, hi);
    }

    static void step(Graph logits, Graph g, Backend b, Tensor x, int[] labels, Optimizer opt) {
        try (GraphRunner run = new GraphRunner(logits, b, true, 0)) {
            LossResult l = b.softmaxCrossEntropy(run.forward(x), labels);
            try (Tensor grad = l.gradLogits()) {
                run.backward(grad);
            }
        }
        opt.step(g.trainableParams(), 0.01f);
        for (Parameter p : g.trainableParams()) p.clearGrad();
    }
}

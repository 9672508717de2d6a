package dev.nncompress.graph;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.LossResult;
import dev.nncompress.backend.cpu.CpuBackend;
import dev.nncompress.bench.CompressionSteps;
import dev.nncompress.models.Models;
import dev.nncompress.tensor.Tensor;
import dev.nncompress.train.Optimizer;
import dev.nncompress.train.OptimizerConfig;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Where a training step's time goes, by backend call: the backend behind a proxy that times every call (the
 * optimizer's calls go to the tensors' own backend and are timed as one block). Plain main, not a test:
 * {@code ... TrainingStepProfile [model] [steps] [batch]}; model {@code distill:MODEL} profiles a distillation step of MODEL from a
 * live built-in teacher, {@code qat:MODEL} a QAT step ({@link CompressionSteps}).
 */
public final class TrainingStepProfile {
    private TrainingStepProfile() {}

    public static void main(String[] args) {
        String model = args.length > 0 ? args[0] : "student";
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        int batch = args.length > 2 ? Integer.parseInt(args[2]) : 64;
        CpuBackend cpu = new CpuBackend();
        Map<String, long[]> calls = new TreeMap<>();
        boolean[] on = {false};
        // -Dprofile.cpu=true: the calling thread's CPU time (run single-threaded: javaThreads=1, OMP/OPENBLAS 1), steady under load
        boolean cpuTime = Boolean.getBoolean("profile.cpu");
        java.lang.management.ThreadMXBean tmx = java.lang.management.ManagementFactory.getThreadMXBean();
        java.util.function.LongSupplier clock = cpuTime ? tmx::getCurrentThreadCpuTime : System::nanoTime;
        Backend b = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, (p, m, a) -> {
            long t0 = clock.getAsLong();
            try {
                return m.invoke(cpu, a);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            } finally {
                if (on[0]) {
                    String key = m.getName() + (a != null && a.length > 0 && a[0] instanceof Tensor t ? " " + t.shape() : "");
                    long[] c = calls.computeIfAbsent(key, k -> new long[2]);
                    c[0]++;
                    c[1] += clock.getAsLong() - t0;
                }
            }
        });
        String[] kind = model.split(":");
        Graph g = Models.byName(kind[kind.length - 1], cpu, 1);
        float[] images = new float[batch * g.inputShape().numel()];
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < images.length; i++) images[i] = (float) r.nextGaussian();
        int[] labels = new int[batch];
        for (int i = 0; i < batch; i++) labels[i] = r.nextInt(10);
        if (kind.length == 2) { // distill:MODEL (from a live teacher) or qat:MODEL, as the Trainer runs them
            try (CompressionSteps.Step step = kind[0].equals("distill")
                    ? CompressionSteps.distillation(g, Models.byName("teacher", cpu, 2), b, images, labels, batch)
                    : CompressionSteps.qat(g, b, images, labels, batch)) {
                profile(model, batch, steps, step, calls, on, clock);
            }
            return;
        }
        Graph logits = Logits.of(g);
        try (Tensor x = cpu.fromFloats(images, GraphPredictor.batchShape(g.inputShape(), batch));
             Optimizer opt = new OptimizerConfig.Sgd(0.01f, 0.9f, 0, false).create()) {
            long optNs = 0, totalNs = 0;
            for (int s = 0; s < 2 * steps; s++) {
                on[0] = s >= steps;
                long t0 = clock.getAsLong();
                try (GraphRunner run = new GraphRunner(logits, b, true, 0)) {
                    LossResult l = b.softmaxCrossEntropy(run.forward(x), labels);
                    try (Tensor grad = l.gradLogits()) {
                        run.backward(grad);
                    }
                }
                long t1 = clock.getAsLong();
                opt.step(g.trainableParams(), 0.01f);
                for (Parameter p : g.trainableParams()) p.clearGrad();
                long t2 = clock.getAsLong();
                if (on[0]) {
                    optNs += t2 - t1;
                    totalNs += t2 - t0;
                }
            }
            long inCalls = 0;
            System.out.printf(Locale.ROOT, "%s batch %d: %.1f us/step (%.2f us/img), %d steps%n", model, batch, totalNs / 1e3 / steps,
                    totalNs / 1e3 / steps / batch, steps);
            for (Map.Entry<String, long[]> e : calls.entrySet()) {
                long[] c = e.getValue();
                inCalls += c[1];
                System.out.printf(Locale.ROOT, "  %-44s %6.1f calls/step %9.1f us/step %7.1f us/call%n", e.getKey(), (double) c[0] / steps,
                        c[1] / 1e3 / steps, c[1] / 1e3 / c[0]);
            }
            System.out.printf(Locale.ROOT, "  %-44s %6s %9.1f us/step%n", "optimizer+clearGrad", "", optNs / 1e3 / steps);
            System.out.printf(Locale.ROOT, "  %-44s %6s %9.1f us/step%n", "rest (runner, JVM)", "", (totalNs - inCalls - optNs) / 1e3 / steps);
        }
    }

    /** {@code step}'s calls through the timing proxy; what is not a call of it (optimizer, fake quantisation on the tensors' own backend) is "rest". */
    private static void profile(String model, int batch, int steps, Runnable step, Map<String, long[]> calls, boolean[] on,
                                java.util.function.LongSupplier clock) {
        long totalNs = 0;
        for (int s = 0; s < 2 * steps; s++) {
            on[0] = s >= steps;
            long t0 = clock.getAsLong();
            step.run();
            if (on[0]) totalNs += clock.getAsLong() - t0;
        }
        long inCalls = 0;
        System.out.printf(Locale.ROOT, "%s batch %d: %.1f us/step (%.2f us/img), %d steps%n", model, batch, totalNs / 1e3 / steps,
                totalNs / 1e3 / steps / batch, steps);
        for (Map.Entry<String, long[]> e : calls.entrySet()) {
            long[] c = e.getValue();
            inCalls += c[1];
            System.out.printf(Locale.ROOT, "  %-44s %6.1f calls/step %9.1f us/step %7.1f us/call%n", e.getKey(), (double) c[0] / steps,
                    c[1] / 1e3 / steps, c[1] / 1e3 / c[0]);
        }
        System.out.printf(Locale.ROOT, "  %-44s %6s %9.1f us/step%n", "rest (optimizer, hooks, runner, JVM)", "", (totalNs - inCalls) / 1e3 / steps);
    }
}

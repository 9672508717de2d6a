package dev.nncompress.backend.cpu;

import dev.nncompress.bench.Alternating;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphPredictor;
import dev.nncompress.graph.Logits;
import dev.nncompress.models.Models;
import dev.nncompress.tensor.Tensor;
import dev.nncompress.train.Optimizer;
import dev.nncompress.train.OptimizerConfig;
import dev.nncompress.util.ProgressListener;

import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Whole training steps (SGD, batch 64) with the AVX-512 conv backward ({@link NativeConvGrad}, "new") against the routes
 * before it ("old": oneDNN, the gemm route, DirectConv), alternating rounds in one JVM so a loaded machine's load falls
 * on both sides. Plain main: {@code ... ConvGradStepBench [models,...] [rounds] [seconds]}; with {@code -Dbench.threadCpu=true}
 * (and one thread: -Dnncompress.cpu.javaThreads=1, OMP_NUM_THREADS=1, OPENBLAS_NUM_THREADS=1) the calling thread's CPU time
 * ({@link TrainingSpeedupBench#threadCpu}).
 */
public final class ConvGradStepBench {
    private ConvGradStepBench() {}

    public static void main(String[] args) {
        List<String> models = List.of((args.length > 0 ? args[0] : "student,lenet5,teacher").split(","));
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 7;
        double seconds = args.length > 2 ? Double.parseDouble(args[2]) : 1;
        int batch = 64;
        CpuBackend cpu = new CpuBackend();
        boolean available = NativeConvGrad.available();
        System.out.println("cpu backend: " + cpu.describe() + (available ? "" : " (no AVX-512 conv backward: both sides the same)"));
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
                Runnable newStep = () -> {
                    NativeConvGrad.enabled = available;
                    TrainingSpeedupBench.step(logits, g, cpu, x, labels, opt);
                };
                Runnable oldStep = () -> {
                    NativeConvGrad.enabled = false;
                    TrainingSpeedupBench.step(logits, g, cpu, x, labels, opt);
                };
                if (Boolean.getBoolean("bench.threadCpu")) { // one thread's CPU time, steady under load ("after" = new, "before" = old)
                    TrainingSpeedupBench.threadCpu(model, batch, rounds, newStep, oldStep);
                    continue;
                }
                Alternating.Comparison c = Alternating.compare(s -> Alternating.timed(newStep, batch, s), s -> Alternating.timed(oldStep, batch, s),
                        rounds, seconds, ProgressListener.NONE, "new vs old");
                System.out.printf(Locale.ROOT, "%-8s train batch %d: new %,.0f img/s, old %,.0f img/s, ratio %.3fx (pairs %.3f-%.3f), CPU us/img %.1f vs %.1f%n",
                        model, batch, c.ours().imagesPerSecond(), c.theirs().imagesPerSecond(), c.ratio(), c.lowestRatio(), c.highestRatio(),
                        c.ours().cpuMicrosPerImage(), c.theirs().cpuMicrosPerImage());
            } finally {
                NativeConvGrad.enabled = available;
            }
        }
    }
}

package dev.nncompress.graph;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.LossResult;
import dev.nncompress.backend.cpu.CpuBackend;
import dev.nncompress.bench.Alternating;
import dev.nncompress.models.Models;
import dev.nncompress.tensor.Tensor;
import dev.nncompress.train.Optimizer;
import dev.nncompress.train.OptimizerConfig;
import dev.nncompress.util.ProgressListener;

import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Training steps with the ReLU -> max-pool pairs fused ({@link TrainingFusion}) against the same steps node by node (an
 * identity output hook turns the fusion off), in alternating rounds in one JVM: the speed-up of the fusion alone.
 * Plain main, not a JUnit test: {@code ... TrainingFusionBench [models,...] [rounds] [seconds] [batch]}.
 */
public final class TrainingFusionBench {
    private TrainingFusionBench() {}

    public static void main(String[] args) {
        List<String> models = List.of((args.length > 0 ? args[0] : "student,lenet5,teacher").split(","));
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        double seconds = args.length > 2 ? Double.parseDouble(args[2]) : 2;
        int batch = args.length > 3 ? Integer.parseInt(args[3]) : 64;
        Backend b = new CpuBackend();
        System.out.println("cpu backend: " + b.describe());
        for (String m : models) {
            Graph g = Models.byName(m, b, 1);
            float[] images = new float[batch * g.inputShape().numel()];
            SplittableRandom r = new SplittableRandom(7);
            for (int i = 0; i < images.length; i++) images[i] = (float) r.nextGaussian();
            int[] labels = new int[batch];
            for (int i = 0; i < batch; i++) labels[i] = r.nextInt(10);
            GraphRunner.OutputHook unfused = (node, t) -> t;
            try (Tensor x = b.fromFloats(images, GraphPredictor.batchShape(g.inputShape(), batch));
                 Optimizer opt = new OptimizerConfig.Sgd(0.01f, 0.9f, 0, false).create()) {
                Graph logits = Logits.of(g);
                Runnable fusedStep = () -> step(logits, g, b, x, labels, opt, GraphRunner.OutputHook.NONE);
                Runnable plainStep = () -> step(logits, g, b, x, labels, opt, unfused);
                Alternating.Comparison c = Alternating.compare(s -> Alternating.timed(fusedStep, batch, s), s -> Alternating.timed(plainStep, batch, s),
                        rounds, seconds, ProgressListener.NONE, "fused vs unfused");
                System.out.printf(Locale.ROOT, "%-8s train batch %d: fused %,.0f img/s, unfused %,.0f img/s, ratio %.3fx (pairs %.3f-%.3f), CPU us/img %.1f vs %.1f%n",
                        m, batch, c.ours().imagesPerSecond(), c.theirs().imagesPerSecond(), c.ratio(), c.lowestRatio(), c.highestRatio(),
                        c.ours().cpuMicrosPerImage(), c.theirs().cpuMicrosPerImage());
            }
        }
    }

    private static void step(Graph logits, Graph g, Backend b, Tensor x, int[] labels, Optimizer opt, GraphRunner.OutputHook hook) {
        try (GraphRunner run = new GraphRunner(logits, b, true, 0)) {
            LossResult l = b.softmaxCrossEntropy(run.forward(x, hook), labels);
            try (Tensor grad = l.gradLogits()) {
                run.backward(grad, hook);
            }
        }
        opt.step(g.trainableParams(), 0.01f);
        for (Parameter p : g.trainableParams()) p.clearGrad();
    }
}

package dev.nncompress.backend.cpu;

import dev.nncompress.bench.Alternating;
import dev.nncompress.bench.CompressionSteps;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphPredictor;
import dev.nncompress.graph.Logits;
import dev.nncompress.models.Models;
import dev.nncompress.util.ProgressListener;

import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Session 10's QAT change on the CPU (issue 23) against the code before it, in alternating rounds in one JVM: "before" runs
 * fake quantisation and the observers' min/max on the Java loops through heap copies ({@code NativeFakeQuant.variant = -1}),
 * "after" natively (max-pool and flatten outputs are left alone on both sides: that change has no switch). Also the live
 * teacher's inference per image at batch 64 (a distillation step's) against batch 256 (the inference bench's), to show the
 * teacher's fused conv stacks keep their speed at the training batch. Plain main:
 * {@code ... QatSpeedupBench [models,...] [rounds] [seconds]}.
 */
public final class QatSpeedupBench {
    private QatSpeedupBench() {}

    public static void main(String[] args) {
        List<String> models = List.of((args.length > 0 ? args[0] : "student,lenet5,teacher").split(","));
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 7;
        double seconds = args.length > 2 ? Double.parseDouble(args[2]) : 1;
        int batch = 64;
        CpuBackend cpu = new CpuBackend();
        int best = NativeFakeQuant.variant;
        System.out.println("cpu backend: " + cpu.describe() + "; native fake-quant variant " + best);
        float[] images = new float[256 * 28 * 28];
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < images.length; i++) images[i] = (float) r.nextGaussian();
        int[] labels = new int[batch];
        for (int i = 0; i < batch; i++) labels[i] = r.nextInt(10);
        try {
            for (String model : models) {
                try (CompressionSteps.Step step = CompressionSteps.qat(Models.byName(model, cpu, 1), cpu, images, labels, batch)) {
                    Runnable after = () -> { NativeFakeQuant.variant = best; step.run(); };
                    Runnable before = () -> { NativeFakeQuant.variant = -1; step.run(); };
                    Alternating.Comparison c = Alternating.compare(s -> Alternating.timed(after, batch, s), s -> Alternating.timed(before, batch, s),
                            rounds, seconds, ProgressListener.NONE, "qat after vs before");
                    print(model + " qat batch " + batch, c);
                }
            }
        } finally {
            NativeFakeQuant.variant = best;
        }
        Graph teacher = Logits.of(Models.byName("teacher", cpu, 2));
        try (GraphPredictor p = new GraphPredictor(teacher, cpu)) {
            float[] x64 = java.util.Arrays.copyOf(images, 64 * 28 * 28);
            Alternating.Comparison c = Alternating.compare(s -> Alternating.timed(() -> p.logits(x64, 64), 64, s),
                    s -> Alternating.timed(() -> p.logits(images, 256), 256, s), rounds, seconds, ProgressListener.NONE, "teacher 64 vs 256");
            print("teacher inference batch 64 vs 256", c);
        }
    }

    private static void print(String what, Alternating.Comparison c) {
        System.out.printf(Locale.ROOT, "%-36s %,9.0f vs %,9.0f img/s, ratio %.3fx (pairs %.3f-%.3f), CPU us/img %.1f vs %.1f%n", what,
                c.ours().imagesPerSecond(), c.theirs().imagesPerSecond(), c.ratio(), c.lowestRatio(), c.highestRatio(), c.ours().cpuMicrosPerImage(),
                c.theirs().cpuMicrosPerImage());
    }
}

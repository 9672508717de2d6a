package dev.nncompress.int8;

import dev.nncompress.backend.cpu.Int8KernelChoice;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.io.Int8ModelIO;

import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Where the int8 engine's time goes (not a test): {@code Int8Profile MODEL [threads] [kernels]} runs
 * batches of 256 random images, 50 to warm up and 100 timed, and prints ms per batch per node. MODEL: an
 * int8 model file, or a built-in model name (random weights, converted as {@code bench --int8} does:
 * minmax calibration on 256 Fashion-MNIST training images).
 */
public final class Int8Profile {
    public static void main(String[] args) {
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        Int8Model model = args[0].endsWith(".safetensors") ? Int8ModelIO.load(Path.of(args[0])).model() : builtIn(args[0]);
        Int8Runner warm = new Int8Runner(model, Int8KernelChoice.choose(args.length > 2 ? args[2] : "auto", threads).kernels(), new ReferenceBackend());
        int n = 256;
        int reps = model.name().equals("teacher") ? 10 : 100;
        float[] x = new float[n * (int) model.inputShape().numel()];
        SplittableRandom rnd = new SplittableRandom(1);
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextDouble();
        for (int i = 0; i < reps / 2; i++) warm.logits(x, n);
        Int8Runner run = new Int8Runner(model, warm.backend());
        long t0 = System.nanoTime();
        for (int i = 0; i < reps; i++) run.logits(x, n);
        double total = (System.nanoTime() - t0) / 1e6 / reps;
        System.out.printf("%s, %d threads: %.2f ms per batch of %d%n", run.kernelsName(), threads, total, n);
        for (Map.Entry<String, Double> e : run.millisPerNode().entrySet()) System.out.printf("  %-10s %7.2f ms%n", e.getKey(), e.getValue() / reps);
    }

    private static Int8Model builtIn(String name) {
        ReferenceBackend ref = new ReferenceBackend();
        dev.nncompress.data.Dataset images = dev.nncompress.data.FashionMnist.train(dev.nncompress.data.FashionMnist.DEFAULT_DIR, 256);
        dev.nncompress.graph.Graph g = dev.nncompress.compress.prepare.GraphPreparation.forInference(
                dev.nncompress.models.Models.byName(name, ref, 0)).graph();
        dev.nncompress.compress.quant.calib.QuantPlan plan = new dev.nncompress.compress.quant.calib.Calibrator("minmax", 256, 256, null)
                .calibrate(dev.nncompress.compress.quant.calib.QuantTargets.of(g), images, ref);
        return dev.nncompress.compress.quant.convert.Int8Converter.convert(g, plan, Map.of("source", name));
    }
}

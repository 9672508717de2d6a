package dev.nncompress.int8;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.cpu.CpuBackend;
import dev.nncompress.backend.cpu.Int8KernelChoice;
import dev.nncompress.compress.prepare.GraphPreparation;
import dev.nncompress.compress.quant.calib.Calibrator;
import dev.nncompress.compress.quant.calib.QuantPlan;
import dev.nncompress.compress.quant.calib.QuantTargets;
import dev.nncompress.compress.quant.convert.Int8Converter;
import dev.nncompress.data.Dataset;
import dev.nncompress.data.FashionMnist;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphPredictor;
import dev.nncompress.graph.Predictor;
import dev.nncompress.io.onnx.OnnxFixtures;
import dev.nncompress.io.onnx.OnnxImporter;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

/**
 * int8 vs float CPU inference speed of an ONNX fixture, side by side (not a test):
 * {@code OnnxInt8Speed [MODEL] [ROUNDS]} (default mobilenetv2, 15) converts it as {@link OnnxInt8Accuracy} does, then
 * alternates one float and one int8 round (8 batches of 256 Fashion-MNIST test images each) after 3 warm-up
 * rounds, and prints the median images/s of each and the median of the per-round ratios: alternating keeps a
 * shared machine's load changes from favouring either.
 */
public final class OnnxInt8Speed {
    public static void main(String[] args) {
        String name = args.length > 0 ? args[0] : "mobilenetv2";
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 15, batch = 256, batches = 8;
        boolean padded = name.startsWith("se_resnet");
        Dataset train = FashionMnist.train(FashionMnist.DEFAULT_DIR, 1000), test = FashionMnist.test(FashionMnist.DEFAULT_DIR, batch * batches);
        if (padded) {
            train = OnnxInt8Accuracy.pad(train);
            test = OnnxInt8Accuracy.pad(test);
        }
        try (Backend cpu = new CpuBackend()) {
            Graph g = GraphPreparation.forInference(OnnxImporter.importFile(OnnxFixtures.file(name), cpu).graph()).graph();
            QuantPlan plan = new Calibrator("minmax", 1000, 256, null).calibrate(QuantTargets.of(g), train, cpu);
            Int8Model m = Int8Converter.convert(g, plan, Map.of("source", name));
            try (GraphPredictor f = new GraphPredictor(g, cpu);
                 Int8Runner q = new Int8Runner(m, Int8KernelChoice.choose("auto", Int8KernelChoice.defaultThreads()).kernels(), cpu)) {
                double[] fps = new double[rounds], qps = new double[rounds], ratio = new double[rounds];
                for (int r = -3; r < rounds; r++) {
                    double a = imagesPerSecond(f, test, batch), b = imagesPerSecond(q, test, batch);
                    if (r < 0) continue;
                    fps[r] = a;
                    qps[r] = b;
                    ratio[r] = b / a;
                }
                System.out.printf(Locale.ROOT, "%s, batch %d, %d alternated rounds: float %.0f img/s, int8 %.0f img/s (%s), int8/float %.2fx (per-round ratios %.2f..%.2f)%n",
                        name, batch, rounds, median(fps), median(qps), q.kernelsName(), median(ratio), min(ratio), max(ratio));
            }
        }
    }

    private static double imagesPerSecond(Predictor p, Dataset d, int batch) {
        int per = d.exampleSize();
        float[] all = d.images();
        long t = System.nanoTime();
        for (int i = 0; i + batch <= d.count(); i += batch) p.logits(Arrays.copyOfRange(all, i * per, (i + batch) * per), batch);
        return d.count() / ((System.nanoTime() - t) / 1e9);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    private static double min(double[] v) { return Arrays.stream(v).min().orElse(0); }

    private static double max(double[] v) { return Arrays.stream(v).max().orElse(0); }
}

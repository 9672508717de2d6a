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
import dev.nncompress.io.onnx.OnnxFixtures;
import dev.nncompress.io.onnx.OnnxImporter;
import dev.nncompress.train.EvalResult;
import dev.nncompress.train.Evaluator;
import dev.nncompress.train.TrainListener;

import java.util.Locale;
import java.util.Map;

/**
 * Issue 17's measurement (not a test): {@code OnnxInt8Accuracy [MODEL...]} imports each trained ONNX fixture
 * (default mobilenetv2, squeezenet, se_resnet), PTQ as {@code nncompress quantize} does (prepare, minmax on the
 * first 1,000 training images, convert) and prints float vs int8-engine accuracy on the whole Fashion-MNIST
 * test set, the nodes still run in float, and both passes' images/s (CPU backend; int8 on the chosen kernels);
 * {@code -Dobserver=NAME} calibrates with another observer, {@code -Dsimulate=true} adds the simulated-int8 accuracy of the same plan, {@code -Dprofile=true} int8 time per op type.
 * se_resnet reads Fashion-MNIST as its script trained it: raw pixels padded with zeros (black, centred) to
 * 32x32, grey repeated to 3 channels, then normalised.
 */
public final class OnnxInt8Accuracy {
    public static void main(String[] args) {
        String[] names = args.length > 0 ? args : new String[] {"mobilenetv2", "squeezenet", "se_resnet"};
        Dataset train = FashionMnist.train(FashionMnist.DEFAULT_DIR, 1000), test = FashionMnist.test(FashionMnist.DEFAULT_DIR);
        try (Backend cpu = new CpuBackend()) {
            for (String name : names) {
                boolean padded = name.startsWith("se_resnet");
                Dataset calib = padded ? pad(train) : train, eval = padded ? pad(test) : test;
                Graph g = GraphPreparation.forInference(OnnxImporter.importFile(OnnxFixtures.file(name), cpu).graph()).graph();
                QuantPlan plan = new Calibrator(System.getProperty("observer", "minmax"), 1000, 256, null).calibrate(QuantTargets.of(g), calib, cpu);
                Int8Model m = Int8Converter.convert(g, plan, Map.of("source", name));
                Evaluator ev = new Evaluator(cpu, 256);
                EvalResult f = ev.evaluate(g, eval);
                try (Int8Runner r = new Int8Runner(m, Int8KernelChoice.choose("auto", Int8KernelChoice.defaultThreads()).kernels(), cpu)) {
                    EvalResult q = ev.evaluate(r, eval, TrainListener.NONE);
                    System.out.printf(Locale.ROOT, "%-12s float %.2f%% (%.0f img/s), int8 %.2f%% (%.0f img/s, %s), delta %+.2f points; %s; float nodes: %s%n",
                            name, 100.0 * f.accuracy(), f.imagesPerSecond(), 100.0 * q.accuracy(), q.imagesPerSecond(), r.kernelsName(),
                            100.0 * (q.accuracy() - f.accuracy()), r.summary(), r.floatFallbacks());
                    if (Boolean.getBoolean("simulate")) { // the simulation of the same plan on the same images: PTQ's own loss
                        var sim = dev.nncompress.compress.quant.calib.SimulatedAccuracy.measure(g, plan, eval, cpu, 256);
                        System.out.printf(Locale.ROOT, "  simulated int8 %.2f%% (float %.2f%%)%n", 100 * sim.int8Accuracy(), 100 * sim.floatAccuracy());
                    }
                    if (Boolean.getBoolean("profile")) { // where the int8 time went, summed per op type
                        Map<String, Double> perOp = new java.util.TreeMap<>();
                        r.millisPerNode().forEach((node, ms) -> perOp.merge(node.equals(Graph.INPUT) ? "INPUT" : m.node(node).op()
                                + (m.weights().containsKey(node) && Int8Forms.depthwise(m.node(node), m.weights().get(node).shape()) ? " depthwise" : ""), ms, Double::sum));
                        System.out.println("  int8 ms per op type over the test set: " + perOp);
                    }
                }
            }
        }
    }

    /** Fashion-MNIST as se_resnet's script fed it (onnx_fixtures/data.py: load(size=32, channels=3)). */
    static Dataset pad(Dataset d) {
        float zero = (0 / 255f - FashionMnist.MEAN) / FashionMnist.STD; // a black pixel, normalised as FashionMnist does
        int n = d.count();
        float[] src = d.images(), out = new float[n * 3 * 32 * 32];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = d.label(i);
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < 32; y++) {
                    for (int x = 0; x < 32; x++) {
                        boolean inside = y >= 2 && y < 30 && x >= 2 && x < 30;
                        out[((i * 3 + c) * 32 + y) * 32 + x] = inside ? src[i * 784 + (y - 2) * 28 + (x - 2)] : zero;
                    }
                }
            }
        }
        return new Dataset(out, labels, 3, 32, 32, d.numClasses());
    }
}

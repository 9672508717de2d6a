package dev.nncompress.backend.cpu;

import dev.nncompress.bench.HalfWidth;
import dev.nncompress.compress.prepare.GraphPreparation;
import dev.nncompress.data.FashionMnist;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphPredictor;
import dev.nncompress.graph.GraphRunner;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.ops.Conv2dOp;
import dev.nncompress.io.onnx.OnnxImporter;
import dev.nncompress.tensor.Tensor;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Issue 17's speed target on the CPU backend: the imported MobileNetV2-style fixture
 * ({@code src/test/resources/onnx/mobilenetv2.onnx}) beside the same network at half width
 * ({@link HalfWidth}: every hidden channel space halved, as uniform 50% structured pruning leaves it),
 * measured side by side in one run, full and half in alternating rounds:
 * <ul>
 *   <li>a per-op profile of one inference pass (time between consecutive node outputs, by op kind;
 *       "runner" is what the pass spends outside the nodes: input copy, output copy, freeing); wall time, or with
 *       {@code cpu} the calling thread's CPU time, which is robust to other processes but complete only when all
 *       work runs on the calling thread: run it single-threaded ({@code -Dnncompress.cpu.javaThreads=1} with
 *       {@code OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1});
 *   <li>the full/half ratio at each batch size, by wall time and by process CPU time (all threads),
 *       each the median of alternating rounds after a few seconds of alternating warm-up; the machine is
 *       shared, so the CPU-time ratio is the steadier one when other processes take cores. These go through
 *       {@link GraphPredictor}, which runs conv -> BN -> Clip chains fused; the profile runs node by node.
 * </ul>
 * Both graphs are run as imported (BN as its own node) and, with {@code prepared}, after
 * {@link GraphPreparation#forInference} (BN folded into the convs). Every half-width logit is checked
 * finite (a sanity check; the kernels' correctness is the contract tests' job).
 * Not a JUnit test; run with
 * {@code java -cp target/classes:target/test-classes:target/lib/* dev.nncompress.backend.cpu.MobileNetWidthBench [quick] [prepared] [cpu] [batches=1,32,256] [pruned=FILE]}:
 * {@code pruned=FILE} measures a pruned model file of the fixture (e.g. {@code prune --channel-allocation global}'s, whose
 * structure is not half width) in the half-width model's place.
 */
public final class MobileNetWidthBench {
    private MobileNetWidthBench() {}

    /** Seconds both predictors run, alternating, before the measured rounds of each batch size. */
    private static final double WARM_UP_SECONDS = 3;

    public static void main(String[] args) {
        List<String> a = List.of(args);
        double roundSeconds = a.contains("quick") ? 0.15 : 0.4;
        int rounds = a.contains("quick") ? 5 : 9;
        int[] batches = a.stream().filter(s -> s.startsWith("batches=")).findFirst()
                .map(s -> Arrays.stream(s.substring(8).split(",")).mapToInt(Integer::parseInt).toArray()).orElse(new int[] {1, 32, 256});
        CpuBackend b = CpuBackendBench.B;
        System.out.println("cpu: " + b.describe());
        Graph full = OnnxImporter.importFile(Path.of("src/test/resources/onnx/mobilenetv2.onnx"), b).graph();
        if (a.contains("prepared")) full = GraphPreparation.forInference(full).graph();
        String prunedFile = a.stream().filter(s -> s.startsWith("pruned=")).findFirst().map(s -> s.substring(7)).orElse(null);
        Graph half = prunedFile == null ? HalfWidth.of(full) : dev.nncompress.io.ModelIO.load(Path.of(prunedFile), b).graph();
        if (prunedFile != null && a.contains("prepared")) half = GraphPreparation.forInference(half).graph();
        if (prunedFile != null) System.out.println("\"half\" below is " + prunedFile);
        System.out.printf(Locale.ROOT, "model %s: %,d params; half width: %,d params%s%n", full.name(), full.parameterCount(), half.parameterCount(),
                a.contains("prepared") ? " (BN folded, prepared for inference)" : " (as imported)");
        int maxBatch = Arrays.stream(batches).max().orElse(1);
        float[] images = FashionMnist.train(FashionMnist.DEFAULT_DIR, maxBatch).images();

        boolean cpuClock = a.contains("cpu");
        java.util.function.LongSupplier clock = cpuClock ? ManagementFactory.getThreadMXBean()::getCurrentThreadCpuTime : System::nanoTime;
        long c0 = clock.getAsLong();
        for (int i = 0; i < 10000; i++) clock.getAsLong();
        // each node's time holds about one clock read, "runner" about one more per node: matters at batch 1 only
        System.out.printf(Locale.ROOT, "profile clock: %s (one read %.2f us); java threads %d%n", cpuClock ? "calling thread's CPU time" : "wall time",
                (clock.getAsLong() - c0) / 1e3 / 10000, CpuPar.threads());
        for (int n : batches) {
            profile(b, full, half, images, n, roundSeconds, cpuClock);
        }
        System.out.println();
        System.out.printf(Locale.ROOT, "%-6s %14s %14s %8s   %14s %14s %8s%n", "batch", "full ms/img", "half ms/img", "ratio",
                "full cpu-ms/img", "half cpu-ms/img", "ratio");
        for (int n : batches) ratio(b, full, half, images, n, rounds, roundSeconds);
    }

    /** Op kind of a node for the profile: convs split into depthwise, pointwise (1x1) and other. */
    static String kind(Graph g, Node n) {
        if (n.op() != dev.nncompress.graph.OpType.CONV2D) return n.op().name().toLowerCase(Locale.ROOT);
        int[] w = g.param(n.paramName("weight")).value().shape().dims();
        int groups = Conv2dOp.spec(n).groups();
        if (groups > 1 && w[1] == 1) return "conv depthwise s" + Conv2dOp.spec(n).strideH();
        if (w[2] == 1 && w[3] == 1) return "conv 1x1";
        return "conv " + w[2] + "x" + w[3];
    }

    private static void profile(CpuBackend b, Graph full, Graph half, float[] images, int n, double roundSeconds, boolean cpuClock) {
        java.util.function.LongSupplier clock = cpuClock ? ManagementFactory.getThreadMXBean()::getCurrentThreadCpuTime : System::nanoTime;
        Map<String, double[]> fullT = nodeTimes(b, full, images, n, roundSeconds, clock), halfT = nodeTimes(b, half, images, n, roundSeconds, clock);
        double fullSum = fullT.values().stream().mapToDouble(v -> v[0]).sum(), halfSum = halfT.values().stream().mapToDouble(v -> v[0]).sum();
        System.out.printf(Locale.ROOT, "%nper-op profile, batch %d (median pass, microseconds per pass; share of the pass)%n", n);
        System.out.printf(Locale.ROOT, "  %-22s %5s %12s %7s %12s %7s %7s%n", "op", "nodes", "full us", "share", "half us", "share", "ratio");
        for (String k : fullT.keySet()) {
            double f = fullT.get(k)[0], h = halfT.get(k)[0];
            System.out.printf(Locale.ROOT, "  %-22s %5.0f %12.1f %6.1f%% %12.1f %6.1f%% %6.2fx%n", k, fullT.get(k)[1], f, 100 * f / fullSum, h,
                    100 * h / halfSum, f / h);
        }
        System.out.printf(Locale.ROOT, "  %-22s %5s %12.1f %7s %12.1f %7s %6.2fx%n", "total", "", fullSum, "", halfSum, "", fullSum / halfSum);
    }

    /**
     * Per kind {median microseconds per pass, node count}: each pass's time between consecutive node
     * outputs (the output hook runs right after each node), plus the "runner" remainder of the whole
     * predictor-like call (input copy, logits copy, close). Medians over the passes of one round.
     */
    private static Map<String, double[]> nodeTimes(CpuBackend b, Graph g, float[] images, int n, double roundSeconds, java.util.function.LongSupplier clock) {
        Map<String, String> kindOf = new TreeMap<>();
        Map<String, Integer> counts = new TreeMap<>();
        for (Node node : g.nodes()) {
            kindOf.put(node.name(), kind(g, node));
            counts.merge(kind(g, node), 1, Integer::sum);
        }
        counts.put("runner", 0);
        float[] in = Arrays.copyOf(images, n * g.inputShape().numel());
        List<Map<String, Double>> passes = new java.util.ArrayList<>();
        long start = System.nanoTime();
        int pass = 0;
        while (pass < 5 || System.nanoTime() - start < 2 * roundSeconds * 1e9) {
            Map<String, Double> t = new TreeMap<>();
            long[] last = {0};
            long t0 = clock.getAsLong();
            try (GraphRunner run = new GraphRunner(g, b, false, 0);
                 Tensor x = b.fromFloats(in, GraphPredictor.batchShape(g.inputShape(), n))) {
                last[0] = clock.getAsLong();
                run.forward(x, (name, y) -> {
                    long now = clock.getAsLong();
                    if (!name.equals(dev.nncompress.graph.Graph.INPUT)) t.merge(kindOf.get(name), (now - last[0]) / 1e3, Double::sum);
                    last[0] = clock.getAsLong();
                    return y;
                }).toFloatArray();
            }
            double nodes = t.values().stream().mapToDouble(Double::doubleValue).sum();
            t.put("runner", (clock.getAsLong() - t0) / 1e3 - nodes);
            if (pass++ >= 3) passes.add(t); // the first passes warm up
        }
        Map<String, double[]> med = new TreeMap<>();
        for (String k : counts.keySet()) {
            double[] v = passes.stream().mapToDouble(p -> p.getOrDefault(k, 0.0)).sorted().toArray();
            med.put(k, new double[] {v[v.length / 2], counts.get(k)});
        }
        return med;
    }

    private static void ratio(CpuBackend b, Graph full, Graph half, float[] images, int n, double rounds, double roundSeconds) {
        try (GraphPredictor pf = new GraphPredictor(full, b); GraphPredictor ph = new GraphPredictor(half, b)) {
            float[] in = Arrays.copyOf(images, n * full.inputShape().numel());
            for (float v : ph.logits(in, n)) if (!Float.isFinite(v)) throw new AssertionError("half-width logit " + v);
            // warm-up, then alternate so that both see the same background load. At batch 1 a call is ~0.1-0.3 ms of
            // ~75 small nodes, and the JIT needs seconds of them on this busy machine before the times settle: with
            // one 0.15-0.4 s warm-up round the batch-1 ratio read 1.1-1.4x where a settled process gives 1.8-2x
            for (long w0 = System.nanoTime(); System.nanoTime() - w0 < WARM_UP_SECONDS * 1e9; ) {
                round(pf, in, n, roundSeconds / 4);
                round(ph, in, n, roundSeconds / 4);
            }
            double[][] f = new double[2][(int) rounds], h = new double[2][(int) rounds];
            for (int r = 0; r < rounds; r++) {
                double[] x = round(pf, in, n, roundSeconds), y = round(ph, in, n, roundSeconds);
                f[0][r] = x[0];
                f[1][r] = x[1];
                h[0][r] = y[0];
                h[1][r] = y[1];
            }
            double fw = median(f[0]), hw = median(h[0]), fc = median(f[1]), hc = median(h[1]);
            System.out.printf(Locale.ROOT, "%-6d %14.4f %14.4f %7.2fx   %14.4f %14.4f %7.2fx%n", n, fw, hw, fw / hw, fc, hc, fc / hc);
        }
    }

    /** {wall ms per image, process CPU ms per image} of calls for about roundSeconds. */
    private static double[] round(GraphPredictor p, float[] in, int n, double roundSeconds) {
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long c0 = os.getProcessCpuTime(), t0 = System.nanoTime();
        int calls = 0;
        do {
            p.logits(in, n);
            calls++;
        } while (System.nanoTime() - t0 < roundSeconds * 1e9);
        double images = (double) calls * n;
        return new double[] {(System.nanoTime() - t0) / 1e6 / images, (os.getProcessCpuTime() - c0) / 1e6 / images};
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}

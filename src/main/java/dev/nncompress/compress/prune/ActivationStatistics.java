package dev.nncompress.compress.prune;

import dev.nncompress.data.Batch;
import dev.nncompress.data.BatchIterator;
import dev.nncompress.data.Batches;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphRunner;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Per-channel statistics of chosen node outputs (or the graph input, {@link Graph#INPUT}) over calibration
 * batches in inference mode, gathered through a {@link GraphRunner.OutputHook}: the mean absolute value and
 * APoZ (average percentage of zeros, Hu et al. 2016: the fraction of exact zeros, high for channels a ReLU
 * mostly shuts off). A channel is dimension 1: the feature of a [N, F] output, the channel of [N, C, H, W]
 * (averaged over N, H and W).
 */
public final class ActivationStatistics {
    /** One node's statistics, index = channel. */
    public record Channels(double[] meanAbs, double[] apoz) {}

    private ActivationStatistics() {}

    public static Map<String, Channels> gather(Graph graph, Set<String> nodes, Calibration calib) {
        Map<String, double[]> absSum = new LinkedHashMap<>();
        Map<String, double[]> zeros = new LinkedHashMap<>();
        Map<String, Long> perChannel = new LinkedHashMap<>();
        GraphRunner.OutputHook hook = (node, t) -> {
            if (!nodes.contains(node)) return t;
            Shape s = t.shape();
            if (s.rank() < 2) throw new IllegalArgumentException("node " + node + " output " + s + " has no channel dimension");
            int c = s.dim(1);
            int inner = s.numel() / (s.dim(0) * c);
            double[] a = absSum.computeIfAbsent(node, k -> new double[c]);
            double[] z = zeros.computeIfAbsent(node, k -> new double[c]);
            float[] v = t.toFloatArray();
            for (int n = 0, i = 0; n < s.dim(0); n++) {
                for (int ch = 0; ch < c; ch++) {
                    double sum = 0;
                    int zc = 0;
                    for (int k = 0; k < inner; k++, i++) {
                        sum += Math.abs(v[i]);
                        if (v[i] == 0) zc++;
                    }
                    a[ch] += sum;
                    z[ch] += zc;
                }
            }
            perChannel.merge(node, (long) s.dim(0) * inner, Long::sum);
            return t;
        };
        for (BatchIterator it = Batches.of(calib.data(), calib.batchSize()).epoch(0); it.hasNext(); ) {
            Batch b = it.next();
            try (GraphRunner run = new GraphRunner(graph, calib.backend(), false, 0);
                 Tensor x = calib.backend().fromFloats(b.images(), Shape.of(b.size(), b.channels(), b.height(), b.width()))) {
                run.forward(x, hook);
            }
        }
        Map<String, Channels> out = new LinkedHashMap<>();
        for (String node : nodes) {
            if (!absSum.containsKey(node)) throw new IllegalArgumentException("node '" + node + "' produced no output in " + graph.name());
            double count = perChannel.get(node);
            double[] a = absSum.get(node);
            double[] z = zeros.get(node);
            for (int i = 0; i < a.length; i++) {
                a[i] /= count;
                z[i] /= count;
            }
            out.put(node, new Channels(a, z));
        }
        return out;
    }
}

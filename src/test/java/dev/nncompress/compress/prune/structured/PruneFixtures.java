package dev.nncompress.compress.prune.structured;

import dev.nncompress.backend.Backend;
import dev.nncompress.compress.prepare.PrepareFixtures;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphRunner;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.OpType;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/** Helpers of the structured-pruning tests: random images, inference, setting channels of parameters. */
final class PruneFixtures {
    private PruneFixtures() {}

    static float[] randomImages(Graph g, int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] v = new float[n * g.inputShape().numel()];
        for (int i = 0; i < v.length; i++) v[i] = (float) rng.nextGaussian();
        return v;
    }

    static float[] infer(Graph g, Backend b, float[] images) {
        int n = images.length / g.inputShape().numel();
        Shape s = Shape.of(n, g.inputShape().dim(0), g.inputShape().dim(1), g.inputShape().dim(2));
        try (Tensor x = b.fromFloats(images, s); GraphRunner run = new GraphRunner(g, b, false, 0)) {
            return run.forward(x).toFloatArray();
        }
    }

    /** Sets output channel {@code c} of parameter {@code name} (dim 0 slice) to {@code value}. */
    static void setChannel(Graph g, Backend b, String name, int c, float value) {
        Tensor t = g.param(name).value();
        float[] v = t.toFloatArray();
        int per = v.length / t.shape().dim(0);
        java.util.Arrays.fill(v, c * per, (c + 1) * per, value);
        g.param(name).setValue(b.fromFloats(v, t.shape()));
    }

    /** A random half (at least one) of the channels of every prunable group, ascending: surgery's keep lists. */
    static Map<Integer, int[]> randomKeep(ChannelGroups groups, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<Integer, int[]> keep = new LinkedHashMap<>();
        for (ChannelGroup g : groups.prunable()) {
            int[] order = java.util.stream.IntStream.range(0, g.channels()).toArray();
            for (int i = order.length - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1), t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            int[] k = java.util.Arrays.copyOf(order, Math.max(1, g.channels() / 2));
            java.util.Arrays.sort(k);
            keep.put(g.id(), k);
        }
        return keep;
    }

    /**
     * The masking reference of surgery: zeroes, in place, the weight rows and bias entries of every channel or
     * neuron that {@code keep} drops, so that it outputs exactly 0 and (through ReLU, pools, flatten) adds exactly
     * 0 wherever it is read. Groups with batch norms need more (beta, mean) and are refused.
     */
    static void maskDropped(Graph g, Backend b, ChannelGroups groups, Map<Integer, int[]> keep) {
        for (var e : keep.entrySet()) {
            ChannelGroup grp = groups.get(e.getKey());
            if (!grp.batchNorms().isEmpty()) throw new IllegalArgumentException("maskDropped does not handle batch norms");
            for (int c = 0; c < grp.channels(); c++) {
                if (java.util.Arrays.binarySearch(e.getValue(), c) >= 0) continue;
                for (String producer : grp.producers()) {
                    setChannel(g, b, producer + ".weight", c, 0f);
                    if (g.params().containsKey(producer + ".bias")) setChannel(g, b, producer + ".bias", c, 0f);
                }
            }
        }
    }

    /** Gives every batch norm statistics far from the identity, so that slicing the wrong entry shows. */
    static void randomizeBatchNorms(Graph g, Backend b, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        for (Node n : g.nodes()) {
            if (n.op() != OpType.BATCHNORM2D) continue;
            for (String p : new String[] {"weight", "bias", "running_mean", "running_var"}) {
                Tensor t = g.param(n.paramName(p)).value();
                float[] v = new float[t.numel()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) switch (p) {
                        case "weight" -> (rng.nextBoolean() ? 1 : -1) * rng.nextDouble(0.3, 2.0);
                        case "running_var" -> rng.nextDouble(0.1, 3.0);
                        default -> rng.nextDouble(-0.5, 0.5);
                    };
                }
                g.param(n.paramName(p)).setValue(b.fromFloats(v, t.shape()));
            }
        }
    }

    /** {@link PrepareFixtures#assertCloseRelative}: max |a - b| <= relTol * max |a|, NaN-sticky, never vacuous. */
    static void assertCloseRelative(float[] expected, float[] actual, double relTol, String what) {
        PrepareFixtures.assertCloseRelative(expected, actual, relTol, what);
    }

    static int outChannels(Graph g, String conv) { return g.param(conv + ".weight").value().shape().dim(0); }

    static int inChannels(Graph g, String conv) { return g.param(conv + ".weight").value().shape().dim(1); }
}

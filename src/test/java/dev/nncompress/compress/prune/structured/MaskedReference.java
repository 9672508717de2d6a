package dev.nncompress.compress.prune.structured;

import dev.nncompress.backend.Backend;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphPredictor;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.OpType;
import dev.nncompress.graph.Parameter;
import dev.nncompress.graph.ops.ArithmeticOp;
import dev.nncompress.tensor.Shape;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The exact reference that structured surgery must reproduce: the original graph, unchanged in shape, with every
 * dropped channel made exactly 0 wherever it flows. Its producers' filters (weight rows) and bias entries are zeroed,
 * and so are the batch norms' beta and running mean (BN(0) = 0 then) and the per-channel additive constants of those
 * channels; ReLU, ReLU6, pools, concat, residual sums, a depthwise conv and a gate multiplication keep a 0 at 0
 * (sigmoid(0) = 1/2 times a zeroed trunk channel is 0). The pruned graph's logits must then equal the reference's:
 * if the analysis tied the wrong channels (a concat offset, a depthwise multiplier), a channel that still carries
 * signal in the reference is cut from the pruned graph, or a zero one is kept in the wrong place, and they differ.
 */
final class MaskedReference {
    private MaskedReference() {}

    /** Per value, the channels {@code keep} drops (from the groups' slices, independently of the surgery's code). */
    static Map<String, boolean[]> dropped(ChannelGroups groups, Map<Integer, int[]> keep) {
        Map<String, boolean[]> out = new HashMap<>();
        keep.forEach((id, k) -> {
            ChannelGroup g = groups.get(id);
            for (int c = 0; c < g.channels(); c++) {
                if (java.util.Arrays.binarySearch(k, c) >= 0) continue;
                for (String v : g.slices().keySet()) {
                    boolean[] d = out.computeIfAbsent(v, x -> new boolean[g.slices().get(v).valueChannels()]);
                    for (int ch : g.channelsOf(v, c)) d[ch] = true;
                }
            }
        });
        return out;
    }

    static Graph of(Graph g, Backend b, ChannelGroups groups, Map<Integer, int[]> keep) {
        Map<String, boolean[]> dropped = dropped(groups, keep);
        Map<String, Parameter> params = new LinkedHashMap<>();
        for (Parameter p : g.params().values()) params.put(p.name(), new Parameter(p.name(), b.fromFloats(p.value().toFloatArray(), p.value().shape()), p.trainable()));
        for (Node n : g.nodes()) {
            boolean[] out = dropped.get(n.name()), in = n.inputs().isEmpty() ? null : dropped.get(n.inputs().get(0));
            if ((n.op() == OpType.CONV2D || n.op() == OpType.LINEAR) && out != null) {
                zero(params, b, n.paramName("weight"), 0, out);
                if (params.containsKey(n.paramName("bias"))) zero(params, b, n.paramName("bias"), 0, out);
            }
            if (n.op() == OpType.BATCHNORM2D && in != null) {
                zero(params, b, n.paramName("bias"), 0, in);
                zero(params, b, n.paramName("running_mean"), 0, in);
            }
            if ((n.op() == OpType.ADD || n.op() == OpType.SUB) && ArithmeticOp.hasConstant(n) && in != null) {
                Shape c = params.get(n.paramName(ArithmeticOp.CONSTANT)).value().shape();
                int channelDim = c.rank() - g.inferShapes().get(n.inputs().get(0)).rank();
                if (channelDim >= 0 && c.dim(channelDim) > 1) zero(params, b, n.paramName(ArithmeticOp.CONSTANT), channelDim, in);
            }
        }
        return new Graph(g.name() + "-masked", g.inputShape(), g.nodes(), g.output(), params);
    }

    /** Zeroes the slices {@code i} of dimension {@code dim} where {@code which[i]}. */
    private static void zero(Map<String, Parameter> params, Backend b, String name, int dim, boolean[] which) {
        Parameter p = params.get(name);
        Shape s = p.value().shape();
        float[] v = p.value().toFloatArray();
        int outer = 1, inner = 1;
        for (int i = 0; i < dim; i++) outer *= s.dim(i);
        for (int i = dim + 1; i < s.rank(); i++) inner *= s.dim(i);
        int d = s.dim(dim);
        for (int o = 0; o < outer; o++) for (int i = 0; i < d; i++) if (which[i]) java.util.Arrays.fill(v, (o * d + i) * inner, (o * d + i + 1) * inner, 0f);
        params.put(name, new Parameter(name, b.fromFloats(v, s), p.trainable()));
    }

    /** Runs both on the same images; the pruned logits equal the masked original's within {@code relTol} of their scale. */
    static void assertPrunedEqualsMasked(Graph original, Graph pruned, Backend b, ChannelGroups groups, Map<Integer, int[]> keep,
                                         float[] images, double relTol, String what) {
        Graph masked = of(original, b, groups, keep);
        int n = images.length / original.inputShape().numel();
        try (GraphPredictor m = new GraphPredictor(masked, b); GraphPredictor p = new GraphPredictor(pruned, b)) {
            PruneFixtures.assertCloseRelative(m.logits(images, n), p.logits(images, n), relTol, what);
        }
    }
}

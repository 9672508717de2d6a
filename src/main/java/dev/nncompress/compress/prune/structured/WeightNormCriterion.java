package dev.nncompress.compress.prune.structured;

import dev.nncompress.graph.Graph;
import dev.nncompress.tensor.Tensor;

/**
 * Filter magnitude: per output channel, the L1 or L2 norm of a conv's weight slice {@code W[o, :, :, :]}
 * (a linear's weight row {@code W[o, :]} for a hidden neuron), summed over the group's producers (for a
 * residual group, every conv feeding the ADD; for a depthwise conv with channel multiplier m, its m filters of
 * the channel; a conv whose channels the group holds only some of contributes those). Biases are not counted, as in the usual filter-pruning
 * criterion (Li et al., 2017).
 */
final class WeightNormCriterion implements FilterCriterion {
    private final int p;

    WeightNormCriterion(int p) { this.p = p; }

    @Override
    public String name() { return "l" + p; }

    @Override
    public double[][] scores(Graph graph, ChannelGroups groups) {
        double[][] out = new double[groups.groups().size()][];
        for (ChannelGroup g : groups.prunable()) {
            double[] s = new double[g.channels()];
            for (String conv : g.producers()) {
                Tensor w = graph.param(conv + ".weight").value();
                float[] v = w.toFloatArray();
                int perFilter = v.length / w.shape().dim(0);
                for (int c = 0; c < g.channels(); c++) {
                    for (int o : g.channelsOf(conv, c)) { // one filter, m of a depthwise conv with multiplier m, g of a grouped conv
                        double acc = 0;
                        for (int i = o * perFilter; i < (o + 1) * perFilter; i++) acc += p == 1 ? Math.abs(v[i]) : (double) v[i] * v[i];
                        s[c] += p == 1 ? acc : Math.sqrt(acc);
                    }
                }
            }
            out[g.id()] = s;
        }
        return out;
    }
}

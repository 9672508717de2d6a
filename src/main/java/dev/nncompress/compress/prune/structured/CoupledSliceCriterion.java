package dev.nncompress.compress.prune.structured;

import dev.nncompress.graph.Graph;

import java.util.HashMap;
import java.util.Map;

/**
 * Scores from every parameter slice a channel owns ({@link GroupParamSlices}), not only its producers' filters:
 * <ul>
 *   <li>{@code group-l2}: the L2 norm over all coupled slices together (producer rows and biases, batch-norm gamma and
 *   beta, reader columns), as Torch-Pruning's group norm importance. A BN network rescales each filter's output, so
 *   a filter norm alone says little; the reader columns and gamma say how much of the channel reaches the next layer.</li>
 *   <li>{@code bn-gamma}: |gamma| summed over the group's batch norms (network slimming, Liu et al. 2017): the scale
 *   the channel leaves its BN with. A group without a batch norm falls back to its group L2.</li>
 * </ul>
 */
final class CoupledSliceCriterion implements FilterCriterion {
    enum Kind { GROUP_L2, BN_GAMMA }

    private final Kind kind;

    CoupledSliceCriterion(Kind kind) { this.kind = kind; }

    @Override
    public String name() { return kind == Kind.GROUP_L2 ? "group-l2" : "bn-gamma"; }

    @Override
    public double[][] scores(Graph graph, ChannelGroups groups) {
        double[][] out = new double[groups.groups().size()][];
        Map<String, float[]> values = new HashMap<>();
        for (ChannelGroup g : groups.prunable()) {
            Map<String, int[][]> slices = GroupParamSlices.of(graph, g);
            double[] s = new double[g.channels()];
            boolean gamma = kind == Kind.BN_GAMMA && !g.batchNorms().isEmpty();
            for (var e : slices.entrySet()) {
                String param = e.getKey();
                if (gamma && !isGamma(g, param)) continue;
                float[] v = values.computeIfAbsent(param, p -> graph.param(p).value().toFloatArray());
                for (int c = 0; c < s.length; c++) {
                    for (int i : e.getValue()[c]) s[c] += gamma ? Math.abs(v[i]) : (double) v[i] * v[i];
                }
            }
            if (!gamma) for (int c = 0; c < s.length; c++) s[c] = Math.sqrt(s[c]);
            out[g.id()] = s;
        }
        return out;
    }

    private static boolean isGamma(ChannelGroup g, String param) {
        for (String bn : g.batchNorms()) if (param.equals(bn + ".weight")) return true;
        return false;
    }
}

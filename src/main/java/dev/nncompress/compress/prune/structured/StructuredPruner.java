package dev.nncompress.compress.prune.structured;

import dev.nncompress.graph.Graph;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Structured pruning with real removal: analyse channel dependencies ({@link ChannelDependencies}),
 * score each group's channels ({@link FilterCriterion}), keep the top {@code 1 - sparsity} of each
 * prunable group (conv channels and hidden neurons of linears) and cut the rest out ({@link ChannelSurgery}).
 * The result is an ordinary, smaller dense graph: it trains, saves and runs like any other, and is faster
 * because its convs and linears are smaller.
 */
public final class StructuredPruner {
    private StructuredPruner() {}

    /** Removes {@code sparsity} of the channels (or neurons) of every prunable group. */
    public static StructuredPruneResult prune(Graph graph, double sparsity, FilterCriterion criterion) {
        return prune(graph, StructuredPruneConfig.of(sparsity), criterion);
    }

    public static StructuredPruneResult prune(Graph graph, StructuredPruneConfig config, FilterCriterion criterion) {
        ChannelGroups groups = ChannelDependencies.analyze(graph);
        checkLayerNames(groups, config);
        double[][] scores = criterion.scores(graph, groups);
        Map<Integer, int[]> keep = new HashMap<>();
        List<StructuredPruneReport.GroupOutcome> outcomes = new ArrayList<>();
        for (ChannelGroup g : groups.groups()) {
            String note = wholeReason(g, config);
            int[] kept;
            if (note != null) {
                kept = allChannels(g.channels());
            } else {
                double[] s = scores[g.id()];
                if (s == null || s.length != g.channels()) {
                    throw new IllegalStateException("criterion " + criterion.name() + " gave " + (s == null ? "no" : s.length)
                            + " scores for group " + g.id() + " of " + g.channels() + " channels");
                }
                kept = topChannels(s, config.keepCount(g.channels(), sparsityOf(g, config)));
                keep.put(g.id(), kept);
            }
            outcomes.add(new StructuredPruneReport.GroupOutcome(g, kept, note));
        }
        Graph pruned = ChannelSurgery.apply(graph, groups, keep);
        return new StructuredPruneResult(pruned,
                new StructuredPruneReport(criterion.name(), outcomes, graph.parameterCount(), pruned.parameterCount()));
    }

    /** Indices of the {@code k} highest scores, ascending (channel order kept); ties keep the lower index. */
    static int[] topChannels(double[] scores, int k) {
        Integer[] order = new Integer[scores.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        for (double v : scores) if (Double.isNaN(v)) throw new IllegalArgumentException("a channel score is NaN");
        Arrays.sort(order, (a, b) -> scores[a] != scores[b] ? Double.compare(scores[b], scores[a]) : Integer.compare(a, b));
        int[] kept = new int[k];
        for (int i = 0; i < k; i++) kept[i] = order[i];
        Arrays.sort(kept);
        return kept;
    }

    /** Why group {@code g} stays whole ("fixed: ...", "excluded"), or null when it is pruned. */
    static String wholeReason(ChannelGroup g, StructuredPruneConfig config) {
        if (!g.prunable()) return "fixed: " + g.fixedReason();
        if (g.producers().stream().anyMatch(config.exclude()::contains)) return "excluded";
        return null;
    }

    static double sparsityOf(ChannelGroup g, StructuredPruneConfig config) {
        Double chosen = null;
        for (String layer : g.producers()) {
            Double s = config.layerSparsity().get(layer);
            if (s == null) continue;
            if (chosen != null && !chosen.equals(s)) {
                throw new IllegalArgumentException("layers " + g.producers() + " share their output channels (a residual group) "
                        + "but were given different sparsities");
            }
            chosen = s;
        }
        return chosen != null ? chosen : config.defaultSparsity(g);
    }

    static void checkLayerNames(ChannelGroups groups, StructuredPruneConfig config) {
        List<String> named = new ArrayList<>(config.layerSparsity().keySet());
        named.addAll(config.exclude());
        for (String layer : named) {
            List<ChannelGroup> gs = groups.allProducedBy(layer); // several when its channels are split (a conv added to a concat)
            if (gs.isEmpty()) {
                throw new IllegalArgumentException("unknown layer '" + layer + "': not a conv or linear of " + groups.graphName()
                        + "; its layers are " + groups.layers());
            }
            ChannelGroup g = gs.stream().filter(ChannelGroup::prunable).findFirst().orElse(gs.get(0));
            if (!g.prunable() && config.layerSparsity().getOrDefault(layer, 0.0) > 0) {
                throw new IllegalArgumentException("layer " + layer + " cannot be pruned: " + g.fixedReason());
            }
        }
    }

    static int[] allChannels(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = i;
        return a;
    }
}

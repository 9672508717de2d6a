package dev.nncompress.compress.prune.structured;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The result of {@link ChannelDependencies#analyze}: every group of coupled conv output channels or linear neurons, by
 * id, and the channel count of every value that carries channels ({@code valueChannels}, in graph order).
 */
public record ChannelGroups(String graphName, List<ChannelGroup> groups, Map<String, Integer> valueChannels) {
    public ChannelGroups {
        groups = List.copyOf(groups);
        valueChannels = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(valueChannels));
        for (int i = 0; i < groups.size(); i++) {
            if (groups.get(i).id() != i) throw new IllegalArgumentException("group ids must be 0..n-1 in order");
        }
    }

    public ChannelGroup get(int id) { return groups.get(id); }

    public List<ChannelGroup> prunable() { return groups.stream().filter(ChannelGroup::prunable).toList(); }

    /**
     * The (first) group whose producers include conv or linear {@code node}, or null when {@code node} is neither. A conv
     * added to a concat has its channels in several groups: {@link #allProducedBy} lists them.
     */
    public ChannelGroup producedBy(String node) {
        for (ChannelGroup g : groups) if (g.producers().contains(node)) return g;
        return null;
    }

    /** Every group holding output channels of {@code node}, in group order. */
    public List<ChannelGroup> allProducedBy(String node) { return groups.stream().filter(g -> g.producers().contains(node)).toList(); }

    /** Every conv and linear of the graph (the producers of all groups), in group order, each once. */
    public List<String> layers() {
        java.util.Set<String> out = new java.util.LinkedHashSet<>();
        for (ChannelGroup g : groups) out.addAll(g.producers());
        return new ArrayList<>(out);
    }

    /** A printable summary: a headline, then one line per group. */
    public List<String> lines() {
        List<String> out = new ArrayList<>();
        out.add(graphName + ": " + groups.size() + " channel group(s), " + prunable().size() + " prunable");
        for (ChannelGroup g : groups) out.add("  " + g.describe());
        return out;
    }
}

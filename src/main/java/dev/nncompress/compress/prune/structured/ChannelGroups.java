package dev.nncompress.compress.prune.structured;

import java.util.ArrayList;
import java.util.List;

/** The result of {@link ChannelDependencies#analyze}: every group of coupled conv output channels or linear neurons, by id. */
public record ChannelGroups(String graphName, List<ChannelGroup> groups) {
    public ChannelGroups {
        groups = List.copyOf(groups);
        for (int i = 0; i < groups.size(); i++) {
            if (groups.get(i).id() != i) throw new IllegalArgumentException("group ids must be 0..n-1 in order");
        }
    }

    public ChannelGroup get(int id) { return groups.get(id); }

    public List<ChannelGroup> prunable() { return groups.stream().filter(ChannelGroup::prunable).toList(); }

    /** The group whose producers include conv or linear {@code node}, or null when {@code node} is neither. */
    public ChannelGroup producedBy(String node) {
        for (ChannelGroup g : groups) if (g.producers().contains(node)) return g;
        return null;
    }

    /** Every conv and linear of the graph (the producers of all groups), in group order. */
    public List<String> layers() {
        List<String> out = new ArrayList<>();
        for (ChannelGroup g : groups) out.addAll(g.producers());
        return out;
    }

    /** A printable summary: a headline, then one line per group. */
    public List<String> lines() {
        List<String> out = new ArrayList<>();
        out.add(graphName + ": " + groups.size() + " channel group(s), " + prunable().size() + " prunable");
        for (ChannelGroup g : groups) out.add("  " + g.describe());
        return out;
    }
}

package dev.nncompress.compress.prune.structured;

import java.util.ArrayList;
import java.util.List;

/** What structured pruning did: per group the channels (or neurons) before and after, and the parameter counts. */
public record StructuredPruneReport(String criterion, List<GroupOutcome> groups, long paramsBefore, long paramsAfter) {
    /** @param kept the kept channel indices (all of them when the group was left whole); note says why whole */
    public record GroupOutcome(ChannelGroup group, int[] kept, String note) {
        public int before() { return group.channels(); }

        public int after() { return kept.length; }
    }

    public StructuredPruneReport {
        groups = List.copyOf(groups);
    }

    public List<String> lines() {
        List<String> out = new ArrayList<>();
        out.add(String.format("structured pruning (%s): parameters %,d -> %,d (%.1f%%)", criterion, paramsBefore, paramsAfter,
                100.0 * paramsAfter / paramsBefore));
        for (GroupOutcome g : groups) {
            out.add(String.format("  %-40s %4d -> %4d %s%s", String.join(" + ", g.group().producers()), g.before(), g.after(),
                    g.group().unit(), g.note() == null ? "" : "  (" + g.note() + ")"));
        }
        return out;
    }
}

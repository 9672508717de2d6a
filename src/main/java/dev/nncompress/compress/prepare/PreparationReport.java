package dev.nncompress.compress.prepare;

import java.util.ArrayList;
import java.util.List;

/** What {@link GraphPreparation} did: batch norms folded into convs, ReLUs fused, nodes left alone. */
public record PreparationReport(List<Merge> folded, List<Merge> fused, List<Skip> skipped) {
    public PreparationReport {
        folded = List.copyOf(folded);
        fused = List.copyOf(fused);
        skipped = List.copyOf(skipped);
    }

    /** Human-readable lines, one per rewrite or skip, for a CLI or a log. */
    public List<String> lines() {
        List<String> out = new ArrayList<>();
        out.add("folded " + folded.size() + " batch norm(s), fused " + fused.size() + " ReLU(s), skipped " + skipped.size());
        for (Merge m : folded) out.add("  fold  " + m.removed() + " into " + m.kept());
        for (Merge m : fused) out.add("  fuse  " + m.removed() + " into " + m.kept());
        for (Skip s : skipped) out.add("  skip  " + s);
        return out;
    }

    @Override
    public String toString() { return String.join("\n", lines()); }
}

package dev.nncompress.pipeline;

import dev.nncompress.models.Models;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

/**
 * The closing summary of a run: one table of every row (stage, accuracy, file bytes, throughput) and the final model
 * against the baseline, as ratios measured in the same run. The baseline is the model the recipe compresses: the input
 * model, or for an untrained built-in input the first {@code train} or {@code distill} stage's model (the trained
 * teacher of a recipe that trains one and distills a student from it). Derived from the report's rows only, so that
 * {@code nncompress report RUN_DIR} prints and draws the same numbers as the run did.
 *
 * @param rows             the report's rows, the input first
 * @param sizeRatio        baseline file bytes / final file bytes (how many times smaller)
 * @param accuracyDrop     baseline accuracy - final accuracy, in points (negative: the final model is more accurate)
 * @param throughputRatio  final throughput / baseline throughput (how many times faster)
 */
public record Summary(List<StageRecord> rows, StageRecord baseline, StageRecord last, double sizeRatio, double accuracyDrop, double throughputRatio) {

    public static Summary of(Report r) {
        List<StageRecord> rows = r.stages();
        StageRecord base = rows.get(0);
        if (r.model() != null && Models.NAMES.contains(r.model())) {
            // an untrained built-in scores at chance: the first model trained from it is what the recipe compresses
            base = rows.stream().filter(s -> s.stage().equals("train") || s.stage().equals("distill")).findFirst().orElse(base);
        }
        StageRecord last = rows.get(rows.size() - 1);
        StageRecord.Metrics b = base.metrics(), f = last.metrics();
        return new Summary(rows, base, last, ratio(b.fileBytes(), f.fileBytes()), 100 * (b.accuracy() - f.accuracy()), ratio(f.throughput(), b.throughput()));
    }

    /** NaN rather than infinity or a division by zero when a report (perhaps edited) holds a zero. */
    private static double ratio(double num, double den) { return den > 0 && num >= 0 ? num / den : Double.NaN; }

    /** The one-line comparison, e.g. "final (stages[4] export) vs baseline (stages[0] train): 117.2x smaller, ...". */
    public String comparison() {
        return String.format(Locale.ROOT, "final (%s) vs baseline (%s): %.1fx smaller file, accuracy %+.2f points, %.1fx throughput", last.label(),
                baseline.label(), sizeRatio, -accuracyDrop, throughputRatio);
    }

    /** The table (one row per stage, the baseline and final rows marked) and the comparison line. */
    public void print(PrintWriter out) {
        out.println();
        out.printf(Locale.ROOT, "%-24s %9s %12s %10s  %s%n", "stage", "accuracy", "file bytes", "img/s", "model");
        for (StageRecord s : rows) {
            StageRecord.Metrics m = s.metrics();
            String mark = s == baseline ? "  <- baseline" : s == last ? "  <- final" : "";
            out.printf(Locale.ROOT, "%-24s %8.2f%% %,12d %,10.0f  %s, %,d params%s%n", s.label(), 100 * m.accuracy(), m.fileBytes(), m.throughput(),
                    m.kind(), m.params(), mark);
        }
        out.println(comparison());
        out.flush();
    }
}

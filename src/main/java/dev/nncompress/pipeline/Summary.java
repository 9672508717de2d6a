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
 * @param throughputRatio  final throughput / baseline throughput (how many times faster): from {@code sideBySide} when the
 *                         run measured the two in alternating rounds, else from the two rows (measured minutes apart)
 * @param sideBySide       that measurement, or null
 */
public record Summary(List<StageRecord> rows, StageRecord baseline, StageRecord last, double sizeRatio, double accuracyDrop, double throughputRatio,
                      SideBySide sideBySide) {

    public static Summary of(Report r) {
        List<StageRecord> rows = r.stages();
        StageRecord base = baseline(r.model(), rows);
        StageRecord last = rows.get(rows.size() - 1);
        StageRecord.Metrics b = base.metrics(), f = last.metrics();
        SideBySide sb = r.sideBySide();
        boolean paired = sb != null && base.label().equals(sb.baseline()) && last.label().equals(sb.last());
        return new Summary(rows, base, last, ratio(b.fileBytes(), f.fileBytes()), 100 * (b.accuracy() - f.accuracy()),
                paired ? sb.ratio() : ratio(f.throughput(), b.throughput()), paired ? sb : null);
    }

    /** The row the final model is compared with: the input, or for an untrained built-in {@code model} the first trained one. */
    static StageRecord baseline(String model, List<StageRecord> rows) {
        if (model != null && Models.NAMES.contains(model)) {
            // an untrained built-in scores at chance: the first model trained from it is what the recipe compresses
            for (StageRecord s : rows) if (s.stage().equals("train") || s.stage().equals("distill")) return s;
        }
        return rows.get(0);
    }

    /** NaN rather than infinity or a division by zero when a report (perhaps edited) holds a zero. */
    private static double ratio(double num, double den) { return den > 0 && num >= 0 ? num / den : Double.NaN; }

    /** The one-line comparison, e.g. "final (stages[4] export) vs baseline (stages[0] train): 117.2x smaller, ...". */
    public String comparison() {
        return String.format(Locale.ROOT, "final (%s) vs baseline (%s): %.1fx smaller file, accuracy %+.2f points, %.1fx throughput%s", last.label(),
                baseline.label(), sizeRatio, -accuracyDrop, throughputRatio, sideBySide != null ? " (side by side)" : " (rows measured apart)");
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
        if (sideBySide != null) {
            out.printf(Locale.ROOT, "throughput side by side (alternating rounds, batch %d): baseline %,.0f img/s, final %,.0f img/s%n", sideBySide.batch(),
                    sideBySide.baselineImagesPerSecond(), sideBySide.lastImagesPerSecond());
        }
        out.println(comparison());
        out.flush();
    }
}

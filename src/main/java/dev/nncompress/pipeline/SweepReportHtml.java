package dev.nncompress.pipeline;

import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import static dev.nncompress.pipeline.ReportHtml.esc;

/**
 * The sweep view, a sweep directory's report.html: one self-contained page (no script, no network) with the best
 * point within the accuracy budget, the accuracy/size/latency Pareto front ({@link SweepFront}), accuracy against size
 * and against latency as the run report's inline SVG plots, and a table of every point, failed ones with their error. Every text from sweep.json (which may have been edited) is escaped.
 */
final class SweepReportHtml {
    private SweepReportHtml() {}

    static String render(SweepReport r) {
        StringBuilder h = new StringBuilder(16_384);
        ReportHtml.head(h, "nncompress sweep: " + r.recipeFile());
        List<SweepPoint> points = r.points();
        long failed = points.stream().filter(p -> !p.ok()).count();
        h.append("<h1>nncompress sweep</h1>\n<p>Recipe <code>").append(esc(r.recipeFile())).append("</code> (sha256 <code>").append(esc(r.recipeSha256()))
                .append("</code>), grid <code>").append(esc(r.grid())).append("</code>, on <code>").append(esc(r.master())).append("</code>; ")
                .append(esc(r.tool())).append(".</p>\n");
        h.append("<p id=\"summary\">").append(points.size()).append(" point(s): ").append(points.size() - failed).append(" ok, ").append(failed)
                .append(" failed. Each point's numbers are its final model's (the recipe's last stage); the drop is against the point's own baseline "
                        + "(its input model, or for an untrained built-in its first trained model).</p>\n");
        List<SweepPoint> front = SweepFront.front(points);
        Optional<SweepPoint> best = r.maxAccuracyDrop() == null ? Optional.empty() : SweepFront.best(points, r.maxAccuracyDrop());
        best(h, r, best);
        h.append("<h2>Pareto front</h2>\n<p>The ok points that no other point beats on all of higher accuracy, smaller file and lower latency "
                + "(at least as good on each, better on one); smallest first.</p>\n");
        table(h, "front", front.stream().sorted(Comparator.comparingLong(SweepPoint::sizeBytes)).toList(), front, best);
        List<SweepPoint> ran = points.stream().filter(SweepPoint::ok).toList();
        h.append("<h2>Accuracy against size and latency</h2>\n<p>The ok points; in each plot the points no other point beats on both of its "
                + "axes are red and joined by the line (a two-axis front: the table above is the three-axis one).</p>\n<div class=\"plots\">\n");
        ReportHtml.scatter(h, "size", ran, p -> p.sizeBytes() / 1024.0, SweepPoint::accuracy, SweepPoint::point, "file size (KiB, log scale)");
        ReportHtml.scatter(h, "latency", ran, SweepPoint::latencyMs, SweepPoint::accuracy, SweepPoint::point, "latency, batch 1 (ms per image, log scale)");
        h.append("</div>\n<h2>All points</h2>\n");
        table(h, "points", points, front, best);
        h.append("</body></html>\n");
        return h.toString();
    }

    private static void best(StringBuilder h, SweepReport r, Optional<SweepPoint> best) {
        h.append("<h2>Best point within the budget</h2>\n<p id=\"best\">");
        if (r.maxAccuracyDrop() == null) {
            h.append("No accuracy budget: the recipe has no <code>budget.max_accuracy_drop</code> and the sweep was given no "
                    + "<code>--max-accuracy-drop</code>.");
        } else if (best.isEmpty()) {
            h.append(fmt("No ok point is within the budget of %.2f accuracy points.", r.maxAccuracyDrop()));
        } else {
            SweepPoint b = best.get();
            h.append("<b>").append(esc(b.point())).append("</b> (<code>").append(esc(b.overrides())).append("</code>, seed ").append(b.seed())
                    .append(fmt("): accuracy %.2f%%, %+.2f points against its baseline's %.2f%%, %,d bytes, %.3f ms per image. ", 100 * b.accuracy(),
                            100 * (b.accuracy() - b.baselineAccuracy()), 100 * b.baselineAccuracy(), b.sizeBytes(), b.latencyMs()))
                    .append(fmt("The smallest model whose accuracy drop is within the budget of %.2f points (ties: the more accurate, then the faster).",
                            r.maxAccuracyDrop()));
        }
        h.append("</p>\n");
    }

    private static void table(StringBuilder h, String id, List<SweepPoint> rows, List<SweepPoint> front, Optional<SweepPoint> best) {
        h.append("<table id=\"").append(id).append("\"><tr><th class=\"l\">point</th><th class=\"l\">overrides</th><th>seed</th><th class=\"l\">status</th>"
                + "<th>accuracy</th><th>vs baseline (points)</th><th>file bytes</th><th>latency ms</th><th>throughput img/s</th><th>time s</th>"
                + "<th class=\"l\">marks</th><th class=\"l\">error</th></tr>\n");
        for (SweepPoint p : rows) {
            boolean isBest = best.isPresent() && best.get() == p;
            boolean onFront = front.contains(p);
            String marks = isBest && onFront ? "best, front" : isBest ? "best" : onFront ? "front" : "";
            h.append("<tr class=\"").append(isBest ? "best" : onFront ? "front" : p.ok() ? "point" : "failed").append("\"><td class=\"l\">")
                    .append(esc(p.point())).append("</td><td class=\"l\"><code>").append(esc(p.overrides())).append("</code></td><td>").append(p.seed())
                    .append("</td><td class=\"l\">").append(esc(p.status())).append("</td>");
            if (p.ok()) {
                h.append(fmt("<td>%.2f%%</td><td>%+.2f</td><td>%,d</td><td>%.3f</td><td>%,.0f</td>", 100 * p.accuracy(), 100 * (p.accuracy() - p.baselineAccuracy()), p.sizeBytes(),
                        p.latencyMs(), p.throughput()));
            } else {
                h.append("<td></td><td></td><td></td><td></td><td></td>");
            }
            h.append(fmt("<td>%.1f</td>", p.seconds())).append("<td class=\"l\">").append(marks).append("</td><td class=\"l\">").append(esc(p.error()))
                    .append("</td></tr>\n");
        }
        h.append("</table>\n");
    }

    private static String fmt(String f, Object... a) { return String.format(Locale.ROOT, f, a); }
}

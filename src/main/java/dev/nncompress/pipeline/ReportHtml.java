package dev.nncompress.pipeline;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * report.html: one self-contained page (no script, no network): the per-stage table, accuracy against file size and
 * against latency as inline SVG scatter plots with the Pareto front, the final model's confusion matrix, per-layer
 * sparsity and SQNR, and the recipe. Drawn by our code because three small plots do not need a charting library.
 * Every text from the report (which may have been edited) is escaped.
 */
final class ReportHtml {
    private static final int W = 520, H = 340, PAD_L = 60, PAD_R = 20, PAD_T = 20, PAD_B = 50;

    private ReportHtml() {}

    static String render(Report r) {
        StringBuilder h = new StringBuilder(16_384);
        head(h, "nncompress report: " + r.recipeFile());
        h.append("<h1>nncompress report</h1>\n<p>Recipe <code>").append(esc(r.recipeFile())).append("</code> (sha256 <code>").append(esc(r.recipeSha256()))
                .append("</code>), input model <code>").append(esc(r.model())).append("</code>; ").append(esc(r.tool())).append(".</p>\n");
        table(h, r);
        h.append("<p id=\"summary\">").append(esc(Summary.of(r).comparison())).append(" (measured in this run; the baseline is the input model, "
                + "or for an untrained built-in the first trained one)</p>\n");
        h.append("<h2>Accuracy against size and latency</h2>\n<p>Points on the Pareto front (no other model both smaller/faster and more accurate) "
                + "are red and joined by the line.</p>\n<div class=\"plots\">\n");
        scatter(h, "size", r.stages(), s -> s.metrics().fileBytes() / 1024.0, "file size (KiB, log scale)");
        scatter(h, "latency", r.stages(), s -> s.metrics().latencyMs(), "latency, batch 1 (ms per image, log scale)");
        h.append("</div>\n");
        StageRecord last = r.stages().get(r.stages().size() - 1);
        h.append("<h2>Confusion matrix of the final model (").append(esc(last.label())).append(")</h2>\n");
        confusion(h, last.metrics().confusion(), r.classNames());
        layers(h, r);
        h.append("<h2>Recipe</h2>\n<pre>").append(esc(r.recipe())).append("</pre>\n</body></html>\n");
        return h.toString();
    }

    /** The page's start up to {@code <body>}: the title (escaped here) and the one style sheet both report pages share. */
    static void head(StringBuilder h, String title) {
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/><title>").append(esc(title))
                .append("</title>\n<style>body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}"
                        + "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f3f3f3}td.l,th.l{text-align:left}"
                        + "pre{background:#f7f7f7;padding:1em;overflow:auto}.plots{display:flex;flex-wrap:wrap;gap:2em}svg{background:#fff;border:1px solid #ddd}"
                        + "tr.front td{background:#fdecea}tr.best td{background:#fff3c4;font-weight:bold}"
                        + "</style></head><body>\n");
    }

    private static void table(StringBuilder h, Report r) {
        h.append("<h2>Stages</h2>\n<table id=\"stages\"><tr><th class=\"l\">stage</th><th class=\"l\">settings</th><th>accuracy</th><th>file bytes</th>"
                + "<th>parameters</th><th>latency ms</th><th>throughput img/s</th><th>kind</th><th>time s</th><th class=\"l\">notes</th></tr>\n");
        for (StageRecord s : r.stages()) {
            StageRecord.Metrics m = s.metrics();
            List<String> notes = new ArrayList<>(s.notes());
            if (s.resumed()) notes.add("resumed");
            h.append("<tr><td class=\"l\">").append(esc(s.label())).append("</td><td class=\"l\"><code>").append(esc(Json.compact(s.settings())))
                    .append("</code></td><td>").append(fmt("%.2f%%", 100 * m.accuracy())).append("</td><td>").append(fmt("%,d", m.fileBytes()))
                    .append("</td><td>").append(fmt("%,d", m.params())).append("</td><td>").append(fmt("%.3f", m.latencyMs())).append("</td><td>")
                    .append(fmt("%,.0f", m.throughput())).append("</td><td>").append(esc(m.kind())).append("</td><td>").append(fmt("%.1f", s.seconds()))
                    .append("</td><td class=\"l\">").append(esc(String.join("; ", notes))).append("</td></tr>\n");
        }
        h.append("</table>\n");
    }

    /** The stages not dominated by another (smaller or equal x and higher or equal accuracy, one strictly), by x. */
    static List<StageRecord> paretoFront(List<StageRecord> stages, ToDoubleFunction<StageRecord> x) {
        return paretoFront(stages, x, s -> s.metrics().accuracy());
    }

    /** As above for any items: those no other beats on both smaller {@code x} and higher {@code accuracy}, by x. */
    static <T> List<T> paretoFront(List<T> items, ToDoubleFunction<T> x, ToDoubleFunction<T> accuracy) {
        List<T> sorted = new ArrayList<>(items);
        sorted.sort(Comparator.comparingDouble(x).thenComparing(s -> -accuracy.applyAsDouble(s)));
        List<T> front = new ArrayList<>();
        double best = Double.NEGATIVE_INFINITY;
        for (T s : sorted) {
            if (accuracy.applyAsDouble(s) > best) {
                front.add(s);
                best = accuracy.applyAsDouble(s);
            }
        }
        return front;
    }

    private static void scatter(StringBuilder h, String id, List<StageRecord> stages, ToDoubleFunction<StageRecord> x, String xLabel) {
        scatter(h, id, stages, x, s -> s.metrics().accuracy(), StageRecord::label, xLabel);
    }

    /**
     * Accuracy (y) against {@code x} (log scale) as an inline SVG: every item with a finite positive x a dot labelled
     * {@code label}, the two-axis Pareto front red and joined by a line.
     */
    static <T> void scatter(StringBuilder h, String id, List<T> items, ToDoubleFunction<T> x, ToDoubleFunction<T> accuracy, Function<T, String> label,
                            String xLabel) {
        List<T> pts = items.stream().filter(s -> x.applyAsDouble(s) > 0 && Double.isFinite(x.applyAsDouble(s))).toList();
        h.append("<svg id=\"plot-").append(id).append("\" xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(W).append("\" height=\"").append(H)
                .append("\" viewBox=\"0 0 ").append(W).append(' ').append(H).append("\" role=\"img\" aria-label=\"accuracy against ").append(esc(xLabel)).append("\">\n");
        double[] xr = range(pts.stream().mapToDouble(s -> Math.log10(x.applyAsDouble(s))).toArray());
        double[] yr = range(pts.stream().mapToDouble(s -> 100 * accuracy.applyAsDouble(s)).toArray());
        int x0 = PAD_L, x1 = W - PAD_R, y0 = H - PAD_B, y1 = PAD_T;
        h.append(fmt("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n", x0, y0, x1, y0));
        h.append(fmt("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n", x0, y0, x0, y1));
        for (int t = 0; t <= 4; t++) {
            double fx = xr[0] + (xr[1] - xr[0]) * t / 4, fy = yr[0] + (yr[1] - yr[0]) * t / 4;
            double px = x0 + (x1 - x0) * t / 4.0, py = y0 - (y0 - y1) * t / 4.0;
            h.append(fmt("<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">%s</text>\n", px, y0 + 14, tick(Math.pow(10, fx))));
            h.append(fmt("<text x=\"%d\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%.1f</text>\n", x0 - 4, py + 3, fy));
        }
        h.append(fmt("<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">%s</text>\n", (x0 + x1) / 2, H - 12, esc(xLabel)));
        h.append(fmt("<text x=\"14\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 14 %d)\">accuracy (%%)</text>\n",
                (y0 + y1) / 2, (y0 + y1) / 2));
        StringBuilder line = new StringBuilder();
        List<T> front = paretoFront(pts, x, accuracy);
        for (T s : front) {
            line.append(fmt("%.1f,%.1f ", px(Math.log10(x.applyAsDouble(s)), xr, x0, x1), py(100 * accuracy.applyAsDouble(s), yr, y0, y1)));
        }
        h.append("<polyline class=\"pareto\" fill=\"none\" stroke=\"#d62728\" stroke-width=\"2\" points=\"").append(line.toString().trim()).append("\"/>\n");
        for (T s : pts) {
            double px = px(Math.log10(x.applyAsDouble(s)), xr, x0, x1), py = py(100 * accuracy.applyAsDouble(s), yr, y0, y1);
            boolean onFront = front.contains(s);
            h.append(fmt("<circle class=\"point%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%s\"><title>", onFront ? " front" : "", px, py,
                    onFront ? "#d62728" : "#1f77b4")).append(esc(label.apply(s)))
                    .append("</title></circle>\n");
            h.append(fmt("<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\">", px + 7, py - 6)).append(esc(label.apply(s))).append("</text>\n");
        }
        h.append("</svg>\n");
    }

    private static void confusion(StringBuilder h, int[][] c, List<String> names) {
        int n = c.length;
        if (n == 0) {
            h.append("<p>No confusion matrix recorded.</p>\n");
            return;
        }
        int cell = Math.max(8, Math.min(36, 420 / n)), left = 110, top = 20;
        int size = left + n * cell + 10;
        h.append("<svg id=\"confusion\" xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(size).append("\" height=\"").append(top + n * cell + 30)
                .append("\" role=\"img\" aria-label=\"confusion matrix\">\n");
        long max = 1;
        for (int[] row : c) for (int v : row) max = Math.max(max, v);
        for (int i = 0; i < n; i++) {
            String name = i < names.size() ? names.get(i) : "class " + i;
            h.append(fmt("<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"end\">", left - 4, top + i * cell + cell / 2 + 3)).append(esc(name)).append("</text>\n");
            for (int j = 0; j < n; j++) {
                double f = Math.sqrt((double) Math.max(0, c[i][j]) / max); // sqrt: the off-diagonal errors stay visible beside the diagonal
                int shade = (int) Math.round(255 * (1 - f));
                h.append(fmt("<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"rgb(%d,%d,255)\"><title>true %d, predicted %d: %d</title></rect>\n",
                        left + j * cell, top + i * cell, cell, cell, shade, shade, i, j, c[i][j]));
            }
        }
        h.append(fmt("<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">predicted class (columns 0..%d); rows: true class</text>\n",
                left + n * cell / 2, top + n * cell + 18, n - 1));
        h.append("</svg>\n");
    }

    private static void layers(StringBuilder h, Report r) {
        h.append("<h2>Per layer</h2>\n<table id=\"layers\"><tr><th class=\"l\">stage</th><th class=\"l\">layer</th><th>sparsity</th><th>int8 SQNR dB</th></tr>\n");
        for (StageRecord s : r.stages()) {
            var keys = new java.util.LinkedHashSet<>(s.metrics().sparsity().keySet());
            keys.addAll(s.metrics().sqnrDb().keySet());
            for (String k : keys) {
                Double sp = s.metrics().sparsity().get(k);
                Double q = s.metrics().sqnrDb().get(k);
                h.append("<tr><td class=\"l\">").append(esc(s.label())).append("</td><td class=\"l\">").append(esc(k)).append("</td><td>")
                        .append(sp == null ? "" : fmt("%.2f%%", 100 * sp)).append("</td><td>").append(q == null ? "" : fmt("%.1f", q)).append("</td></tr>\n");
            }
        }
        h.append("</table>\n");
    }

    private static double[] range(double[] v) {
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (double d : v) {
            lo = Math.min(lo, d);
            hi = Math.max(hi, d);
        }
        if (v.length == 0) return new double[] {0, 1};
        double pad = Math.max((hi - lo) * 0.1, 0.05);
        return new double[] {lo - pad, hi + pad};
    }

    private static double px(double v, double[] r, int x0, int x1) { return x0 + (v - r[0]) / (r[1] - r[0]) * (x1 - x0); }

    private static double py(double v, double[] r, int y0, int y1) { return y0 - (v - r[0]) / (r[1] - r[0]) * (y0 - y1); }

    private static String tick(double v) { return v >= 100 ? fmt("%.0f", v) : v >= 1 ? fmt("%.1f", v) : fmt("%.3f", v); }

    private static String fmt(String f, Object... a) { return String.format(Locale.ROOT, f, a); }

    static String esc(String s) {
        if (s == null) return "";
        StringBuilder b = new StringBuilder(s.length());
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(ch < 0x20 && ch != '\n' && ch != '\t' ? ' ' : ch);
            }
        }
        return b.toString();
    }
}

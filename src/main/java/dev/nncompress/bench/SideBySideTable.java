package dev.nncompress.bench;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The rows of one side-by-side table of {@code bench} (ours against another engine, {@link Alternating}): printed as
 * text with a heading, and the same rows as numbers for {@code --json}.
 */
final class SideBySideTable {
    private final String theirs;
    private final List<Map<String, Object>> rows = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    /** @param theirs the other engine's short name, as the column headings and JSON keys say it ("ort", "pytorch") */
    SideBySideTable(String theirs) { this.theirs = theirs; }

    /** Adds a row; {@code note} (may be empty) ends the text line. Returns the row's JSON map, for more fields. */
    Map<String, Object> add(String model, String mode, Alternating.Comparison c, String note) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("model", model);
        r.put("mode", mode);
        r.put("images_per_second", c.ours().imagesPerSecond());
        r.put(theirs + "_images_per_second", c.theirs().imagesPerSecond());
        r.put("ratio", c.ratio());
        r.put("lowest_ratio", c.lowestRatio());
        r.put("highest_ratio", c.highestRatio());
        r.put("pairs", c.pairs());
        r.put("cpu_us_per_image", c.ours().cpuMicrosPerImage());
        r.put(theirs + "_cpu_us_per_image", c.theirs().cpuMicrosPerImage());
        rows.add(r);
        notes.add(note);
        return r;
    }

    List<Map<String, Object>> json() { return rows; }

    /** Nothing when empty; else a blank line, {@code heading}, the column names and the rows, the model column {@code labelWidth} wide. */
    void print(PrintWriter out, int labelWidth, String heading, String theirName, String noteHeading) {
        if (rows.isEmpty()) return;
        String pad = "%-" + labelWidth + "s";
        out.println();
        out.println(heading);
        out.printf(Locale.ROOT, pad + " %-16s %14s %14s %8s  %11s  %-21s %s%n", "model", "mode", "ours img/s", theirName + " img/s", "ratio",
                "pairs", "CPU us/img ours, " + theirName, noteHeading);
        for (int i = 0; i < rows.size(); i++) {
            Map<String, Object> r = rows.get(i);
            out.printf(Locale.ROOT, pad + " %-16s %,14.0f %,14.0f %7.2fx  %11s  %8.1f %8.1f     %s%n", r.get("model"), r.get("mode"),
                    r.get("images_per_second"), r.get(theirs + "_images_per_second"), r.get("ratio"),
                    String.format(Locale.ROOT, "%.2f-%.2fx", r.get("lowest_ratio"), r.get("highest_ratio")), r.get("cpu_us_per_image"),
                    r.get(theirs + "_cpu_us_per_image"), notes.get(i));
        }
        out.flush();
    }
}

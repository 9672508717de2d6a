package dev.nncompress.pipeline;

import dev.nncompress.io.Provenance;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A sweep's report (docs/spark.md, "The sweep view"): what was swept and one {@link SweepPoint} per point. Written into
 * the sweep's directory as {@code sweep.json} (the data) and {@code report.html} (the sweep view, drawn from the same
 * data by {@link SweepReportHtml}); {@code nncompress report RUN_DIR} reads the JSON back and draws the page again.
 * The Spark module builds it from its result rows; the core knows nothing of Spark.
 *
 * @param grid            the sweep's {@code --grid}, as given
 * @param master          where it ran ({@code local[2]}, {@code spark://...})
 * @param maxAccuracyDrop the accuracy budget the best point is chosen within, in points (null: none)
 */
public record SweepReport(String recipeFile, String recipeSha256, String grid, String master, String tool, Double maxAccuracyDrop, List<SweepPoint> points) {
    public static final String JSON = "sweep.json";
    /** The grid's own bound on points: a sweep.json with more was not written by us. */
    public static final int MAX_POINTS = 100_000;

    public SweepReport {
        points = points == null ? List.of() : List.copyOf(points);
    }

    /** The report of a sweep of recipe {@code r} that just ran, stamped with this build. */
    public static SweepReport of(Recipe r, String grid, String master, Double maxAccuracyDrop, List<SweepPoint> points) {
        return new SweepReport(r.fileName(), r.sha256(), grid, master, "nncompress " + Provenance.version() + " (git " + Provenance.gitCommit() + ")",
                maxAccuracyDrop, points);
    }

    /** Writes sweep.json and report.html into {@code dir} (which exists: the points' directories are in it). */
    public void write(Path dir) {
        RunDirectory d = new RunDirectory(dir);
        d.create();
        d.write(dir.resolve(JSON), this);
        d.writeText(Report.HTML, SweepReportHtml.render(this));
    }

    /** Whether {@code dir} holds a sweep's report rather than a recipe run's. */
    public static boolean isSweep(Path dir) { return Files.isRegularFile(dir.resolve(JSON)); }

    /** sweep.json of {@code dir}, read and checked: it may have been edited by hand, so every point is validated before use. */
    public static SweepReport read(Path dir) {
        Path f = dir.resolve(JSON);
        if (!Files.isRegularFile(f)) throw new RecipeException(dir + ": no " + JSON + " (not a sweep directory?)");
        SweepReport r = RunDirectory.readJson(f, SweepReport.class);
        if (r.points().isEmpty() || r.points().size() > MAX_POINTS) {
            throw new RecipeException(f + ": points: expected 1 to " + MAX_POINTS + " entries, got " + r.points().size());
        }
        Double budget = r.maxAccuracyDrop();
        if (budget != null && !(budget >= 0 && budget <= 100)) throw new RecipeException(f + ": max_accuracy_drop: must be in [0, 100], got " + budget);
        for (int i = 0; i < r.points().size(); i++) check(f + ": points[" + i + "]", r.points().get(i));
        return r;
    }

    private static void check(String where, SweepPoint p) {
        if (p == null || p.point() == null || p.overrides() == null || p.status() == null) throw new RecipeException(where + ": missing point, overrides or status");
        if (!(p.seconds() >= 0 && Double.isFinite(p.seconds()))) throw new RecipeException(where + ".seconds: must be finite and >= 0, got " + p.seconds());
        if (p.ok()) {
            if (p.accuracy() == null || p.baselineAccuracy() == null || p.sizeBytes() == null || p.latencyMs() == null || p.throughput() == null) {
                throw new RecipeException(where + ": an ok point needs accuracy, baseline_accuracy, size_bytes, latency_ms and throughput");
            }
            fraction(where + ".accuracy", p.accuracy());
            fraction(where + ".baseline_accuracy", p.baselineAccuracy());
            if (p.sizeBytes() < 0) throw new RecipeException(where + ".size_bytes: must be >= 0, got " + p.sizeBytes());
            if (!(p.latencyMs() >= 0 && Double.isFinite(p.latencyMs()))) throw new RecipeException(where + ".latency_ms: must be finite and >= 0, got " + p.latencyMs());
            if (!(p.throughput() >= 0 && Double.isFinite(p.throughput()))) throw new RecipeException(where + ".throughput: must be finite and >= 0, got " + p.throughput());
        } else if (!SweepPoint.FAILED.equals(p.status()) || p.error() == null) {
            throw new RecipeException(where + ": status must be ok or failed (with its error), got " + p.status());
        }
    }

    private static void fraction(String where, double v) {
        if (!(v >= 0 && v <= 1)) throw new RecipeException(where + ": must be in [0, 1], got " + v);
    }

    /** Re-renders report.html of the sweep directory {@code dir} from its sweep.json. */
    public static SweepReport rerender(Path dir) {
        SweepReport r = read(dir);
        new RunDirectory(dir).writeText(Report.HTML, SweepReportHtml.render(r));
        return r;
    }
}

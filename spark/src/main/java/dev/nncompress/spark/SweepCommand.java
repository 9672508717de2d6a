package dev.nncompress.spark;

import dev.nncompress.cli.Main;
import dev.nncompress.pipeline.Recipe;
import dev.nncompress.pipeline.Report;
import dev.nncompress.pipeline.SweepFront;
import dev.nncompress.pipeline.SweepReport;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code nncompress sweep}: a recipe over a grid of overrides, one Spark task per point (docs/spark.md). */
@Command(name = "sweep", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"Run a recipe once per point of a grid of overrides (x seeds), each point one Spark task, embedded (local[N]) or on a "
                + "cluster. Each point's run directory is RUN_DIR/points/ID; the results table (one row per point, failed ones with their "
                + "error) is written as Parquet and JSON under RUN_DIR, and the sweep view (every point, the accuracy/size/latency Pareto "
                + "front, the best point within the accuracy budget) as RUN_DIR/report.html from RUN_DIR/sweep.json.",
                "Example: nncompress sweep --recipe recipes/fashion-mnist-quick.yaml --grid 'prune.sparsity=0.5,0.7;quantize.observer=minmax,kl' "
                        + "--out runs/sweep",
                "Layers: nncompress sweep --sensitivity prune --model student.safetensors --out runs/sens -- --sensitivity-levels 0.5,0.9"})
final class SweepCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--recipe", paramLabel = "FILE", description = "The recipe (YAML; docs/pipeline.md).")
    Path recipe;

    @Option(names = "--grid", paramLabel = "GRID",
            description = "Axes separated by ';', each KEY=V1,V2,... (a stage kind's key, e.g. prune.sparsity, stages[2].lr, or a top-level key: "
                    + "seed, data.train_limit). Every point is validated as the recipe file would be, before anything runs.")
    String grid;

    @Option(names = "--seeds", paramLabel = "N", defaultValue = "1", description = "Run each grid point with N seeds: the recipe's seed, seed+1, ... (default: ${DEFAULT-VALUE}).")
    int seeds;

    @Option(names = "--master", paramLabel = "URL",
            description = "Spark master: local[N], spark://HOST:PORT, ... (default: local[cores / --threads-per-task], in this process).")
    String master;

    @Option(names = "--threads-per-task", paramLabel = "T", defaultValue = "1", description = "Threads each point runs with (default: ${DEFAULT-VALUE}).")
    int threadsPerTask;

    @Option(names = "--max-accuracy-drop", paramLabel = "POINTS",
            description = "The sweep view's accuracy budget: its best point is the smallest model at most POINTS accuracy points below its baseline "
                    + "(default: the recipe's budget.max_accuracy_drop; without either, the view has no best point).")
    Double maxAccuracyDrop;

    @Option(names = "--sensitivity", paramLabel = "prune|quantize",
            description = "Instead of a recipe grid: the per-layer sensitivity scan of 'prune --sensitivity' or 'quantize', one layer per task, on --model; "
                    + "the scan's own options follow '--' (e.g. -- --sensitivity-levels 0.5,0.9 --test-limit 1000).")
    LayerScan.Kind sensitivity;

    @Option(names = "--model", paramLabel = "MODEL", description = "With --sensitivity: the model file (or built-in name) to scan.")
    String model;

    @Parameters(paramLabel = "SCAN_OPTION", description = "With --sensitivity, after '--': options of the single-machine scan, passed as typed.")
    List<String> scanOptions = List.of();

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "RUN_DIR", description = "The sweep's directory (shared by every executor).")
    Path out;

    @Override
    public Integer call() {
        if (threadsPerTask < 1 || threadsPerTask > 1024) throw new IllegalArgumentException("--threads-per-task must be in 1..1024, got " + threadsPerTask);
        if (maxAccuracyDrop != null && !(maxAccuracyDrop >= 0 && maxAccuracyDrop <= 100)) {
            throw new IllegalArgumentException("--max-accuracy-drop must be in [0, 100] points, got " + maxAccuracyDrop);
        }
        if (sensitivity != null) return sensitivityScan();
        if (recipe == null || grid == null) throw new ParameterException(spec.commandLine(), "Missing required options: --recipe and --grid (or --sensitivity)");
        if (model != null || !scanOptions.isEmpty()) throw new ParameterException(spec.commandLine(), "--model and scan options go with --sensitivity");
        Recipe r = Recipe.read(recipe); // the recipe's one-line errors, before Spark starts
        List<SweepGrid.Point> points = SweepGrid.points(r, grid, seeds); // and every point's overrides
        String m = master != null ? master : SparkSweep.localMaster(Runtime.getRuntime().availableProcessors(), threadsPerTask);
        PrintWriter o = spec.commandLine().getOut();
        long t0 = System.nanoTime();
        SparkSession spark = SparkSweep.session(m, threadsPerTask);
        try {
            double startSeconds = (System.nanoTime() - t0) / 1e9;
            long t1 = System.nanoTime();
            List<PointResult> rows = SparkSweep.run(spark, new SparkSweep.Spec(r.fileName(), r.text(), points, out, threadsPerTask));
            double jobSeconds = (System.nanoTime() - t1) / 1e9;
            SparkSweep.write(spark, rows, out);
            print(o, rows);
            double pointSeconds = rows.stream().mapToDouble(PointResult::seconds).sum();
            o.printf(Locale.ROOT, "sweep     %d point(s) on %s: job %.1f s (points %.1f s in all, Spark session start %.1f s)%n", rows.size(), m, jobSeconds,
                    pointSeconds, startSeconds);
            o.printf(Locale.ROOT, "results   %s, %s%n", out.resolve(SparkSweep.PARQUET), out.resolve(SparkSweep.JSON));
            writeView(o, r, m, rows);
            List<PointResult> failed = rows.stream().filter(p -> !p.ok()).toList();
            if (failed.isEmpty()) return Main.EXIT_OK;
            PointResult f = failed.get(0);
            return Main.reportError(new SweepFailedException(failed.size() + " of " + rows.size() + " point(s) failed; first " + f.point() + " ("
                    + f.overrides() + "): " + f.error()), spec.commandLine().getErr(), false);
        } finally {
            spark.stop();
        }
    }

    /** {@code --sensitivity}: the layers listed on the driver (the scan's usage errors before Spark starts), then one task each. */
    private int sensitivityScan() {
        if (model == null) throw new ParameterException(spec.commandLine(), "--sensitivity needs --model MODEL");
        if (recipe != null || grid != null || seeds != 1 || maxAccuracyDrop != null) {
            throw new ParameterException(spec.commandLine(), "--sensitivity scans --model; drop --recipe, --grid, --seeds and --max-accuracy-drop");
        }
        LayerScan.checkOptions(sensitivity, scanOptions);
        List<String> layers = LayerScan.layers(sensitivity, model, scanOptions);
        String m = master != null ? master : SparkSweep.localMaster(Runtime.getRuntime().availableProcessors(), threadsPerTask);
        PrintWriter o = spec.commandLine().getOut();
        SensitivitySweep.Spec s = new SensitivitySweep.Spec(sensitivity, model, scanOptions, out, threadsPerTask);
        SparkSession spark = SparkSweep.session(m, threadsPerTask);
        try {
            long t0 = System.nanoTime();
            List<LayerScan.Result> results = SensitivitySweep.run(spark, s, layers);
            double seconds = (System.nanoTime() - t0) / 1e9;
            boolean table = SensitivitySweep.write(spark, s, results, o) != null;
            o.printf(Locale.ROOT, "sweep     %s sensitivity of %d layer(s) on %s: job %.1f s (tasks %.1f s in all)%n", sensitivity, layers.size(), m, seconds,
                    results.stream().mapToDouble(LayerScan.Result::seconds).sum());
            o.printf(Locale.ROOT, "results   %s%s, %s%n", table ? out.resolve(SensitivitySweep.TABLE) + ", " : "", out.resolve(SensitivitySweep.PARQUET),
                    out.resolve(SensitivitySweep.ROWS));
            List<LayerScan.Result> failed = results.stream().filter(r -> !r.ok()).toList();
            if (failed.isEmpty()) return Main.EXIT_OK;
            LayerScan.Result f = failed.get(0);
            return Main.reportError(new SweepFailedException(failed.size() + " of " + results.size() + " layer(s) failed; first " + f.layer() + ": " + f.error()),
                    spec.commandLine().getErr(), false);
        } finally {
            spark.stop();
        }
    }

    /** The sweep view: RUN_DIR/sweep.json and report.html, and its best point and front in two lines. */
    private void writeView(PrintWriter o, Recipe r, String master, List<PointResult> rows) {
        Double budget = maxAccuracyDrop != null ? maxAccuracyDrop : r.budget() != null ? r.budget().maxDropPoints() : null;
        SweepReport view = SweepReport.of(r, grid, master, budget, rows.stream().map(PointResult::view).toList());
        view.write(out);
        String best = budget == null ? "no accuracy budget (--max-accuracy-drop or the recipe's budget)"
                : SweepFront.best(view.points(), budget).map(p -> p.point() + " (" + p.overrides() + ")")
                        .orElse(String.format(Locale.ROOT, "no point within %.2f accuracy points", budget));
        o.printf(Locale.ROOT, "front     %s%n", String.join(" ", SweepFront.front(view.points()).stream().map(p -> p.point()).toList()));
        o.printf(Locale.ROOT, "best      %s%n", best);
        o.printf(Locale.ROOT, "report    %s (data %s)%n", out.resolve(Report.HTML), out.resolve(SweepReport.JSON));
    }

    static void print(PrintWriter o, List<PointResult> rows) {
        o.printf(Locale.ROOT, "%-8s %-6s %9s %12s %10s %10s %8s  %s%n", "point", "status", "accuracy", "size bytes", "ms/image", "img/s", "seconds", "overrides");
        for (PointResult p : rows) {
            if (p.ok()) {
                o.printf(Locale.ROOT, "%-8s %-6s %8.2f%% %,12d %10.3f %,10.0f %8.1f  %s%n", p.point(), p.status(), 100 * p.accuracy(), p.sizeBytes(),
                        p.latencyMs(), p.throughput(), p.seconds(), p.overrides());
            } else {
                o.printf(Locale.ROOT, "%-8s %-6s %9s %12s %10s %10s %8.1f  %s: %s%n", p.point(), p.status(), "-", "-", "-", "-", p.seconds(), p.overrides(),
                        p.error());
            }
        }
        o.flush();
    }

    /** Some points failed: the sweep ran and wrote its results, and says so with exit 1. */
    static final class SweepFailedException extends java.io.UncheckedIOException {
        SweepFailedException(String message) {
            super(message, new java.io.IOException(message));
        }
    }
}

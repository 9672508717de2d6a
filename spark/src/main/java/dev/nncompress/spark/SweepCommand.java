package dev.nncompress.spark;

import dev.nncompress.cli.Main;
import dev.nncompress.pipeline.Recipe;
import dev.nncompress.pipeline.RecipeOverrides;
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

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

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

    @Option(names = "--gpus-per-task", paramLabel = "auto|0|1", defaultValue = "auto",
            description = "1: each task claims one GPU through Spark's resource scheduling (on a cluster; embedded, one point at a time on this "
                    + "process's GPU); auto (default): 1 when the recipe's backend is cuda. Without a usable GPU here, the embedded sweep runs on the CPU.")
    String gpusPerTask;

    @Option(names = "--conf", paramLabel = "KEY=VALUE", description = "A Spark setting (repeatable), e.g. spark.executor.memory=4g.")
    Map<String, String> conf = new LinkedHashMap<>();

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

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "RUN_DIR",
            description = "The sweep's directory, shared by every executor: a local path or a Hadoop URI (hdfs://, s3a://, file://; not with --sensitivity).")
    String out;

    @Override
    public Integer call() {
        if (threadsPerTask < 1 || threadsPerTask > 1024) throw new IllegalArgumentException("--threads-per-task must be in 1..1024, got " + threadsPerTask);
        if (maxAccuracyDrop != null && !(maxAccuracyDrop >= 0 && maxAccuracyDrop <= 100)) {
            throw new IllegalArgumentException("--max-accuracy-drop must be in [0, 100] points, got " + maxAccuracyDrop);
        }
        if (sensitivity != null) return sensitivityScan();
        if (recipe == null || grid == null) throw new ParameterException(spec.commandLine(), "Missing required options: --recipe and --grid (or --sensitivity)");
        if (model != null || !scanOptions.isEmpty()) throw new ParameterException(spec.commandLine(), "--model and scan options go with --sensitivity");
        String runDir = SweepDir.of(out);
        Recipe r = Recipe.read(recipe); // the recipe's one-line errors, before Spark starts
        PrintWriter o = spec.commandLine().getOut();
        boolean embedded = master == null || SparkSweep.isLocal(master);
        GpuDiscovery.Plan plan = GpuDiscovery.plan(r.backend(), gpusPerTask, embedded, GpuDiscovery::unavailableHere);
        if (plan.note() != null) o.println(plan.note()); // once, rather than every point failing on the CUDA backend
        if (plan.cpuFallback()) r = RecipeOverrides.apply(r, Map.of("backend", "cpu"));
        boolean gpus = plan.gpus();
        List<SweepGrid.Point> points = SweepGrid.points(r, grid, seeds); // and every point's overrides
        // embedded with a GPU: one point at a time on this process's one CUDA device
        String m = master != null ? master : gpus ? "local[1," + SparkSweep.LOCAL_MAX_FAILURES + "]"
                : SparkSweep.localMaster(Runtime.getRuntime().availableProcessors(), threadsPerTask);
        long t0 = System.nanoTime();
        SparkSession spark = session(o, m, gpus, embedded);
        try {
            double startSeconds = (System.nanoTime() - t0) / 1e9;
            long t1 = System.nanoTime();
            List<PointResult> rows = SparkSweep.run(spark, new SparkSweep.Spec(r.fileName(), r.text(), points, runDir, threadsPerTask, gpus));
            double jobSeconds = (System.nanoTime() - t1) / 1e9;
            SparkSweep.write(spark, rows, runDir);
            print(o, rows);
            double pointSeconds = rows.stream().mapToDouble(PointResult::seconds).sum();
            long retried = rows.stream().filter(p -> p.attempts() > 1).count();
            o.printf(Locale.ROOT, "sweep     %d point(s) on %s: job %.1f s (points %.1f s in all, Spark session start %.1f s)%s%n", rows.size(), m, jobSeconds,
                    pointSeconds, startSeconds, retried == 0 ? "" : "; " + retried + " retried by Spark (column attempts)");
            o.printf(Locale.ROOT, "results   %s, %s%n", SweepDir.child(runDir, SparkSweep.PARQUET), SweepDir.child(runDir, SparkSweep.JSON));
            writeView(o, r, m, rows, runDir);
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
        if (SweepDir.isUri(out)) throw new IllegalArgumentException("--sensitivity writes to a local (or shared) directory, not " + out);
        Path dir = Path.of(SweepDir.of(out));
        String m = master != null ? master : SparkSweep.localMaster(Runtime.getRuntime().availableProcessors(), threadsPerTask);
        PrintWriter o = spec.commandLine().getOut();
        SensitivitySweep.Spec s = new SensitivitySweep.Spec(sensitivity, model, scanOptions, dir, threadsPerTask);
        SparkSession spark = session(o, m, false, master == null || SparkSweep.isLocal(master));
        try {
            long t0 = System.nanoTime();
            List<LayerScan.Result> results = SensitivitySweep.run(spark, s, layers);
            double seconds = (System.nanoTime() - t0) / 1e9;
            boolean table = SensitivitySweep.write(spark, s, results, o) != null;
            o.printf(Locale.ROOT, "sweep     %s sensitivity of %d layer(s) on %s: job %.1f s (tasks %.1f s in all)%n", sensitivity, layers.size(), m, seconds,
                    results.stream().mapToDouble(LayerScan.Result::seconds).sum());
            o.printf(Locale.ROOT, "results   %s%s, %s%n", table ? dir.resolve(SensitivitySweep.TABLE) + ", " : "", dir.resolve(SensitivitySweep.PARQUET),
                    dir.resolve(SensitivitySweep.ROWS));
            List<LayerScan.Result> failed = results.stream().filter(r -> !r.ok()).toList();
            if (failed.isEmpty()) return Main.EXIT_OK;
            LayerScan.Result f = failed.get(0);
            return Main.reportError(new SweepFailedException(failed.size() + " of " + results.size() + " layer(s) failed; first " + f.layer() + ": " + f.error()),
                    spec.commandLine().getErr(), false);
        } finally {
            spark.stop();
        }
    }

    /**
     * The session: {@link SparkSweep#builder}'s settings, on a cluster the jars its executors lack ({@link SparkJars},
     * unless {@code --conf spark.jars} names them), then {@code --conf}.
     */
    private SparkSession session(PrintWriter o, String m, boolean gpus, boolean embedded) {
        SparkSession.Builder builder = SparkSweep.builder(m, threadsPerTask, gpus);
        if (!embedded && !m.startsWith("local-cluster") && !conf.containsKey("spark.jars") && System.getProperty("spark.jars") == null) {
            List<Path> jars = SparkJars.toShip();
            builder.config("spark.jars", jars.stream().map(Path::toString).collect(Collectors.joining(",")));
            o.printf(Locale.ROOT, "jars      %d shipped to the executors (spark.jars, %.0f MB)%n", jars.size(), jars.stream().mapToLong(SweepCommand::size).sum() / 1e6);
        }
        conf.forEach(builder::config);
        SparkSession spark = builder.getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        return spark;
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return 0;
        }
    }

    /**
     * The sweep view: RUN_DIR/sweep.json and report.html (written locally and copied up for a Hadoop URI), and its best
     * point and front in two lines.
     */
    private void writeView(PrintWriter o, Recipe r, String master, List<PointResult> rows, String runDir) {
        Double budget = maxAccuracyDrop != null ? maxAccuracyDrop : r.budget() != null ? r.budget().maxDropPoints() : null;
        SweepReport view = SweepReport.of(r, grid, master, budget, rows.stream().map(PointResult::view).toList());
        if (SweepDir.isUri(runDir)) {
            Path local;
            try {
                local = Files.createTempDirectory("nncompress-sweep-view-");
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("cannot make a scratch directory for the sweep view: " + e.getMessage(), e);
            }
            view.write(local);
            SweepDir.uploadFiles(local, runDir);
        } else {
            view.write(Path.of(runDir));
        }
        String best = budget == null ? "no accuracy budget (--max-accuracy-drop or the recipe's budget)"
                : SweepFront.best(view.points(), budget).map(p -> p.point() + " (" + p.overrides() + ")")
                        .orElse(String.format(Locale.ROOT, "no point within %.2f accuracy points", budget));
        o.printf(Locale.ROOT, "front     %s%n", String.join(" ", SweepFront.front(view.points()).stream().map(p -> p.point()).toList()));
        o.printf(Locale.ROOT, "best      %s%n", best);
        o.printf(Locale.ROOT, "report    %s (data %s)%n", SweepDir.child(runDir, Report.HTML), SweepDir.child(runDir, SweepReport.JSON));
    }

    static void print(PrintWriter o, List<PointResult> rows) {
        o.printf(Locale.ROOT, "%-8s %-6s %9s %12s %10s %10s %8s %8s  %s%n", "point", "status", "accuracy", "size bytes", "ms/image", "img/s", "seconds", "attempts",
                "overrides");
        for (PointResult p : rows) {
            if (p.ok()) {
                o.printf(Locale.ROOT, "%-8s %-6s %8.2f%% %,12d %10.3f %,10.0f %8.1f %8d  %s%n", p.point(), p.status(), 100 * p.accuracy(), p.sizeBytes(),
                        p.latencyMs(), p.throughput(), p.seconds(), p.attempts(), p.overrides());
            } else {
                o.printf(Locale.ROOT, "%-8s %-6s %9s %12s %10s %10s %8.1f %8d  %s: %s%n", p.point(), p.status(), "-", "-", "-", "-", p.seconds(), p.attempts(),
                        p.overrides(), p.error());
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

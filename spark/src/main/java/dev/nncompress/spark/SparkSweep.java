package dev.nncompress.spark;

import org.apache.spark.SparkException;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.CollectionAccumulator;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A sweep on Spark: one task per grid point (one partition each, so the scheduler hands points to free slots one by
 * one), each running {@link SweepTask} on an executor and returning its {@link PointResult}; the rows come back to the
 * driver and are written as a DataFrame, Parquet and JSON, under the run directory.
 *
 * <p>Threads: a task runs with {@code threadsPerTask} threads; with the embedded default ({@link #localMaster}) the
 * process runs cores / threadsPerTask tasks at once, so the cores are not oversubscribed. On a cluster,
 * {@code spark.task.cpus} tells the scheduler the same. GPUs: with {@code gpusPerTask} 1 on a cluster each task claims
 * one GPU through Spark's resource scheduling ({@code spark.task.resource.gpu.amount}), each executor one GPU.
 */
public final class SparkSweep {
    static final String PARQUET = "results.parquet";
    static final String JSON = "results.json";
    /** The attempts a task gets in the embedded mode ({@code local[N,2]}): one retry, as a transient failure needs. */
    static final int LOCAL_MAX_FAILURES = 2;

    /**
     * What to run: the recipe (its text, as read once on the driver, so every executor runs the same bytes), the points,
     * the shared run directory ({@link SweepDir#of}: a path every executor sees, or a Hadoop URI), each task's threads,
     * and whether each task runs on a GPU of its own (then the recipe's backend is CUDA's).
     */
    public record Spec(String recipeName, String recipeText, List<SweepGrid.Point> points, String runDir, int threadsPerTask, boolean gpus) {
        /** A local run directory, no GPUs. */
        public Spec(String recipeName, String recipeText, List<SweepGrid.Point> points, Path runDir, int threadsPerTask) {
            this(recipeName, recipeText, points, runDir.toAbsolutePath().toString(), threadsPerTask, false);
        }
    }

    private SparkSweep() {}

    /** {@code local[N,2]}: N = cores / threadsPerTask, at least 1, and a failed task tried once more. */
    public static String localMaster(int cores, int threadsPerTask) {
        return "local[" + Math.max(1, cores / threadsPerTask) + "," + LOCAL_MAX_FAILURES + "]";
    }

    /** A Spark session for a sweep on {@code master}: {@link #builder}'s. */
    public static SparkSession session(String master, int threadsPerTask) {
        SparkSession s = builder(master, threadsPerTask, false).getOrCreate();
        s.sparkContext().setLogLevel("WARN");
        return s;
    }

    /**
     * The session's settings, for callers that add their own: no web UI, each task's cpus and threads declared, and with
     * {@code gpus} on a cluster one GPU per task and per executor (found by {@code scripts/gpu/discover-gpus.sh} unless
     * the cluster's own configuration names a discovery script).
     */
    public static SparkSession.Builder builder(String master, int threadsPerTask, boolean gpus) {
        SparkSession.Builder b = SparkSession.builder().appName("nncompress sweep").master(master);
        settings(master, threadsPerTask, gpus, GpuDiscovery.script()).forEach(b::config);
        return b;
    }

    /** {@link #builder}'s settings ({@code discoveryScript} null: the cluster's own). */
    static Map<String, String> settings(String master, int threadsPerTask, boolean gpus, Path discoveryScript) {
        boolean local = isLocal(master);
        Map<String, String> c = new LinkedHashMap<>();
        c.put("spark.ui.enabled", "false");
        c.put("spark.task.cpus", String.valueOf(local ? 1 : threadsPerTask));
        c.put("spark.executorEnv.OMP_NUM_THREADS", String.valueOf(threadsPerTask));
        if (master.startsWith("local")) { // local and local-cluster: the loopback interface only
            c.put("spark.driver.host", "127.0.0.1");
            c.put("spark.driver.bindAddress", "127.0.0.1");
        }
        if (gpus && !local) { // the CUDA backend drives one device per process: one GPU per executor, one per task
            c.put("spark.task.resource.gpu.amount", "1");
            c.put("spark.executor.resource.gpu.amount", "1");
            if (discoveryScript != null) c.put("spark.executor.resource.gpu.discoveryScript", discoveryScript.toString());
        }
        return c;
    }

    /** In this process: {@code local}, {@code local[N]}, {@code local[N,M]} (not {@code local-cluster}, whose executors are JVMs of their own). */
    static boolean isLocal(String master) {
        return master.equals("local") || master.startsWith("local[");
    }

    /** The attempts Spark gives a task on {@code master}: local[N,M] says M, local[N] 1, a cluster spark.task.maxFailures. */
    static int maxFailures(String master, int clusterSetting) {
        Matcher m = Pattern.compile("local\\[\\s*(\\*|\\d+)\\s*,\\s*(\\d+)\\s*]").matcher(master);
        if (m.matches()) return Math.max(1, Integer.parseInt(m.group(2)));
        if (isLocal(master)) return 1;
        return Math.max(1, clusterSetting);
    }

    /**
     * Runs every point as one Spark task; the results in point order, a row for every point. When Spark aborts the job
     * (a task whose executor died on every attempt), the points that finished keep their rows and the others are failed
     * rows naming why.
     */
    public static List<PointResult> run(SparkSession spark, Spec spec) {
        String master = spark.sparkContext().master();
        int attempts = maxFailures(master, spark.sparkContext().conf().getInt("spark.task.maxFailures", 4));
        SweepTask task = new SweepTask(spec.recipeName(), spec.recipeText(), spec.runDir(), spec.threadsPerTask(), attempts, spec.gpus());
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        CollectionAccumulator<PointResult> finished = spark.sparkContext().collectionAccumulator("sweep points finished");
        List<PointResult> rows;
        try {
            rows = new ArrayList<>(jsc.parallelize(spec.points(), Math.max(1, spec.points().size())).map(p -> {
                PointResult r = task.call(p);
                finished.add(r);
                return r;
            }).collect());
        } catch (Exception e) { // Spark's SparkException is checked but thrown through Scala undeclared
            if (!(e instanceof SparkException)) throw e instanceof RuntimeException re ? re : new IllegalStateException(e);
            String first = e.getMessage() == null ? e.toString() : e.getMessage().strip().lines().findFirst().orElse("");
            rows = afterAbort(spec.points(), finished.value(), dev.nncompress.util.Quoted.safeLine(first), attempts);
        }
        rows.sort(Comparator.comparing(PointResult::point));
        return rows;
    }

    /** Every point's row after an aborted job: those that finished, then the rest failed with Spark's reason. */
    static List<PointResult> afterAbort(List<SweepGrid.Point> points, List<PointResult> finished, String reason, int attempts) {
        Map<String, PointResult> byId = new LinkedHashMap<>();
        for (PointResult r : finished) byId.putIfAbsent(r.point(), r);
        // "Task 3 in stage 0.0 failed 4 times": the partition, which is the point's index
        Matcher m = Pattern.compile("Task (\\d+) in stage \\S+ failed (\\d+) times").matcher(reason);
        int culprit = m.find() ? Integer.parseInt(m.group(1)) : -1;
        List<PointResult> rows = new ArrayList<>();
        for (int i = 0; i < points.size(); i++) {
            SweepGrid.Point p = points.get(i);
            PointResult done = byId.get(p.id());
            if (done != null) {
                rows.add(done);
                continue;
            }
            String overrides = dev.nncompress.pipeline.RecipeOverrides.describe(p.overrides());
            String error = i == culprit ? "Spark gave up on the point: " + reason
                    : "not finished: the sweep's job was aborted" + (culprit >= 0 ? " when " + points.get(culprit).id() + " failed" : "") + ": " + reason;
            rows.add(new PointResult(p.id(), overrides, p.seed(), PointResult.FAILED, error, Double.NaN, Double.NaN, -1, Double.NaN, Double.NaN, 0,
                    i == culprit ? attempts : 0, null, null, null));
        }
        return rows;
    }

    /** The rows as a DataFrame, written to {@code runDir/results.parquet} and {@code runDir/results.json} (one part file each). */
    public static Dataset<Row> write(SparkSession spark, List<PointResult> rows, String runDir) {
        Dataset<Row> df = spark.createDataFrame(rows.stream().map(PointResult::toRow).toList(), PointResult.SCHEMA);
        Dataset<Row> one = df.coalesce(1);
        one.write().mode(SaveMode.Overwrite).parquet(SweepDir.child(runDir, PARQUET));
        one.write().mode(SaveMode.Overwrite).json(SweepDir.child(runDir, JSON));
        return df;
    }

    /** {@link #write(SparkSession, List, String)} to a local directory. */
    public static Dataset<Row> write(SparkSession spark, List<PointResult> rows, Path runDir) {
        return write(spark, rows, runDir.toAbsolutePath().toString());
    }
}

package dev.nncompress.spark;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A sweep on Spark: one task per grid point (one partition each, so the scheduler hands points to free slots one by
 * one), each running {@link PointRun} on an executor and returning its {@link PointResult}; the rows come back to the
 * driver and are written as a DataFrame, Parquet and JSON, under the run directory.
 *
 * <p>Threads: a task runs with {@code threadsPerTask} threads; with the embedded default ({@link #localMaster}) the
 * process runs cores / threadsPerTask tasks at once, so the cores are not oversubscribed. On a cluster,
 * {@code spark.task.cpus} tells the scheduler the same.
 */
public final class SparkSweep {
    static final String PARQUET = "results.parquet";
    static final String JSON = "results.json";

    /**
     * What to run: the recipe (its text, as read once on the driver, so every executor runs the same bytes), the points,
     * the shared run directory (a path every executor sees) and each task's threads.
     */
    public record Spec(String recipeName, String recipeText, List<SweepGrid.Point> points, Path runDir, int threadsPerTask) {}

    private SparkSweep() {}

    /** {@code local[N]}: N = cores / threadsPerTask, at least 1. */
    public static String localMaster(int cores, int threadsPerTask) {
        return "local[" + Math.max(1, cores / threadsPerTask) + "]";
    }

    /** A Spark session for a sweep on {@code master}: {@link #builder}'s. */
    public static SparkSession session(String master, int threadsPerTask) {
        SparkSession s = builder(master, threadsPerTask).getOrCreate();
        s.sparkContext().setLogLevel("WARN");
        return s;
    }

    /** The session's settings, for callers that add their own: no web UI, each task's cpus and threads declared. */
    public static SparkSession.Builder builder(String master, int threadsPerTask) {
        SparkSession.Builder b = SparkSession.builder().appName("nncompress sweep").master(master)
                .config("spark.ui.enabled", "false")
                .config("spark.task.cpus", String.valueOf(master.startsWith("local[") ? 1 : threadsPerTask))
                .config("spark.executorEnv.OMP_NUM_THREADS", String.valueOf(threadsPerTask));
        if (master.startsWith("local")) b.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1");
        return b;
    }

    /** Runs every point as one Spark task; the results in point order, a row for every point (failed ones included). */
    public static List<PointResult> run(SparkSession spark, Spec spec) {
        String name = spec.recipeName();
        String text = spec.recipeText();
        String dir = spec.runDir().toAbsolutePath().toString(); // a Path is not Serializable; every task resolves it again
        int threads = spec.threadsPerTask();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<PointResult> rows = new ArrayList<>(jsc.parallelize(spec.points(), Math.max(1, spec.points().size()))
                .map(p -> PointRun.run(name, text, p, Path.of(dir), threads))
                .collect());
        rows.sort(Comparator.comparing(PointResult::point));
        return rows;
    }

    /** The rows as a DataFrame, written to {@code runDir/results.parquet} and {@code runDir/results.json} (one part file each). */
    public static Dataset<Row> write(SparkSession spark, List<PointResult> rows, Path runDir) {
        Dataset<Row> df = spark.createDataFrame(rows.stream().map(PointResult::toRow).toList(), PointResult.SCHEMA);
        Dataset<Row> one = df.coalesce(1);
        one.write().mode(SaveMode.Overwrite).parquet(runDir.resolve(PARQUET).toAbsolutePath().toString());
        one.write().mode(SaveMode.Overwrite).json(runDir.resolve(JSON).toAbsolutePath().toString());
        return df;
    }
}

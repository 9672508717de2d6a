package dev.nncompress.spark;

import dev.nncompress.pipeline.SweepPoint;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.io.Serializable;

/**
 * One row of a sweep's results: the point, what it ran with, and how its final model (the recipe's last stage)
 * measures; a failed point has {@code status} "failed", its one-line error, and no metrics (NaN / -1).
 *
 * @param overrides  the point's overrides as written, {@code prune.sparsity=0.7, quantize.observer=kl}
 * @param baselineAccuracy the accuracy of the point's baseline (its input model, or its first trained one: the run's
 *                   {@code Summary}), what the sweep view's accuracy budget is measured from
 * @param latencyMs  batch-1 latency of the final model, ms per image (the recipe's bench)
 * @param throughput images per second at the bench batch
 * @param seconds    the point's wall time inside its task (data loading, every stage, evaluation, report)
 * @param attempts   the attempt that gave this row (1 the first; more when Spark retried the task, e.g. after its executor
 *                   died), 0 when it never finished (the job was aborted)
 * @param executor   where it ran: Spark's executor id ("driver" in the embedded mode), host and process id
 * @param threads    the threads its task ran with, read back from each pool ({@code blas 1, openmp 1, nd4j 1, java 1})
 * @param gpu        the GPU address Spark's resource scheduling gave the task, null for none
 */
public record PointResult(String point, String overrides, long seed, String status, String error, double accuracy, double baselineAccuracy, long sizeBytes,
                          double latencyMs, double throughput, double seconds, int attempts, String executor, String threads, String gpu)
        implements Serializable {
    public static final String OK = SweepPoint.OK;
    public static final String FAILED = SweepPoint.FAILED;

    /** A row before its task's facts are known (run outside Spark: one attempt, here). */
    public PointResult(String point, String overrides, long seed, String status, String error, double accuracy, double baselineAccuracy, long sizeBytes,
                       double latencyMs, double throughput, double seconds) {
        this(point, overrides, seed, status, error, accuracy, baselineAccuracy, sizeBytes, latencyMs, throughput, seconds, 1, null, null, null);
    }

    /** This row with the facts of the task that ran it. */
    public PointResult withTask(int attempts, String executor, String threads, String gpu) {
        return new PointResult(point, overrides, seed, status, error, accuracy, baselineAccuracy, sizeBytes, latencyMs, throughput, seconds, attempts, executor,
                threads, gpu);
    }

    /** The results table's columns, in the order of {@link #toRow()}. */
    public static final StructType SCHEMA = new StructType(new StructField[] {
            DataTypes.createStructField("point", DataTypes.StringType, false),
            DataTypes.createStructField("overrides", DataTypes.StringType, false),
            DataTypes.createStructField("seed", DataTypes.LongType, false),
            DataTypes.createStructField("status", DataTypes.StringType, false),
            DataTypes.createStructField("error", DataTypes.StringType, true),
            DataTypes.createStructField("accuracy", DataTypes.DoubleType, true),
            DataTypes.createStructField("baseline_accuracy", DataTypes.DoubleType, true),
            DataTypes.createStructField("size_bytes", DataTypes.LongType, true),
            DataTypes.createStructField("latency_ms", DataTypes.DoubleType, true),
            DataTypes.createStructField("throughput", DataTypes.DoubleType, true),
            DataTypes.createStructField("seconds", DataTypes.DoubleType, false),
            DataTypes.createStructField("attempts", DataTypes.IntegerType, false),
            DataTypes.createStructField("executor", DataTypes.StringType, true),
            DataTypes.createStructField("threads", DataTypes.StringType, true),
            DataTypes.createStructField("gpu", DataTypes.StringType, true)});

    public boolean ok() { return OK.equals(status); }

    /** A Spark row of {@link #SCHEMA}; a failed point's metrics are null there. */
    public Row toRow() {
        return RowFactory.create(point, overrides, seed, status, error, ok() ? accuracy : null, ok() ? baselineAccuracy : null, ok() ? sizeBytes : null, ok() ? latencyMs : null,
                ok() ? throughput : null, seconds, attempts, executor, threads, gpu);
    }

    /** The row as the core's sweep view takes it (report.html and sweep.json): a failed point's metrics are null there. */
    public SweepPoint view() {
        return new SweepPoint(point, overrides, seed, status, error, ok() ? accuracy : null, ok() ? baselineAccuracy : null, ok() ? sizeBytes : null,
                ok() ? latencyMs : null, ok() ? throughput : null, seconds);
    }
}

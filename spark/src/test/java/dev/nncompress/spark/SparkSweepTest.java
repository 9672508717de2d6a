package dev.nncompress.spark;

import dev.nncompress.backend.cpu.TaskThreads;
import dev.nncompress.data.FashionMnist;
import dev.nncompress.pipeline.Recipe;
import dev.nncompress.pipeline.Report;
import dev.nncompress.pipeline.StageRecord;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A tiny sweep (4 points of the tiny recipe) on the embedded {@code local[2,2]} (the default: two slots, a failed task
 * tried once more): each point's results equal those of the same point run sequentially in this process (same seed,
 * same bits on the CPU), each task ran capped at its one thread, and the results come back as a DataFrame written as
 * Parquet and JSON. Then, on the same session, Spark's retries: a transient failure is retried and the row says so, and
 * a point that fails on every attempt (the job aborted) is a failed row, not lost.
 */
class SparkSweepTest {
    static final Path RECIPE = Path.of("src/test/resources/tiny-sweep.yaml");
    private static SparkSession spark;

    @BeforeAll
    static void start() {
        assumeTrue(Files.exists(FashionMnist.resolve(FashionMnist.DEFAULT_DIR, FashionMnist.TRAIN_IMAGES)), "Fashion-MNIST not installed");
        spark = SparkSweep.session(SparkSweep.localMaster(2, 1), 1);
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
    }

    @Test
    void eachPointOnLocal2EqualsTheSamePointRunSequentially(@TempDir Path tmp) {
        Recipe r = Recipe.read(RECIPE);
        List<SweepGrid.Point> points = SweepGrid.points(r, "prune.sparsity=0.3,0.6;quantize.observer=minmax,kl", 1);
        Path sweepDir = tmp.resolve("sweep");
        long t0 = System.nanoTime();
        List<PointResult> rows = SparkSweep.run(spark, new SparkSweep.Spec(r.fileName(), r.text(), points, sweepDir, 1));
        double sparkSeconds = (System.nanoTime() - t0) / 1e9;

        Path seqDir = tmp.resolve("sequential");
        List<PointResult> seq = new ArrayList<>();
        long t1 = System.nanoTime();
        for (SweepGrid.Point p : points) seq.add(PointRun.run(r.fileName(), r.text(), p, seqDir, 1));
        double seqSeconds = (System.nanoTime() - t1) / 1e9;
        System.out.printf("4 points: local[2] %.1f s, sequential %.1f s (points %.1f s in the sweep)%n", sparkSeconds, seqSeconds,
                rows.stream().mapToDouble(PointResult::seconds).sum());

        assertEquals(4, rows.size());
        for (int i = 0; i < points.size(); i++) {
            PointResult a = rows.get(i);
            PointResult b = seq.get(i);
            assertEquals(PointResult.OK, a.status(), a.error());
            // each pool as the task's thread saw it, read back from the libraries: OpenMP and our loops per thread,
            // OpenBLAS and libnd4j per process (1 for every task of this sweep)
            assertEquals("blas 1, openmp 1, nd4j 1, java 1", a.threads(), a.point());
            assertEquals(1, a.attempts(), a.point());
            assertTrue(a.executor().startsWith("driver@"), a.executor());
            assertEquals(points.get(i).id(), a.point());
            assertEquals(b.overrides(), a.overrides());
            assertEquals(b.accuracy(), a.accuracy(), 0.0, a.point());
            assertEquals(b.sizeBytes(), a.sizeBytes(), a.point());
            // every stage's record, not only the final row: accuracy, confusion matrix, file bytes, per-layer sparsity
            assertEquals(StandaloneClusterTest.measures(seqDir, a.point()), StandaloneClusterTest.measures(sweepDir, a.point()), a.point());
        }
        StageRecord prune = Report.read(sweepDir.resolve(PointRun.POINTS).resolve("p3")).stages().get(2);
        assertEquals(0.6, ((Number) prune.settings().get("sparsity")).doubleValue(), "p3 ran with its own overrides");
        assertEquals("kl", Report.read(sweepDir.resolve(PointRun.POINTS).resolve("p3")).stages().get(3).settings().get("observer"));

        SparkSweep.write(spark, rows, sweepDir);
        List<Row> back = spark.read().parquet(sweepDir.resolve(SparkSweep.PARQUET).toString()).orderBy("point").collectAsList();
        assertEquals(4, back.size());
        assertEquals(rows.get(3).accuracy(), back.get(3).getDouble(back.get(3).fieldIndex("accuracy")), 0.0);
        assertEquals("prune.sparsity=0.6, quantize.observer=kl", back.get(3).getString(back.get(3).fieldIndex("overrides")));
        assertEquals(4, spark.read().json(sweepDir.resolve(SparkSweep.JSON).toString()).count());
        assertEquals(1, back.get(3).getInt(back.get(3).fieldIndex("attempts")));

        // the per-thread caps stayed with the task threads: a thread that ran no point has its pools' defaults
        int cores = Runtime.getRuntime().availableProcessors();
        if (cores > 1) {
            TaskThreads.Counts[] other = new TaskThreads.Counts[1];
            Thread t = new Thread(() -> other[0] = TaskThreads.inEffect());
            t.start();
            try {
                t.join();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            assertTrue(other[0].openmp() > 1 && other[0].javaLoops() > 1, "another thread keeps its OpenMP team and loop threads: " + other[0].describe());
        }
    }

    @Test
    void aTransientFailureIsRetriedAndTheRowCountsTheAttempts(@TempDir Path tmp) throws Exception {
        Recipe r = quick();
        List<SweepGrid.Point> points = SweepGrid.points(r, "quantize.observer=minmax,kl", 1);
        List<PointResult> rows = withFault("p1:transient", () -> SparkSweep.run(spark, new SparkSweep.Spec(r.fileName(), r.text(), points, tmp.resolve("s"), 1)));
        assertEquals(PointResult.OK, rows.get(0).status(), rows.get(0).error());
        assertEquals(1, rows.get(0).attempts());
        assertEquals(PointResult.OK, rows.get(1).status(), "retried by Spark, then ran: " + rows.get(1).error());
        assertEquals(2, rows.get(1).attempts(), "the row says it took a retry");
    }

    @Test
    void aPointSparkGivesUpOnIsAFailedRowNotLost(@TempDir Path tmp) throws Exception {
        Recipe r = quick();
        List<SweepGrid.Point> points = SweepGrid.points(r, "quantize.observer=minmax", 1);
        List<PointResult> rows = withFault("p0:always", () -> SparkSweep.run(spark, new SparkSweep.Spec(r.fileName(), r.text(), points, tmp.resolve("s"), 1)));
        assertEquals(1, rows.size());
        PointResult p = rows.get(0);
        assertEquals(PointResult.FAILED, p.status());
        assertEquals(SparkSweep.LOCAL_MAX_FAILURES, p.attempts());
        assertTrue(p.error().startsWith("Spark gave up on the point: Job aborted due to stage failure: Task 0 in stage"), p.error());
        assertTrue(p.error().contains("injected failure of p0 on every attempt"), p.error());
    }

    /** A recipe of a fraction of a second per point: the untrained student quantized on 32 images. */
    static Recipe quick() { return Recipe.parse("quick.yaml", QUICK_YAML); }

    /** {@link #quick()}'s text, for tests that hand the command a recipe file. */
    static final String QUICK_YAML = """
            model: student
            backend: cpu
            data: {path: /usr/share/datasets/fashion-mnist, train_limit: 64, test_limit: 50}
            bench: {rounds: 1, seconds: 0.01}
            stages:
              - stage: quantize
                calib: 32
                sensitivity: 0
            """;

    /** Runs {@code body} with {@link SweepFaults#PROPERTY} set in this JVM (the embedded mode's tasks run here). */
    static <T> T withFault(String fault, java.util.concurrent.Callable<T> body) throws Exception {
        System.setProperty(SweepFaults.PROPERTY, fault);
        try {
            return body.call();
        } finally {
            System.clearProperty(SweepFaults.PROPERTY);
        }
    }
}

package dev.nncompress.spark;

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
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A tiny sweep (4 points of the tiny recipe) on the embedded {@code local[2]}: each point's results equal those of the
 * same point run sequentially in this process (same seed, same bits on the CPU), and the results come back as a
 * DataFrame written as Parquet and JSON.
 */
class SparkSweepTest {
    static final Path RECIPE = Path.of("src/test/resources/tiny-sweep.yaml");
    private static SparkSession spark;

    @BeforeAll
    static void start() {
        assumeTrue(Files.exists(FashionMnist.resolve(FashionMnist.DEFAULT_DIR, FashionMnist.TRAIN_IMAGES)), "Fashion-MNIST not installed");
        spark = SparkSweep.session("local[2]", 1);
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
    }
}

package dev.nncompress.spark;

import dev.nncompress.data.FashionMnist;
import dev.nncompress.pipeline.Recipe;
import dev.nncompress.pipeline.Report;
import dev.nncompress.pipeline.StageRecord;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The same sweep on a standalone cluster: Spark's {@code local-cluster[1,2,1536]} starts a standalone Master and one
 * Worker on this machine, and the Worker launches the executor as a child JVM (Spark's own classes, the standalone
 * deploy path), so the points run in another process than the driver. Its results equal the same points run here
 * sequentially: same bits across JVMs. The Worker launches executors from $SPARK_HOME (set by the pom for the test JVM), whose
 * command builder wants a jars/ folder there (empty here: the executor's class path is this JVM's,
 * spark.executor.extraClassPath) and SPARK_SCALA_VERSION.
 */
@Tag("cluster")
class StandaloneClusterTest {
    @Test
    void aSweepOnAStandaloneMasterAndWorkerEqualsTheSequentialRuns(@TempDir Path tmp) throws Exception {
        assumeTrue(Files.exists(FashionMnist.resolve(FashionMnist.DEFAULT_DIR, FashionMnist.TRAIN_IMAGES)), "Fashion-MNIST not installed");
        String home = System.getenv("SPARK_HOME");
        assumeTrue(home != null, "SPARK_HOME not set (the pom sets it for this test: run it through Maven)");
        Files.createDirectories(Path.of(home, "jars"));
        Recipe r = Recipe.read(SparkSweepTest.RECIPE);
        List<SweepGrid.Point> points = SweepGrid.points(r, "prune.sparsity=0.3,0.6", 1);
        SparkSession spark = SparkSweep.builder("local-cluster[1,2,1536]", 1)
                .config("spark.executor.memory", "1g")
                .config("spark.executorEnv.SPARK_SCALA_VERSION", "2.13")
                .config("spark.executor.extraClassPath", System.getProperty("java.class.path"))
                .getOrCreate();
        List<PointResult> rows;
        String driverPid = Long.toString(ProcessHandle.current().pid());
        List<String> executorPids;
        try {
            rows = SparkSweep.run(spark, new SparkSweep.Spec(r.fileName(), r.text(), points, tmp.resolve("cluster"), 1));
            executorPids = org.apache.spark.api.java.JavaSparkContext.fromSparkContext(spark.sparkContext())
                    .parallelize(List.of(1, 2), 2).map(i -> Long.toString(ProcessHandle.current().pid())).distinct().collect();
        } finally {
            spark.stop();
        }
        assertEquals(1, executorPids.size(), "one executor");
        assertNotEquals(driverPid, executorPids.get(0), "the points ran in the worker's executor, another JVM");
        for (int i = 0; i < points.size(); i++) {
            PointResult a = rows.get(i);
            assertEquals(PointResult.OK, a.status(), a.error());
            PointResult b = PointRun.run(r.fileName(), r.text(), points.get(i), tmp.resolve("sequential"), 1);
            assertEquals(b.accuracy(), a.accuracy(), 0.0, a.point());
            assertEquals(b.sizeBytes(), a.sizeBytes(), a.point());
            assertEquals(measures(tmp.resolve("sequential"), a.point()), measures(tmp.resolve("cluster"), a.point()), a.point());
        }
    }

    /** The point's report rows without their timings. */
    static List<String> measures(Path runDir, String point) {
        List<String> out = new ArrayList<>();
        for (StageRecord row : Report.read(runDir.resolve(PointRun.POINTS).resolve(point)).stages()) {
            StageRecord.Metrics m = row.metrics();
            out.add(row.label() + " " + m.accuracy() + " " + m.fileBytes() + " " + m.params() + " " + Arrays.deepToString(m.confusion()) + " "
                    + m.sparsity() + " " + m.sqnrDb());
        }
        return out;
    }
}

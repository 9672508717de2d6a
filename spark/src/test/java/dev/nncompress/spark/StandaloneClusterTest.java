package dev.nncompress.spark;

import dev.nncompress.data.FashionMnist;
import dev.nncompress.pipeline.Recipe;
import dev.nncompress.pipeline.Report;
import dev.nncompress.pipeline.StageRecord;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The same sweep on a standalone cluster: Spark's {@code local-cluster[1,2,1536]} starts a standalone Master and one
 * Worker on this machine, and the Worker launches the executor as a child JVM (Spark's own classes, the standalone
 * deploy path), so the points run in another process than the driver. One session, four checks:
 * <ul>
 * <li>the results equal the same points run here sequentially: same bits across JVMs;</li>
 * <li>a killed executor is retried: p1's task halts its executor's JVM on its first attempt
 *     ({@link SweepFaults}, through the executor's Java options), the Master starts another executor, Spark runs the
 *     task again there, and p1's row says 2 attempts;</li>
 * <li>GPUs through Spark's resource scheduling: the Worker has two (fake, {@code src/test/scripts/fake-gpus.sh}), each
 *     task claims one and its row names the address it was given;</li>
 * <li>the jars are shipped: the executor's class path has Spark's jars and the libraries, not nncompress's; the core
 *     jar and this module's classes reach it through {@code spark.jars}.</li>
 * </ul>
 * The Worker launches executors from $SPARK_HOME (set by the pom for the test JVM), whose command builder wants a jars/
 * folder there (empty here) and SPARK_SCALA_VERSION.
 */
@Tag("cluster")
class StandaloneClusterTest {
    @Test
    void aSweepOnAStandaloneClusterSurvivesAKilledExecutorAndEqualsTheSequentialRuns(@TempDir Path tmp) throws Exception {
        assumeTrue(Files.exists(FashionMnist.resolve(FashionMnist.DEFAULT_DIR, FashionMnist.TRAIN_IMAGES)), "Fashion-MNIST not installed");
        String home = System.getenv("SPARK_HOME");
        assumeTrue(home != null, "SPARK_HOME not set (the pom sets it for this test: run it through Maven)");
        Files.createDirectories(Path.of(home, "jars"));
        Recipe r = Recipe.read(SparkSweepTest.RECIPE);
        List<SweepGrid.Point> points = SweepGrid.points(r, "prune.sparsity=0.3,0.6", 1);

        List<Path> ours = new ArrayList<>();
        List<Path> libraries = new ArrayList<>();
        for (Path p : SparkJars.expand(System.getProperty("java.class.path"))) {
            if (p.endsWith(Path.of("target", "classes")) || p.endsWith(Path.of("target", "test-classes")) || p.toString().contains("dev/nncompress/nncompress/")) {
                ours.add(p);
            } else if (Files.isRegularFile(p)) {
                libraries.add(p);
            }
        }
        Path shipped = TestJars.jarOf(ours.stream().filter(Files::isDirectory).toList(), tmp.resolve("nncompress-spark-under-test.jar"));
        List<Path> ship = new ArrayList<>(List.of(shipped));
        ours.stream().filter(Files::isRegularFile).forEach(ship::add);
        assertEquals(2, ship.size(), "this module's classes (one jar) and the core jar: " + ours);

        SparkSession spark = SparkSweep.builder("local-cluster[1,2,1536]", 1, false)
                .config("spark.executor.memory", "1g")
                .config("spark.executorEnv.SPARK_SCALA_VERSION", "2.13")
                .config("spark.executor.extraClassPath", libraries.stream().map(Path::toString).collect(Collectors.joining(File.pathSeparator)))
                .config("spark.jars", ship.stream().map(Path::toString).collect(Collectors.joining(",")))
                .config("spark.executor.extraJavaOptions", "-D" + SweepFaults.PROPERTY + "=p1:kill")
                .config("spark.worker.resource.gpu.amount", "2")
                .config("spark.worker.resource.gpu.discoveryScript", Path.of("src/test/scripts/fake-gpus.sh").toAbsolutePath().toString())
                .config("spark.executor.resource.gpu.amount", "2")
                .config("spark.task.resource.gpu.amount", "1")
                .getOrCreate();
        List<PointResult> rows;
        String driverPid = Long.toString(ProcessHandle.current().pid());
        List<String> executors;
        try {
            rows = SparkSweep.run(spark, new SparkSweep.Spec(r.fileName(), r.text(), points, tmp.resolve("cluster"), 1));
            executors = JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(List.of(1, 2), 2)
                    .map(i -> ProcessHandle.current().pid() + " " + PointRun.class.getProtectionDomain().getCodeSource().getLocation().getPath())
                    .distinct().collect();
        } finally {
            spark.stop();
        }
        assertEquals(1, executors.size(), "one executor now: " + executors);
        String[] executor = executors.get(0).split(" ", 2);
        assertNotEquals(driverPid, executor[0], "the points ran in the worker's executor, another JVM");
        assertTrue(executor[1].endsWith("/" + shipped.getFileName()) && !executor[1].equals(shipped.toString()),
                "the executor loaded nncompress from its copy of the shipped jar: " + executor[1]);

        assertEquals(2, rows.get(1).attempts(), "p1 killed its executor on the first attempt and ran again: " + rows.get(1));
        assertNotEquals(rows.get(1).executor(), null);
        for (int i = 0; i < points.size(); i++) {
            PointResult a = rows.get(i);
            assertEquals(PointResult.OK, a.status(), a.error());
            assertTrue(Set.of("0", "1").contains(a.gpu()), "the task's GPU from Spark's resource scheduling: " + a.gpu());
            assertTrue(a.executor().endsWith(" pid " + executor[0]) || i == 0, "p1 ran on the new executor: " + a.executor());
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

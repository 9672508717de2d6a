package dev.nncompress.spark;

import dev.nncompress.pipeline.Recipe;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Spark's cost per sweep task and a small sweep's wall time against the same points run one after another, in one JVM,
 * alternating rounds (docs/spark.md, "Overhead"). Not a test: run with the test class path,
 * {@code java @java17-opens.args -cp target/test-classes:target/classes:$(cat cp.txt) dev.nncompress.spark.SweepOverheadBench [RECIPE] [GRID] [ROUNDS]}.
 *
 * <p>Per-task overhead two ways: a job of no-op tasks (one per point: scheduling, closure and result serialization,
 * with nothing to run), and a sweep on {@code local[1]} less the sum of its points' own seconds.
 */
public final class SweepOverheadBench {
    public static void main(String[] args) throws Exception {
        Path recipePath = Path.of(args.length > 0 ? args[0] : "src/test/resources/tiny-sweep.yaml");
        String grid = args.length > 1 ? args[1] : "prune.sparsity=0.3,0.6;quantize.observer=minmax,kl";
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        Recipe r = Recipe.read(recipePath);
        List<SweepGrid.Point> points = SweepGrid.points(r, grid, 1);
        Path tmp = Files.createTempDirectory("sweep-bench");
        long t0 = System.nanoTime();
        SparkSession spark = SparkSweep.session("local[2]", 1);
        System.out.printf(Locale.ROOT, "session start local[2]: %.2f s%n", (System.nanoTime() - t0) / 1e9);
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        SparkSweep.run(spark, new SparkSweep.Spec(r.fileName(), r.text(), points, tmp.resolve("warm"), 1)); // JIT, ND4J, data caches
        double[] seq = new double[rounds], par = new double[rounds], noop = new double[rounds];
        for (int k = 0; k < rounds; k++) {
            long a = System.nanoTime();
            for (SweepGrid.Point p : points) PointRun.run(r.fileName(), r.text(), p, tmp.resolve("seq" + k), 1);
            seq[k] = (System.nanoTime() - a) / 1e9;
            a = System.nanoTime();
            SparkSweep.run(spark, new SparkSweep.Spec(r.fileName(), r.text(), points, tmp.resolve("par" + k), 1));
            par[k] = (System.nanoTime() - a) / 1e9;
            a = System.nanoTime();
            jsc.parallelize(points, points.size()).map(p -> p.id()).collect();
            noop[k] = (System.nanoTime() - a) / 1e9;
            System.out.printf(Locale.ROOT, "round %d: sequential %.2f s, local[2] %.2f s, %d no-op tasks %.3f s%n", k, seq[k], par[k], points.size(), noop[k]);
        }
        spark.stop();
        SparkSession one = SparkSweep.session("local[1]", 1);
        List<Double> overheads = new ArrayList<>();
        for (int k = 0; k < rounds; k++) {
            long a = System.nanoTime();
            List<PointResult> rows = SparkSweep.run(one, new SparkSweep.Spec(r.fileName(), r.text(), points, tmp.resolve("one" + k), 1));
            double wall = (System.nanoTime() - a) / 1e9;
            double inside = rows.stream().mapToDouble(PointResult::seconds).sum();
            overheads.add((wall - inside) / points.size());
            System.out.printf(Locale.ROOT, "local[1] round %d: job %.2f s, points %.2f s inside their tasks: %.3f s per task%n", k, wall, inside,
                    overheads.get(k));
        }
        one.stop();
        System.out.printf(Locale.ROOT, "median: sequential %.2f s, local[2] %.2f s (%.2fx), no-op task %.3f s, local[1] overhead %.3f s per task%n",
                median(seq), median(par), median(seq) / median(par), median(noop) / points.size(),
                median(overheads.stream().mapToDouble(Double::doubleValue).toArray()));
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}

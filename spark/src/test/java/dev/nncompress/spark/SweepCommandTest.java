package dev.nncompress.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nncompress.cli.Main;
import dev.nncompress.data.FashionMnist;
import dev.nncompress.pipeline.SweepPoint;
import dev.nncompress.pipeline.SweepReport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code nncompress sweep} through the core's command line (found by ServiceLoader from this module's jar): a point
 * that fails (its model file does not exist) is a failed row with its error beside the point that ran, exit 1. The run
 * directory is given as a {@code file://} URI, so the points take the Hadoop route (run into a scratch directory, copied
 * up through Hadoop's FileSystem) that {@code hdfs://} and {@code s3a://} take.
 */
class SweepCommandTest {
    @TempDir Path tmp;

    @Test
    void aFailingPointIsReportedWithItsErrorAndTheOthersRun() throws Exception {
        assumeTrue(Files.exists(FashionMnist.resolve(FashionMnist.DEFAULT_DIR, FashionMnist.TRAIN_IMAGES)), "Fashion-MNIST not installed");
        Path recipe = tmp.resolve("r.yaml");
        Files.writeString(recipe, SparkSweepTest.QUICK_YAML);
        Path out = tmp.resolve("sweep");
        StringWriter so = new StringWriter();
        StringWriter se = new StringWriter();
        int code = Main.run(new String[] {"sweep", "--recipe", recipe.toString(), "--grid", "model=student," + tmp.resolve("missing.safetensors"),
                "--master", "local[2]", "--max-accuracy-drop", "100", "-o", out.toUri().toString()}, new PrintWriter(so, true), new PrintWriter(se, true));

        System.out.print(so);
        assertEquals(Main.EXIT_FAILURE, code, se.toString());
        List<String> errors = se.toString().lines().filter(l -> l.startsWith("nncompress: error: ")).toList();
        assertEquals(1, errors.size(), se.toString());
        assertTrue(errors.get(0).startsWith("nncompress: error: 1 of 2 point(s) failed; first p1 (model="), errors.get(0));
        assertTrue(so.toString().contains("sweep     2 point(s) on local[2]"), so.toString());

        // results.json is Spark's JSON Lines part file: read with Jackson (a second Spark session would cost seconds)
        List<JsonNode> rows = new ArrayList<>();
        try (Stream<Path> parts = Files.list(out.resolve(SparkSweep.JSON))) {
            for (Path part : parts.filter(f -> f.getFileName().toString().startsWith("part-")).toList()) {
                for (String line : Files.readAllLines(part)) rows.add(new ObjectMapper().readTree(line));
            }
        }
        rows.sort(Comparator.comparing(n -> n.get("point").asText()));
        assertEquals(2, rows.size(), "the failed point is a row, not dropped");
        assertEquals("ok", rows.get(0).get("status").asText());
        double accuracy = rows.get(0).get("accuracy").asDouble();
        assertTrue(accuracy >= 0 && accuracy <= 1 && rows.get(0).get("size_bytes").asLong() > 0, rows.get(0).toString());
        assertEquals("failed", rows.get(1).get("status").asText());
        String error = rows.get(1).get("error").asText();
        assertTrue(error.contains("missing.safetensors"), error);
        assertTrue(errors.get(0).endsWith(error), "the command's line names the point's error");
        assertFalse(rows.get(1).has("accuracy"), "no accuracy for a failed point: " + rows.get(1));
        assertTrue(Files.readString(out.resolve("points/p1/log.txt")).contains("missing.safetensors"), "the point's log has its error");
        assertTrue(Files.isRegularFile(out.resolve("points/p0/report.json")), "p0's run directory copied up through Hadoop");
        assertTrue(Files.readString(out.resolve("points/p0/log.txt")).contains("threads   blas 1, openmp 1, nd4j 1, java 1"), "the task's threads in its log");
        assertEquals(1, rows.get(0).get("attempts").asInt(), "local[2]: one attempt, no retry");
        assertTrue(so.toString().contains("results   " + out.toUri().toString().replaceAll("/$", "") + "/results.parquet"), so.toString());

        // the sweep view: sweep.json holds both points, the failed one with its error; the page marks p0 best (the only ok point)
        SweepReport view = SweepReport.read(out);
        assertEquals(List.of("p0", "p1"), view.points().stream().map(SweepPoint::point).toList());
        assertEquals(accuracy, view.points().get(0).accuracy(), 0.0);
        assertEquals(error, view.points().get(1).error());
        assertEquals(100.0, view.maxAccuracyDrop());
        assertTrue(so.toString().contains("best      p0 (model=student)"), so.toString());
        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("<tr class=\"best\"><td class=\"l\">p0</td>"), html);
        assertTrue(html.contains("<tr class=\"failed\"><td class=\"l\">p1</td>"), html);
        assertTrue(so.toString().contains("report    " + out.toUri().toString().replaceAll("/$", "") + "/report.html"), "the view copied up: " + so);
    }
}

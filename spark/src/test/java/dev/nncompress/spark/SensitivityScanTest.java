package dev.nncompress.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nncompress.cli.Main;
import dev.nncompress.data.FashionMnist;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Per-layer sensitivity scans with one layer per task on {@code local[2]}: the merged tables equal the single-machine
 * commands' ({@code prune --sensitivity}, {@code quantize}'s sensitivity table) number for number, on the built-in
 * student and a slice of Fashion-MNIST. One Spark session for the class; the command's test runs last, as the command
 * stops the session it gets.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SensitivityScanTest {
    static final List<String> PRUNE = List.of("--train-limit", "64", "--test-limit", "200", "--sensitivity-levels", "0.5,0.9");
    static final List<String> QUANTIZE = List.of("--calib", "32", "--test-limit", "100", "--sensitivity-images", "50");
    private static SparkSession spark;
    @TempDir Path tmp;

    @BeforeAll
    static void start() {
        assumeTrue(Files.exists(FashionMnist.resolve(FashionMnist.DEFAULT_DIR, FashionMnist.TRAIN_IMAGES)), "Fashion-MNIST not installed");
        spark = SparkSweep.session("local[2]", 1);
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
    }

    /** The single-machine command's --json object, run in this process. */
    static JsonNode single(List<String> args) throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertEquals(Main.EXIT_OK, Main.run(args.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true)), err.toString());
        return new ObjectMapper().readTree(out.toString());
    }

    @Test
    @Order(1)
    void thePruneScanOneLayerPerTaskEqualsTheSingleMachineScan() throws Exception {
        List<String> layers = LayerScan.layers(LayerScan.Kind.prune, "student", PRUNE);
        assertEquals(List.of("conv1", "conv2", "fc1", "fc2"), layers);
        SensitivitySweep.Spec spec = new SensitivitySweep.Spec(LayerScan.Kind.prune, "student", PRUNE, tmp, 1);
        List<LayerScan.Result> results = SensitivitySweep.run(spark, spec, layers);
        StringWriter table = new StringWriter();
        JsonNode merged = SensitivitySweep.write(spark, spec, results, new PrintWriter(table, true));
        System.out.print(table);

        List<String> args = new ArrayList<>(List.of("prune", "student", "--sensitivity", "--json"));
        args.addAll(PRUNE);
        JsonNode expected = single(args);
        assertEquals(4, expected.get("layers").size());
        assertEquals(expected, new ObjectMapper().readTree(merged.toString()), "every layer's accuracy at every level, the dense accuracy, the levels");
        assertEquals(expected, new ObjectMapper().readTree(tmp.resolve(SensitivitySweep.TABLE).toFile()));
        assertEquals(8, spark.read().parquet(tmp.resolve(SensitivitySweep.PARQUET).toString()).count(), "a row per layer and level");
        assertTrue(Files.readString(tmp.resolve("layers/l002/log.txt")).contains("--layers fc1"), "task 2 scanned fc1 alone");
    }

    @Test
    @Order(2)
    void aScanOptionTheSweepSetsItselfIsAUsageErrorBeforeSparkStarts() {
        StringWriter err = new StringWriter();
        int code = Main.run(new String[] {"sweep", "--sensitivity", "prune", "--model", "student", "-o", tmp.toString(), "--", "--layers", "fc1"},
                new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
        assertEquals(Main.EXIT_USAGE, code);
        assertEquals("nncompress: error: sweep --sensitivity: --layers is set by the sweep (one layer per task, results under --out); drop it", err.toString().strip());
        for (String[] c : new String[][] {
                {"--sensitivity prune", "--sensitivity needs --model MODEL"},
                {"--sensitivity quantize --model student --seeds 2", "--sensitivity scans --model; drop --recipe, --grid, --seeds and --max-accuracy-drop"},
                {"--grid seed=1,2", "Missing required options: --recipe and --grid (or --sensitivity)"}}) {
            List<String> args = new ArrayList<>(List.of("sweep", "-o", tmp.toString()));
            args.addAll(List.of(c[0].split(" ")));
            StringWriter e = new StringWriter();
            assertEquals(Main.EXIT_USAGE, Main.run(args.toArray(String[]::new), new PrintWriter(new StringWriter(), true), new PrintWriter(e, true)), c[0]);
            assertTrue(e.toString().startsWith("nncompress: error: " + c[1]), e.toString());
        }
    }

    @Test
    @Order(3)
    void theQuantizeScanThroughTheCommandEqualsTheSingleMachineTable() throws Exception {
        Path out = tmp.resolve("sens");
        List<String> args = new ArrayList<>(List.of("sweep", "--sensitivity", "quantize", "--model", "student", "--master", "local[2]", "-o", out.toString(), "--"));
        args.addAll(QUANTIZE);
        StringWriter so = new StringWriter();
        StringWriter se = new StringWriter();
        int code = Main.run(args.toArray(String[]::new), new PrintWriter(so, true), new PrintWriter(se, true));
        System.out.print(so);
        assertEquals(Main.EXIT_OK, code, se.toString());
        assertTrue(so.toString().contains("sweep     quantize sensitivity of 5 layer(s) on local[2]"), so.toString());

        List<String> q = new ArrayList<>(List.of("quantize", "student", "--json"));
        q.addAll(QUANTIZE);
        JsonNode expected = single(q).get("sensitivity");
        assertEquals(5, expected.get("layers").size());
        assertEquals(expected, new ObjectMapper().readTree(out.resolve(SensitivitySweep.TABLE).toFile()), "SQNR and logits MSE per layer, worst first");
        List<JsonNode> rows = new ArrayList<>();
        try (Stream<Path> parts = Files.list(out.resolve(SensitivitySweep.ROWS))) {
            for (Path part : parts.filter(f -> f.getFileName().toString().startsWith("part-")).toList()) {
                for (String line : Files.readAllLines(part)) rows.add(new ObjectMapper().readTree(line));
            }
        }
        assertEquals(5, rows.size());
        assertEquals(expected.get("layers").get(0).get("node").asText(), rows.get(0).get("layer").asText(), "rows in the table's order");
    }
}

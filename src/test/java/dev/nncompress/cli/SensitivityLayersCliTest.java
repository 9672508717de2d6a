package dev.nncompress.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nncompress.data.FashionMnist;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;

import static dev.nncompress.cli.MainTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What {@code nncompress sweep --sensitivity} (spark/) builds on: the scans list their layers
 * ({@code --list-sensitivity-layers}) and quantize's scan of one layer ({@code --sensitivity-layers}) gives that layer's
 * row of the whole scan exactly.
 */
class SensitivityLayersCliTest {
    private static void assumeData() {
        assumeTrue(Files.exists(FashionMnist.resolve(FashionMnist.DEFAULT_DIR, FashionMnist.TRAIN_IMAGES)), "Fashion-MNIST not installed");
    }

    private static JsonNode json(MainTest.Run r) throws Exception {
        assertEquals(Main.EXIT_OK, r.code(), r.err());
        return new ObjectMapper().readTree(r.out());
    }

    @Test
    void pruneListsItsScanLayers() throws Exception {
        assumeData();
        JsonNode n = json(run("prune", "student", "--sensitivity", "--list-sensitivity-layers", "--test-limit", "32", "--train-limit", "32",
                "--backend", "reference", "--quiet", "--json"));
        assertEquals("[\"conv1\",\"conv2\",\"fc1\",\"fc2\"]", n.get("sensitivity_layers").toString());
        assertEquals("[\"fc1\"]", json(run("prune", "student", "--sensitivity", "--list-sensitivity-layers", "--layers", "fc1", "--test-limit", "32",
                "--train-limit", "32", "--backend", "reference", "--quiet", "--json")).get("sensitivity_layers").toString(), "--layers chooses the scan's layers");
    }

    @Test
    void quantizeScansOneLayerWithTheWholeScansNumbers() throws Exception {
        assumeData();
        String[] common = {"quantize", "student", "--calib", "32", "--test-limit", "50", "--sensitivity-images", "50", "--backend", "reference", "--quiet", "--json"};
        JsonNode listed = json(run(concat(common, "--list-sensitivity-layers")));
        assertEquals("[\"input\",\"conv1\",\"conv2\",\"fc1\",\"fc2\"]", listed.get("sensitivity_layers").toString());
        JsonNode all = json(run(common)).get("sensitivity").get("layers");
        JsonNode one = json(run(concat(common, "--sensitivity-layers", "fc1"))).get("sensitivity").get("layers");
        assertEquals(1, one.size());
        JsonNode fc1 = null;
        for (JsonNode l : all) if (l.get("node").asText().equals("fc1")) fc1 = l;
        assertEquals(fc1, one.get(0), "fc1 measured alone: the same SQNR and logits MSE as in the whole scan");
    }

    @Test
    void theOptionsOutsideTheirScanAreUsageErrors() {
        MainTest.Run prune = run("prune", "student", "--sparsity", "0.5", "--list-sensitivity-layers");
        assertEquals(Main.EXIT_USAGE, prune.code());
        assertEquals("nncompress: error: --list-sensitivity-layers lists the --sensitivity scan's layers; add --sensitivity", prune.singleError());
        MainTest.Run quantize = run("quantize", "student", "--sensitivity-images", "0", "--sensitivity-layers", "fc1");
        assertEquals(Main.EXIT_USAGE, quantize.code());
        assertEquals("nncompress: error: --sensitivity-layers and --list-sensitivity-layers need the sensitivity table; drop --sensitivity-images 0",
                quantize.singleError());
    }

    private static String[] concat(String[] a, String... b) {
        String[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}

package dev.nncompress.cli;

import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.data.FashionMnist;
import dev.nncompress.graph.Graph;
import dev.nncompress.io.ModelIO;
import dev.nncompress.tensor.NmPattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static dev.nncompress.cli.MainTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@code nncompress prune}, in-process on small slices with the reference backend. */
class PruneCommandTest {
    @TempDir Path tmp;

    private static void assumeData() {
        assumeTrue(Files.exists(FashionMnist.resolve(FashionMnist.DEFAULT_DIR, FashionMnist.TRAIN_IMAGES)), "Fashion-MNIST not installed");
    }

    /** --structured: half the filters of every conv and half of fc1's neurons removed, a smaller dense file that loads and evaluates. */
    @Test
    void structuredRemovesFiltersAndWritesASmallerDenseModel() {
        assumeData();
        Path out = tmp.resolve("s.safetensors");
        MainTest.Run r = run("prune", "student", "--structured", "--sparsity", "0.5", "--finetune-epochs", "1", "--train-limit", "256",
                "--test-limit", "128", "--backend", "reference", "--quiet", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("accuracy  pruned ") && r.out().contains("after 1 fine-tuning epoch(s)"), r.out());
        assertTrue(r.out().contains("speed     inference batch 128: dense "), r.out());
        Graph g = ModelIO.load(out, new ReferenceBackend()).graph();
        assertEquals(4, g.param("conv1.weight").value().shape().dim(0)); // 8 -> 4 filters
        assertEquals(8, g.param("conv2.weight").value().shape().dim(0)); // 16 -> 8
        assertEquals(8 * 49, g.param("fc1.weight").value().shape().dim(1)); // fc1 reads 8 channels of 7x7
        assertEquals(32, g.param("fc1.weight").value().shape().dim(0));     // 64 -> 32 hidden neurons
        assertEquals(10, g.param("fc2.weight").value().shape().dim(0));     // the classifier keeps its 10 outputs
        assertEquals(13242, g.parameterCount());
        assertTrue(r.out().contains("prune       fc1                                        64 ->   32 neurons"), r.out());
    }

    @Test
    void prunesFineTunesReportsAndWritesASmallFileThatInfoAndEvalRead() throws Exception {
        assumeData();
        Path out = tmp.resolve("p.safetensors");
        MainTest.Run r = run("prune", "student", "--sparsity", "0.9", "--finetune-epochs", "1", "--train-limit", "256", "--test-limit", "128",
                "--backend", "reference", "--quiet", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("prune     magnitude, global, 90.00% of 52,040 weights in conv1, conv2, fc1, fc2; schedule oneshot"), r.out());
        assertTrue(r.out().contains("accuracy  dense ") && r.out().contains("on 128 test images"), r.out());
        assertTrue(r.out().contains("accuracy  pruned, before fine-tuning ") && r.out().contains("accuracy  after fine-tuning "), r.out());
        assertTrue(r.out().contains("(sparsity 90.00%"), r.out());
        assertTrue(r.out().contains("  fc1     50,176"), r.out());
        String size = r.out().lines().filter(l -> l.startsWith("size ")).findFirst().orElseThrow();
        double ratio = Double.parseDouble(size.substring(size.lastIndexOf('(') + 1, size.indexOf("x smaller")));
        assertTrue(ratio >= 5, size);
        assertTrue(r.out().contains("wrote     " + out + " (" + CliSupport.grouped(Files.size(out)) + " bytes)"), r.out());

        Graph g = ModelIO.load(out, new ReferenceBackend()).graph();
        long zeros = 0, n = 0;
        for (String w : new String[] {"conv1.weight", "conv2.weight", "fc1.weight", "fc2.weight"}) {
            for (float v : g.param(w).value().toFloatArray()) if (v == 0) zeros++;
            n += g.param(w).value().numel();
        }
        assertEquals(46836, zeros, "round(0.9 * 52,040) weights are zero in the file");

        MainTest.Run info = run("info", out.toString());
        assertEquals(0, info.code(), info.err());
        assertTrue(info.out().contains("46,836 of 52,138") || info.out().contains("46,836"), info.out());
        MainTest.Run eval = run("eval", out.toString(), "--test-limit", "64", "--backend", "reference", "--quiet");
        assertEquals(0, eval.code(), eval.err());
    }

    @Test
    void layerScopeRestrictedToNamedLayersWithTheIterativeSchedule() {
        assumeData();
        MainTest.Run r = run("prune", "student", "--sparsity", "0.5", "--scope", "layer", "--layers", "fc1,conv2", "--prune-schedule", "iterative",
                "--prune-rounds", "2", "--finetune-epochs", "1", "--train-limit", "128", "--test-limit", "64", "--backend", "reference", "--quiet");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("in conv2, fc1; schedule iterative (2 rounds)"), r.out());
        assertTrue(r.out().contains("round 2/2 after fine-tuning") && r.out().contains("  conv2    1,152     576    50.00%"), r.out());
        assertTrue(r.out().contains("  conv1       72       0     0.00%"), r.out());
        assertTrue(r.err().contains("the pruned model was not saved"), r.err());
    }

    /** --nm 2:4: every group of 4 along each row keeps 2 after fine-tuning; the file uses the N:M layout and loads back. */
    @Test
    void nmPrunesTwoOfEveryFourAndWritesTheNmLayout() throws Exception {
        assumeData();
        Path out = tmp.resolve("nm.safetensors");
        MainTest.Run r = run("prune", "student", "--nm", "2:4", "--finetune-epochs", "1", "--train-limit", "256", "--test-limit", "128",
                "--backend", "reference", "--quiet", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("prune     magnitude, N:M 2:4 (keep 2 of every 4 along each row) of 52,040 weights"), r.out());
        assertTrue(r.out().contains("  conv1       72      32    44.44%") && r.out().contains("  fc1     50,176  25,088    50.00%"), r.out());
        var st = dev.nncompress.io.SafeTensors.read(out);
        assertTrue(st.tensors().containsKey("fc1.weight.nm_indices"), st.tensors().keySet().toString());
        Graph g = ModelIO.load(out, new ReferenceBackend()).graph();
        NmPattern p = new NmPattern(2, 4);
        for (String w : new String[] {"conv1.weight", "conv2.weight", "fc1.weight", "fc2.weight"}) {
            assertTrue(p.holds(g.param(w).value().toFloatArray(), NmPattern.rowLength(g.param(w).value().shape().dimsLong())), w);
        }
    }

    @Test
    void sensitivityPrintsTheTableAndWritesItAsJson() throws Exception {
        assumeData();
        Path report = tmp.resolve("sens.json");
        MainTest.Run r = run("prune", "student", "--sensitivity", "--sensitivity-levels", "0.5,0.9", "--test-limit", "64",
                "--backend", "reference", "--quiet", "--report", report.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("measure   4 layer(s) x 2 level(s) = 8 evaluations on 64 test images"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.matches(" +layer +weights +50% +90%")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("  fc1 +50,176 +[0-9.]+% \\([-+][0-9.]+\\) +[0-9.]+% \\([-+][0-9.]+\\)")), r.out());
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(report.toFile());
        assertEquals(64, json.get("images").asInt());
        assertEquals(4, json.get("layers").size());
        assertEquals(2, json.get("layers").get(2).get("accuracy").size());
        assertEquals("prune", json.get("provenance").get("task").asText());
        try (var files = Files.list(tmp)) {
            assertEquals(1, files.count(), "no temporary file left beside the report");
        }
    }

    @Test
    void nmAndSensitivityOptionsThatContradictAreUsageErrors() {
        String none = tmp.resolve("none").toString();
        String[][] cases = {
                {"--nm 2:4 --structured", "--nm prunes single weights in groups; it does not combine with --structured"},
                {"--nm 2:4 --sparsity 0.5", "--nm 2:4 fixes the sparsity; drop --sparsity"},
                {"--nm 5:4", "--nm: N:M sparsity needs 1 <= N < M <= 8, got 5:4"},
                {"--nm 2:16", "--nm: N:M sparsity needs 1 <= N < M <= 8, got 2:16"},
                {"--nm two:four", "--nm: N:M pattern must look like 2:4, got 'two:four'"},
                {"--nm 2:4 --prune-schedule cubic", "--nm prunes once then fine-tunes; --prune-schedule cubic is for --sparsity"},
                {"--nm 2:4 --scope layer", "--nm ranks within each group of M; --scope does not apply"},
                {"--sensitivity --sparsity 0.5", "--sensitivity scans --sensitivity-levels; drop --sparsity"},
                {"--sensitivity --nm 2:4", "--sensitivity measures unstructured pruning one layer at a time; drop --nm"},
                {"--sensitivity --sensitivity-levels 0.5,1.5", "--sensitivity-levels must be in [0.0, 1.0), got 1.5"},
                {"--sparsity 0.5 --report r.json", "--report writes the --sensitivity table; add --sensitivity"},
                {"--sparsity 0.5 --sensitivity-levels 0.5", "--sensitivity-levels needs --sensitivity"},
                {"--finetune-epochs 0", "Missing required option: '--sparsity=S' (or --nm N:M, or --sensitivity)"},
                {"--sparsity 0.5 --linear-sparsity 0.5", "--linear-sparsity sets the neurons removed by --structured; add --structured"},
                {"--structured --sparsity 0.5 --linear-sparsity 1", "--linear-sparsity must be in [0.0, 1.0), got 1.0"},
        };
        for (String[] c : cases) {
            java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("prune", "student", "--backend", "reference", "--data", none));
            args.addAll(java.util.List.of(c[0].split(" ")));
            MainTest.Run r = run(args.toArray(String[]::new));
            assertEquals(Main.EXIT_USAGE, r.code(), c[0] + ": " + r.err());
            assertTrue(r.singleError().contains(c[1]), c[0] + ": " + r.err());
        }
    }

    @Test
    void badInputIsAUsageErrorBeforeAnyData() {
        String none = tmp.resolve("none").toString();
        for (String s : new String[] {"1", "1.5", "-0.1"}) {
            MainTest.Run r = run("prune", "student", "--sparsity", s, "--backend", "reference", "--data", none);
            assertEquals(Main.EXIT_USAGE, r.code(), r.err());
            assertTrue(r.singleError().contains("--sparsity must be in [0.0, 1.0), got"), r.err());
        }
        MainTest.Run layer = run("prune", "student", "--sparsity", "0.5", "--layers", "fc1,fc9", "--backend", "reference", "--data", none);
        assertEquals(Main.EXIT_USAGE, layer.code(), layer.err());
        assertTrue(layer.singleError().contains("--layers: layer 'fc9' does not exist in student; prunable layers: conv1, conv2, fc1, fc2"), layer.err());
        MainTest.Run structured = run("prune", "student", "--sparsity", "0.5", "--structured", "--method", "taylor", "--backend", "reference", "--data", none);
        assertEquals(Main.EXIT_USAGE, structured.code());
        assertTrue(structured.singleError().contains("--structured ranks filters by magnitude (L1) or activation (APoZ)"), structured.err());
        MainTest.Run structuredCubic = run("prune", "student", "--sparsity", "0.5", "--structured", "--prune-schedule", "cubic", "--finetune-epochs", "0",
                "--backend", "reference", "--data", none); // gradual structured pruning masks during fine-tuning: it needs some
        assertEquals(Main.EXIT_USAGE, structuredCubic.code());
        assertTrue(structuredCubic.singleError().contains("needs --finetune-epochs >= 1"), structuredCubic.err());
        MainTest.Run cubic = run("prune", "student", "--sparsity", "0.5", "--prune-schedule", "cubic", "--finetune-epochs", "0", "--backend", "reference");
        assertEquals(Main.EXIT_USAGE, cubic.code());
        assertTrue(cubic.singleError().contains("needs --finetune-epochs >= 1"), cubic.err());
        MainTest.Run method = run("prune", "student", "--sparsity", "0.5", "--method", "random", "--backend", "reference");
        assertEquals(Main.EXIT_USAGE, method.code());
        assertTrue(method.singleError().contains("--method"), method.err());
        MainTest.Run missing = run("prune", "student", "--backend", "reference");
        assertEquals(Main.EXIT_USAGE, missing.code());
        assertFalse(Files.exists(tmp.resolve("p.safetensors")));
    }
}

package dev.nncompress.cli;

import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.io.ModelIO;
import dev.nncompress.io.onnx.OnnxFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.nncompress.cli.MainTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code prune --structured --prune-schedule cubic|iterative} end to end on a 64-image slice of Fashion-MNIST: the imported
 * MobileNetV2 is masked while it fine-tunes, cut at the end, and written smaller, with the structure of a one-shot cut.
 */
class GradualStructuredPruneCliTest {
    @TempDir Path tmp;

    private static final long ONE_SHOT_PARAMS = 30_490; // prune --structured --sparsity 0.5 of the fixture (docs/pruning.md)

    private MainTest.Run prune(String... extra) {
        List<String> args = new ArrayList<>(List.of("prune", OnnxFixtures.file("mobilenetv2").toString(), "--structured", "--sparsity", "0.5",
                "--finetune-epochs", "1", "--train-limit", "64", "--test-limit", "64", "--batch-size", "16", "--backend", "cpu", "--quiet"));
        args.addAll(List.of(extra));
        return run(args.toArray(String[]::new));
    }

    @Test
    void cubicAndIterativeWriteASmallerModel() throws Exception {
        assumeTrue(OnnxFixtures.datasetInstalled(), "Fashion-MNIST not installed");
        Path out = tmp.resolve("cubic.safetensors");
        MainTest.Run r = prune("--prune-schedule", "cubic", "--update-every", "1", "--ramp", "0.5", "--channel-score", "group-l2", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("group-l2, cubic over 2 of 4 steps, channel masks every 1"), r.out());
        assertTrue(r.out().contains("parameters 106,282 -> 30,490"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("accuracy  masked ([0-9.]+)%, cut \\1% after 1 fine-tuning epoch.*")), r.out());
        assertTrue(r.out().contains("after BN recalibration"), r.out());
        ModelIO.LoadedModel m = ModelIO.load(out, new ReferenceBackend());
        assertEquals(ONE_SHOT_PARAMS, m.graph().parameterCount());
        assertTrue(Files.size(out) < Files.size(OnnxFixtures.file("mobilenetv2")) / 2);
        assertEquals("cubic", m.provenance().get("schedule"));
        assertEquals("0.5", m.provenance().get("ramp"));
        assertEquals("group-l2", m.provenance().get("channel_criterion"));

        Path it = tmp.resolve("iterative.safetensors");
        r = prune("--prune-schedule", "iterative", "--prune-rounds", "2", "--teacher", "dense", "--out", it.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("iterative, 2 rounds over 4 steps"), r.out());
        assertTrue(r.out().contains("with teacher"), r.out());
        assertEquals(ONE_SHOT_PARAMS, ModelIO.load(it, new ReferenceBackend()).graph().parameterCount());

        Path global = tmp.resolve("global.safetensors");
        r = prune("--prune-schedule", "cubic", "--update-every", "1", "--channel-allocation", "global", "--out", global.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("of all prunable channels, allocated globally"), r.out());
        assertTrue(r.out().contains("channel masks every 1, global allocation): parameters 106,282 -> "), r.out());
        ModelIO.LoadedModel g = ModelIO.load(global, new ReferenceBackend());
        assertEquals("global", g.provenance().get("channel_allocation"));
        assertTrue(g.graph().parameterCount() != ONE_SHOT_PARAMS, "another structure than the uniform cut's");
    }

    /** The masks, step and Taylor sums are checkpointed: resuming the finished run restores them and writes the same model. */
    @Test
    void resumingAFinishedGradualRunWritesTheSameModel() throws Exception {
        assumeTrue(OnnxFixtures.datasetInstalled(), "Fashion-MNIST not installed");
        List<String> base = List.of("prune", "student", "--structured", "--sparsity", "0.5", "--prune-schedule", "cubic", "--update-every", "1",
                "--finetune-epochs", "1", "--train-limit", "64", "--batch-size", "16", "--test-limit", "32", "--backend", "reference", "--quiet");
        Path dir = tmp.resolve("ckpt"), first = tmp.resolve("first.safetensors"), again = tmp.resolve("again.safetensors");
        List<String> a = new ArrayList<>(base);
        a.addAll(List.of("--checkpoint-dir", dir.toString(), "--out", first.toString()));
        MainTest.Run r = run(a.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("taylor, cubic over 1 of 4 steps"), r.out());
        List<String> b = new ArrayList<>(base);
        b.addAll(List.of("--resume", dir.toString(), "--out", again.toString()));
        MainTest.Run resumed = run(b.toArray(String[]::new));
        assertEquals(0, resumed.code(), resumed.err());
        assertEquals(dev.nncompress.io.SafeTensors.read(first).tensors(), dev.nncompress.io.SafeTensors.read(again).tensors());
        assertEquals(13_242, ModelIO.load(again, new ReferenceBackend()).graph().parameterCount()); // student at 50%, StructuredPrunerTest
    }

    @Test
    void gradualOptionsThatContradictAreUsageErrors() {
        String[][] cases = {
                {"--prune-schedule cubic --finetune-epochs 0", "--structured --prune-schedule cubic masks channels during fine-tuning; it needs --finetune-epochs >= 1"},
                {"--prune-schedule cubic --ramp 0", "--ramp must be in (0, 1], got 0.0"},
                {"--prune-schedule cubic --ramp 1.5", "--ramp must be in (0, 1], got 1.5"},
                {"--ramp 0.5", "--ramp shapes the cubic schedule; add --prune-schedule cubic"},
                {"--prune-schedule cubic --channel-score l3", "--channel-score must be l1, group-l2, bn-gamma or taylor, got 'l3'"},
                {"--method activation --channel-score l1", "--channel-score ranks channels for --structured --method magnitude"},
                {"--channel-allocation global", "--channel-allocation shares gradual structured pruning's channels among groups; use it with --structured and --prune-schedule cubic or iterative"},
                {"--prune-schedule cubic --channel-allocation even", "--channel-allocation"},
        };
        for (String[] c : cases) {
            List<String> args = new ArrayList<>(List.of("prune", "student", "--structured", "--sparsity", "0.5", "--backend", "reference",
                    "--data", tmp.resolve("none").toString()));
            args.addAll(List.of(c[0].split(" ")));
            MainTest.Run r = run(args.toArray(String[]::new));
            assertEquals(Main.EXIT_USAGE, r.code(), c[0] + ": " + r.err());
            assertTrue(r.singleError().contains(c[1]), c[0] + ": " + r.err());
            assertFalse(r.err().contains("Exception"), r.err());
        }
    }
}

package dev.nncompress.cli;

import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.graph.Graph;
import dev.nncompress.io.ModelIO;
import dev.nncompress.io.onnx.OnnxFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.nncompress.cli.MainTest.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The two recoveries of {@code prune --structured} on the imported MobileNetV2 fixture, on a 64-image slice:
 * BN recalibration after surgery (--bn-recalibrate) and distillation from the dense model or a file (--teacher).
 * Whether the teacher is really used is seen in the weights: alpha 0 (labels only) gives exactly plain fine-tuning,
 * alpha 0.5 something else.
 */
class PruneRecoveryCliTest {
    @TempDir Path tmp;

    private MainTest.Run prune(Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("prune", OnnxFixtures.file("mobilenetv2").toString(), "--structured", "--sparsity", "0.5",
                "--finetune-epochs", "1", "--train-limit", "64", "--test-limit", "64", "--batch-size", "32", "--backend", "cpu", "--quiet",
                "--out", out.toString()));
        args.addAll(List.of(extra));
        MainTest.Run r = run(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        return r;
    }

    private static void assertSameWeights(Graph a, Graph b, boolean same) {
        boolean allEqual = true;
        for (String p : a.params().keySet()) {
            float[] x = a.param(p).value().toFloatArray();
            float[] y = b.param(p).value().toFloatArray();
            if (same) assertArrayEquals(x, y, 0f, p);
            else allEqual &= java.util.Arrays.equals(x, y);
        }
        if (!same) assertFalse(allEqual, "the teacher's soft targets changed no weight");
    }

    @Test
    void recalibratesBatchNormsAndDistillsFromTheDenseModelOrAFile() {
        assumeTrue(OnnxFixtures.datasetInstalled(), "Fashion-MNIST not installed");
        Path plain = tmp.resolve("plain.safetensors");
        MainTest.Run r = prune(plain, "--bn-recalibrate", "48");
        assertTrue(r.out().contains("after BN recalibration on 48 training images, 25 batch norms"), r.out());
        assertFalse(r.out().contains("with teacher"), r.out());
        assertEquals("48", ModelIO.load(plain, new ReferenceBackend()).provenance().get("bn_recalibrate"));

        Path cosine = tmp.resolve("cosine.safetensors"); // --lr-schedule reaches the fine-tuning: other weights, recorded
        prune(cosine, "--bn-recalibrate", "48", "--lr-schedule", "cosine");
        assertSameWeights(ModelIO.load(plain, new ReferenceBackend()).graph(), ModelIO.load(cosine, new ReferenceBackend()).graph(), false);
        assertEquals("cosine", ModelIO.load(cosine, new ReferenceBackend()).provenance().get("lr_schedule"));

        Path hardOnly = tmp.resolve("alpha0.safetensors");
        prune(hardOnly, "--bn-recalibrate", "48", "--teacher", "dense", "--alpha", "0");
        assertSameWeights(ModelIO.load(plain, new ReferenceBackend()).graph(), ModelIO.load(hardOnly, new ReferenceBackend()).graph(), true);

        Path kd = tmp.resolve("kd.safetensors");
        r = prune(kd, "--bn-recalibrate", "48", "--teacher", "dense", "--temperature", "2");
        assertTrue(r.out().contains("finetune  with teacher dense (the model before pruning), T 2.0, alpha 0.5"), r.out());
        assertTrue(r.out().contains("after 1 fine-tuning epoch(s) with teacher"), r.out());
        ModelIO.LoadedModel loaded = ModelIO.load(kd, new ReferenceBackend());
        assertSameWeights(ModelIO.load(plain, new ReferenceBackend()).graph(), loaded.graph(), false);
        Map<String, String> prov = loaded.provenance();
        assertTrue(prov.get("teacher").startsWith("dense ("), prov.toString());
        assertTrue(prov.get("teacher_config").contains("temperature=2.0"), prov.toString());

        // a teacher file (here the pruned model of the first run: any model with the same input and classes)
        r = prune(tmp.resolve("file.safetensors"), "--bn-recalibrate", "0", "--teacher", plain.toString(), "--cache-teacher");
        assertTrue(r.out().contains("finetune  cached teacher logits for 64 images"), r.out());
        assertFalse(r.out().contains("BN recalibration"), "--bn-recalibrate 0 disables it:\n" + r.out());
    }

    @Test
    void refusesRecoveryOptionsThatCannotApply() {
        String m = OnnxFixtures.file("mobilenetv2").toString();
        String[][] usage = {
                {"prune", m, "--sparsity", "0.5", "--bn-recalibrate", "64"},
                {"prune", m, "--structured", "--sparsity", "0.5", "--bn-recalibrate", "-1"},
                {"prune", m, "--sparsity", "0.5", "--teacher", "dense"},
                {"prune", m, "--structured", "--sparsity", "0.5", "--finetune-epochs", "0", "--teacher", "dense"},
                {"prune", m, "--structured", "--sparsity", "0.5", "--teacher", "dense", "--alpha", "1.5"},
                {"prune", m, "--structured", "--sparsity", "0.5", "--alpha", "0.5"},
                {"prune", m, "--structured", "--sparsity", "0.5", "--lr-schedule", "wobble"}};
        for (String[] args : usage) {
            MainTest.Run r = run(args);
            assertEquals(Main.EXIT_USAGE, r.code(), String.join(" ", args) + "\n" + r.err());
        }
        MainTest.Run missing = run("prune", m, "--structured", "--sparsity", "0.5", "--teacher", tmp.resolve("none.safetensors").toString());
        assertEquals(Main.EXIT_FAILURE, missing.code(), missing.err());
        assertTrue(missing.singleError().contains("none.safetensors"), missing.err());
    }
}

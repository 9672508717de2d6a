package dev.nncompress.cli;

import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.ops.Conv2dOp;
import dev.nncompress.io.ModelIO;
import dev.nncompress.io.onnx.OnnxFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static dev.nncompress.cli.MainTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code nncompress prune --structured} on the imported MobileNetV2 fixture: its depthwise convs prune with the
 * channels they read (fewer groups), the residual sums tie their blocks, one fine-tuning epoch trains through the
 * smaller depthwise convs, and the written file loads and evaluates.
 */
class CoupledPruneCliTest {
    @TempDir Path tmp;

    @Test
    void mobilenetv2PrunesThroughItsDepthwiseConvsAndResidualSums() {
        assumeTrue(OnnxFixtures.datasetInstalled(), "Fashion-MNIST not installed");
        Path out = tmp.resolve("mb.safetensors");
        MainTest.Run r = run("prune", OnnxFixtures.file("mobilenetv2").toString(), "--structured", "--sparsity", "0.5", "--finetune-epochs", "1",
                "--train-limit", "64", "--test-limit", "64", "--batch-size", "32", "--backend", "reference", "--quiet", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("structured pruning (l1): parameters 106,282 -> 30,490 (28.7%)"), r.out());
        assertTrue(r.out().contains("features_0 + features_3_conv_0 + features_3_conv_3   16 ->    8 channels"), r.out());
        assertTrue(r.out().contains("features_6_conv_6 + features_7_conv_6 + features_8_conv_6   32 ->   16 channels"), r.out());
        assertTrue(r.out().contains("(fixed: reaches the graph output classifier"), r.out());
        Graph g = ModelIO.load(out, new ReferenceBackend()).graph();
        assertEquals(32, Conv2dOp.spec(g.node("features_4_conv_3")).groups(), "the depthwise conv of 64 channels keeps 32 groups");
        assertEquals(30490, g.parameterCount());
        MainTest.Run eval = run("eval", out.toString(), "--test-limit", "64", "--backend", "reference", "--quiet");
        assertEquals(0, eval.code(), eval.err());
    }
}

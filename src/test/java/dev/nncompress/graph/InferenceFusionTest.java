package dev.nncompress.graph;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.cpu.CpuBackend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.io.onnx.OnnxImporter;
import dev.nncompress.models.Models;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A predictor runs conv -> BN -> ReLU/Clip chains fused ({@link InferenceFusion}); the logits must be the
 * node-by-node pass's bit for bit, on a backend with the fused epilogue (CPU) and on one without (reference).
 */
class InferenceFusionTest {
    private static final CpuBackend CPU = new CpuBackend();

    @Test
    void mobileNetChainsWithClipAndResidualAddGiveTheUnfusedLogits() {
        Graph g = OnnxImporter.importFile(Path.of("src/test/resources/onnx/mobilenetv2.onnx"), CPU).graph();
        InferenceFusion plan = InferenceFusion.plan(g);
        long clips = g.nodes().stream().filter(n -> n.op() == OpType.CLIP && plan.skips(n)).count();
        long bns = g.nodes().stream().filter(n -> n.op() == OpType.BATCHNORM2D && plan.skips(n)).count();
        assertTrue(clips > 0 && bns > clips, "the fixture has conv-BN-Clip and conv-BN (before the residual add) chains: " + clips + " " + bns);
        assertSame(g, CPU, 3);
    }

    @Test
    void resnetChainsWithReluGiveTheUnfusedLogits() {
        Graph g = Models.resnet8(CPU, 7);
        assertTrue(g.nodes().stream().anyMatch(n -> n.op() == OpType.RELU && InferenceFusion.plan(g).skips(n)));
        assertSame(g, CPU, 2);
    }

    @Test
    void aBackendWithoutTheEpilogueRunsTheNodesOneByOne() {
        Backend ref = new ReferenceBackend();
        assertFalse(ref.batchNormClampInPlace(null, null, null, null, null, 1e-5f, 0f, 1f), "the reference has no fused kernel");
        assertSame(Models.resnet8(ref, 7), ref, 2);
    }

    /** Only a node's sole reader joins its chain: a BN whose output two nodes read keeps its own output. */
    @Test
    void aSharedOutputEndsTheChain() {
        Graph g = Models.resnet8(CPU, 7);
        InferenceFusion plan = InferenceFusion.plan(g);
        for (Node n : g.nodes()) {
            if (!plan.skips(n)) continue;
            long readers = g.nodes().stream().filter(m -> m.inputs().contains(n.inputs().get(0))).count();
            assertEquals(1, readers, n.name() + "'s input has other readers");
        }
    }

    private static void assertSame(Graph g, Backend b, int n) {
        float[] images = new float[n * g.inputShape().numel()];
        Random r = new Random(11);
        for (int i = 0; i < images.length; i++) images[i] = (float) r.nextGaussian();
        float[] unfused;
        try (GraphRunner run = new GraphRunner(g, b, false, 0); Tensor x = b.fromFloats(images, GraphPredictor.batchShape(g.inputShape(), n))) {
            unfused = run.forward(x).toFloatArray();
        }
        try (GraphPredictor p = new GraphPredictor(g, b, SparseInference.Mode.OFF)) {
            assertArrayEquals(unfused, p.logits(images, n), "fused logits differ from the node-by-node pass");
        }
    }
}

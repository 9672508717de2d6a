package dev.nncompress.graph;

import dev.nncompress.backend.cpu.CpuBackend;
import dev.nncompress.io.onnx.OnnxImporter;
import dev.nncompress.models.Models;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The inference pass's conv stacks ({@link ConvStacks}): which nodes they take in the built-in models and an imported
 * graph, and that a predictor's logits (stacks fused where the CPU has the kernel) match the node-by-node pass within
 * float rounding. The kernel itself is checked against the separate ops in {@code NativeConvStackTest}.
 */
class ConvStacksTest {
    private static final CpuBackend CPU = new CpuBackend();

    @Test
    void theTeacherIsOneStackOfThreeStages() {
        Graph g = Models.teacher(CPU, 3);
        ConvStacks.Stack s = ConvStacks.plan(g, SparseInference.NONE, java.util.Set.of()).stackAt(node(g, "conv1"));
        assertNotNull(s);
        assertEquals(3, s.stages().size());
        assertEquals("pool2", s.last());
        assertEquals(List.of("relu1", "conv2", "relu2", "pool1", "conv3", "relu3", "pool2"), s.rest());
        assertNull(ConvStacks.plan(g, SparseInference.NONE, java.util.Set.of()).stackAt(node(g, "conv2")), "conv2 runs inside conv1's stack");
    }

    @Test
    void lenetAndStudentAreOneStackOfTwoStagesEach() {
        for (Graph g : List.of(Models.lenet5(CPU, 3), Models.student(CPU, 3))) {
            ConvStacks.Stack s = ConvStacks.plan(g, SparseInference.NONE, java.util.Set.of()).stackAt(node(g, "conv1"));
            assertEquals(2, s.stages().size(), g.name());
            assertEquals("pool2", s.last(), g.name());
        }
    }

    /** A conv that heads a batch-norm chain stays with InferenceFusion's epilogue; the ResNet's convs all do. */
    @Test
    void batchNormChainsAreLeftToTheirEpilogue() {
        Graph g = Models.resnet8(CPU, 3);
        InferenceFusion plan = InferenceFusion.plan(g, SparseInference.NONE);
        assertTrue(plan.stacks().isEmpty(), "every resnet8 conv feeds a batch norm");
    }

    @Test
    void builtInModelsGiveTheNodeByNodeLogits() {
        for (String name : List.of("teacher", "lenet5", "student")) assertClose(Models.byName(name, CPU, 5), 4);
    }

    /** An imported graph is planned alike: the LeNet fixture's Conv/Relu/MaxPool nodes make one stack. */
    @Test
    void anImportedLenetIsStackedAndGivesTheNodeByNodeLogits() {
        Graph g = OnnxImporter.importFile(Path.of("src/test/resources/onnx/lenet_op17.onnx"), CPU).graph();
        assertEquals(1, InferenceFusion.plan(g, SparseInference.NONE).stacks().count());
        assertClose(g, 3);
    }

    private static Node node(Graph g, String name) {
        return g.nodes().stream().filter(n -> n.name().equals(name)).findFirst().orElseThrow();
    }

    /** Predictor logits against the unfused pass: within 1e-5 of the largest logit (sums in another order). */
    private static void assertClose(Graph g, int atLeast) {
        // the CPU stacks batches of at least one image per thread (up to 16 threads exercised here)
        int n = Math.max(atLeast, Math.min(16, Runtime.getRuntime().availableProcessors()));
        float[] images = new float[n * g.inputShape().numel()];
        Random r = new Random(11);
        for (int i = 0; i < images.length; i++) images[i] = (float) r.nextGaussian();
        float[] unfused;
        try (GraphRunner run = new GraphRunner(g, CPU, false, 0); Tensor x = CPU.fromFloats(images, GraphPredictor.batchShape(g.inputShape(), n))) {
            unfused = run.forward(x).toFloatArray();
        }
        float[] fused;
        try (GraphPredictor p = new GraphPredictor(g, CPU, SparseInference.Mode.OFF)) {
            fused = p.logits(images, n);
        }
        double scale = 0;
        for (float v : unfused) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < unfused.length; i++) {
            assertTrue(Math.abs(fused[i] - unfused[i]) <= 1e-5 * scale, g.name() + " logit " + i + ": " + fused[i] + " vs " + unfused[i]);
        }
    }
}

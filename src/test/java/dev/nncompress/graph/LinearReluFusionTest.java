package dev.nncompress.graph;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.LossResult;
import dev.nncompress.backend.cpu.CpuBackend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.models.GraphBuilder;
import dev.nncompress.models.Models;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A training pass runs each linear layer whose only reader is a ReLU as one call each way ({@link TrainingFusion},
 * {@code Backend.linearForward} with the ReLU, {@code reluBackwardSumRows}): logits and every parameter gradient are
 * the node-by-node pass's bit for bit (CPU and reference), also when a backward hook sees the linear's output gradient
 * or a caller reads the linear's output before its ReLU; and the gradients match finite differences.
 */
class LinearReluFusionTest {
    private static final CpuBackend CPU0 = new CpuBackend();
    /** Without the conv fusions, which sum in another order than the conv's own route (TrainingConvFusionTest): bit for bit here. */
    private static final Backend CPU = TrainingFusionTest.pairsOnly(CPU0);
    private static final GraphRunner.OutputHook IDENTITY = (node, t) -> t;

    @Test
    void studentAndLenet5LinearLayersRunFusedWithTheUnfusedResults() {
        for (Backend b : List.of(CPU, new ReferenceBackend())) {
            for (String model : List.of("student", "lenet5")) {
                Graph g = Models.byName(model, b, 3);
                TrainingFusion plan = TrainingFusion.plan(g);
                long fused = g.nodes().stream().filter(n -> n.op() == OpType.LINEAR && plan.skips(n)).count();
                assertEquals(model.equals("student") ? 1 : 2, fused, model + ": every linear followed by a ReLU");
                TrainingFusionTest.assertSameStep(g, b, 5, model + " on " + b.name());
            }
        }
    }

    /** Forward fused (no output hook), backward with a gradient hook: the hooked path splits the pair and still gives the same gradients. */
    @Test
    void aBackwardHookAndAPreActivationOutputAskedForKeepTheResults() {
        Graph g = Models.lenet5(CPU, 3);
        float[] images = TrainingFusionTest.images(g, 4);
        int[] labels = {1, 7, 3, 0};
        float[] fc1;
        Map<String, float[]> expected;
        try (GraphRunner run = new GraphRunner(Logits.of(g), CPU, true, 0); Tensor x = CPU.fromFloats(images, GraphPredictor.batchShape(g.inputShape(), 4))) {
            LossResult l = CPU.softmaxCrossEntropy(run.forward(x, IDENTITY), labels);
            fc1 = run.output("fc1").toFloatArray();
            run.backward(l.gradLogits(), IDENTITY);
            expected = TrainingFusionTest.grads(g);
        }
        boolean anyNegative = false;
        for (float v : fc1) anyNegative |= v < 0;
        assertTrue(anyNegative, "fc1 before its ReLU has negative values (else the ReLU tests nothing)");
        String[] hooked = {null};
        GraphRunner.OutputHook seeFc2 = new GraphRunner.OutputHook() {
            @Override public Tensor apply(String node, Tensor t) { return t; }

            @Override public Tensor gradient(String node, Tensor grad) {
                if (node.equals("fc2")) hooked[0] = node;
                return grad;
            }
        };
        try (GraphRunner run = new GraphRunner(Logits.of(g), CPU, true, 0); Tensor x = CPU.fromFloats(images, GraphPredictor.batchShape(g.inputShape(), 4))) {
            LossResult l = CPU.softmaxCrossEntropy(run.forward(x), labels);
            assertArrayEquals(fc1, run.output("fc1").toFloatArray(), "fc1 made on request");
            run.backward(l.gradLogits(), seeFc2);
            TrainingFusionTest.assertGradsEqual(expected, TrainingFusionTest.grads(g), "hooked backward of fused pairs");
        }
        assertEquals("fc2", hooked[0], "the hook saw the fused linear's own output gradient");
    }

    @Test
    void gradientsThroughFusedLinearLayersMatchFiniteDifferences() {
        GraphBuilder gb = new GraphBuilder("mlp", Shape.of(1, 3, 4), CPU0, 13);
        String x = gb.relu("relu1", gb.linear("fc1", gb.flatten("flat", Graph.INPUT), 9));
        x = gb.relu("relu2", gb.linear("fc2", x, 7));
        Graph g = gb.build(gb.linear("fc3", x, 4));
        assertEquals(2, g.nodes().stream().filter(n -> n.op() == OpType.LINEAR && TrainingFusion.plan(g).skips(n)).count());
        assertFalse(TrainingFusion.plan(g).skips(g.nodes().get(g.nodes().size() - 1)), "the output linear has no ReLU");
        SplittableRandom rng = new SplittableRandom(5);
        float[] in = new float[5 * 12];
        for (int i = 0; i < in.length; i++) in[i] = (float) rng.nextGaussian();
        try (Tensor t = CPU0.fromFloats(in, Shape.of(5, 1, 3, 4))) {
            GraphGradientCheck.check(g, CPU0, t, new int[] {0, 3, 2, 1, 0}, 1, rng, 6, 15);
        }
    }
}

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

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A training pass runs ReLU -> max-pool pairs fused ({@link TrainingFusion}, {@code Backend.reluMaxPool2d}): logits and
 * every parameter gradient must be the node-by-node pass's bit for bit (an identity output hook turns the fusion off),
 * on the CPU backend's one-pass kernel and on the reference's default (the two ops); a ReLU output asked for is made and
 * its pair then runs unfused; and the gradients match finite differences.
 */
class TrainingFusionTest {
    private static final CpuBackend CPU0 = new CpuBackend();
    /**
     * The CPU backend without its conv fusions (conv2dReluMaxPool2dArgmax, convStack: TrainingConvFusionTest), which sum
     * the conv in another order than conv2d's route: the pairs alone are checked here, bit for bit.
     */
    private static final Backend CPU = pairsOnly(CPU0);
    private static final GraphRunner.OutputHook IDENTITY = (node, t) -> t; // not NONE: the pass runs node by node

    @Test
    void studentAndLenet5StepsGiveTheUnfusedLogitsAndGradients() {
        for (Backend b : List.of(CPU, new ReferenceBackend())) {
            for (String model : List.of("student", "lenet5")) {
                Graph g = Models.byName(model, b, 3);
                TrainingFusion plan = TrainingFusion.plan(g);
                assertEquals(2, g.nodes().stream().filter(plan::skips).count(), model + ": both conv blocks' ReLU -> pool pairs");
                assertSameStep(g, b, 5, model + " on " + b.name());
            }
        }
    }

    /** Odd sizes (the pool drops the last row and column, whose gradient is 0), a shared ReLU and a ReLU as output stay apart. */
    @Test
    void oddSizesAndReluesWithOtherReadersOrAsOutput() {
        GraphBuilder gb = new GraphBuilder("odd", Shape.of(2, 9, 7), CPU, 5);
        String r1 = gb.relu("relu1", gb.conv("conv1", Graph.INPUT, 3, 3, 1, 1, true));
        String p1 = gb.maxPool("pool1", r1, 2); // fused: 9x7 -> 4x3
        String r2 = gb.relu("relu2", gb.conv("conv2", p1, 4, 3, 1, 1, true));
        String p2 = gb.maxPool("pool2", r2, 2); // not fused: relu2 is also read by the add below
        String side = gb.maxPool("pool3", r2, 2);
        String sum = gb.addNodes("add", p2, side);
        Graph g = gb.build(gb.linear("fc", gb.flatten("flat", sum), 3));
        TrainingFusion plan = TrainingFusion.plan(g);
        assertTrue(plan.skips(node(g, "relu1")));
        assertNull(plan.reluOf(node(g, "pool2")));
        assertSameStep(g, CPU, 3, "odd");

        GraphBuilder ob = new GraphBuilder("relu-out", Shape.of(1, 4, 4), CPU, 5);
        Graph out = ob.build(ob.relu("relu", ob.conv("conv", Graph.INPUT, 2, 3, 1, 1, true)));
        TrainingFusion outPlan = TrainingFusion.plan(out);
        assertFalse(outPlan.skips(node(out, "relu")), "a ReLU that is the output pairs with no pool");
        assertEquals("relu", outPlan.reluOfConv(node(out, "conv")).name(), "its conv still runs with it (conv + ReLU in one call)");
    }

    /** A caller that reads a fused ReLU's output gets the node-by-node value, and the backward is still the same. */
    @Test
    void aReluOutputAskedForIsMadeAndThePairRunsUnfused() {
        Graph g = Models.student(CPU, 3);
        float[] images = images(g, 4);
        int[] labels = {1, 7, 3, 0};
        float[] unfused;
        Map<String, float[]> unfusedGrads;
        try (GraphRunner run = new GraphRunner(Logits.of(g), CPU, true, 0); Tensor x = CPU.fromFloats(images, GraphPredictor.batchShape(g.inputShape(), 4))) {
            LossResult l = CPU.softmaxCrossEntropy(run.forward(x, IDENTITY), labels);
            unfused = run.output("relu2").toFloatArray();
            run.backward(l.gradLogits(), IDENTITY);
            unfusedGrads = grads(g);
        }
        try (GraphRunner run = new GraphRunner(Logits.of(g), CPU, true, 0); Tensor x = CPU.fromFloats(images, GraphPredictor.batchShape(g.inputShape(), 4))) {
            LossResult l = CPU.softmaxCrossEntropy(run.forward(x), labels);
            assertArrayEquals(unfused, run.output("relu2").toFloatArray(), "relu2 made on request");
            run.backward(l.gradLogits());
            assertGradsEqual(unfusedGrads, grads(g), "after relu2 was asked for");
        }
    }

    @Test
    void gradientsThroughFusedPairsMatchFiniteDifferences() {
        GraphBuilder gb = new GraphBuilder("pairs", Shape.of(1, 8, 8), CPU, 11);
        String x = gb.maxPool("pool1", gb.relu("relu1", gb.conv("conv1", Graph.INPUT, 4, 3, 1, 1, true)), 2);
        x = gb.maxPool("pool2", gb.relu("relu2", gb.conv("conv2", x, 6, 3, 1, 1, true)), 2);
        Graph g = gb.build(gb.linear("fc", gb.flatten("flat", x), 4));
        assertEquals(2, g.nodes().stream().filter(TrainingFusion.plan(g)::skips).count());
        SplittableRandom rng = new SplittableRandom(5);
        float[] in = new float[3 * 64];
        for (int i = 0; i < in.length; i++) in[i] = (float) rng.nextGaussian();
        try (Tensor t = CPU.fromFloats(in, Shape.of(3, 1, 8, 8))) {
            GraphGradientCheck.check(g, CPU, t, new int[] {0, 3, 2}, 1, rng, 6, 15);
        }
    }

    private static Backend pairsOnly(Backend b) {
        return (Backend) java.lang.reflect.Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, (p, m, a) -> {
            if (m.getName().equals("conv2dReluMaxPool2dArgmax") || m.getName().equals("convStack")) return null;
            try {
                return m.invoke(b, a);
            } catch (java.lang.reflect.InvocationTargetException e) {
                throw e.getCause();
            }
        });
    }

    /** One training pass fused and one node by node on the same images: logits and parameter gradients bit for bit. */
    private static void assertSameStep(Graph g, Backend b, int n, String what) {
        float[] images = images(g, n);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) labels[i] = i % 3;
        float[][] logits = new float[2][];
        List<Map<String, float[]>> grads = new ArrayList<>();
        for (int pass = 0; pass < 2; pass++) {
            GraphRunner.OutputHook hook = pass == 0 ? GraphRunner.OutputHook.NONE : IDENTITY;
            try (GraphRunner run = new GraphRunner(Logits.of(g), b, true, 0); Tensor x = b.fromFloats(images, GraphPredictor.batchShape(g.inputShape(), n))) {
                Tensor y = run.forward(x, hook);
                logits[pass] = y.toFloatArray();
                LossResult l = b.softmaxCrossEntropy(y, labels);
                run.backward(l.gradLogits(), hook);
                l.gradLogits().close();
            }
            grads.add(grads(g));
        }
        assertArrayEquals(logits[1], logits[0], what + ": logits");
        assertGradsEqual(grads.get(1), grads.get(0), what);
    }

    private static Map<String, float[]> grads(Graph g) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Parameter p : g.trainableParams()) {
            out.put(p.name(), p.grad().toFloatArray());
            p.clearGrad();
        }
        return out;
    }

    private static void assertGradsEqual(Map<String, float[]> expected, Map<String, float[]> actual, String what) {
        assertEquals(expected.keySet(), actual.keySet());
        boolean anyNonZero = false;
        for (String k : expected.keySet()) {
            assertArrayEquals(expected.get(k), actual.get(k), what + ": gradient of " + k);
            for (float v : expected.get(k)) anyNonZero |= v != 0;
        }
        assertTrue(anyNonZero, what + ": all gradients zero, nothing compared");
    }

    private static float[] images(Graph g, int n) {
        float[] x = new float[n * g.inputShape().numel()];
        SplittableRandom r = new SplittableRandom(9);
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        return x;
    }

    private static Node node(Graph g, String name) {
        return g.nodes().stream().filter(n -> n.name().equals(name)).findFirst().orElseThrow();
    }
}

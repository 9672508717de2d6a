package dev.nncompress.graph;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.LossResult;
import dev.nncompress.backend.Pool2dSpec;
import dev.nncompress.backend.PoolArgmax;
import dev.nncompress.backend.cpu.CpuBackend;
import dev.nncompress.models.GraphBuilder;
import dev.nncompress.models.Models;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A training pass runs conv -> ReLU [-> max-pool] as one backend call ({@link TrainingFusion}: conv2dReluMaxPool2dArgmax
 * with the argmax, or a one-stage convStack): the separate convs are not called, the logits and every parameter gradient
 * match the node-by-node pass (an identity output hook turns the fusions off) to float rounding, as the fused kernel may
 * sum the conv in another order than the unfused route (bound: 1e-4 of the largest magnitude, where a dropped bias,
 * ReLU or misrouted gradient is off by its own size), the gradients match finite differences, and a conv or ReLU output
 * asked for is made after all.
 */
class TrainingConvFusionTest {
    private static final CpuBackend CPU = new CpuBackend();
    private static final GraphRunner.OutputHook IDENTITY = (node, t) -> t;
    private static final double TOLERANCE = 1e-4;

    @BeforeAll
    static void needsTheKernel() {
        try (Tensor x = CPU.fromFloats(new float[4 * 16], Shape.of(4, 1, 4, 4)); Tensor w = CPU.fromFloats(new float[9], Shape.of(1, 1, 3, 3))) {
            PoolArgmax pa = CPU.conv2dReluMaxPool2dArgmax(x, w, null, Conv2dSpec.of(1, 1), Pool2dSpec.square(2));
            assumeTrue(pa != null, "no fused conv kernel on this CPU (AVX-512F): the nodes run one by one");
            pa.output().close();
            pa.argmax().close();
        }
    }

    /** The teacher's blocks: conv1 -> relu1 alone, conv2 -> relu2 -> pool1 and conv3 -> relu3 -> pool2 with the pool. */
    @Test
    void teacherPlan() {
        Graph g = Models.teacher(CPU, 1);
        TrainingFusion plan = TrainingFusion.plan(g);
        assertEquals("relu1", plan.reluOfConv(g.node("conv1")).name());
        assertNull(plan.poolOf("relu1"));
        assertEquals("pool1", plan.poolOf(plan.reluOfConv(g.node("conv2")).name()).name());
        assertEquals("pool2", plan.poolOf(plan.reluOfConv(g.node("conv3")).name()).name());
    }

    /** Both fusions in one small graph: only fused calls run the convs, and the step equals the node-by-node one. */
    @Test
    void fusedCallsReplaceTheConvsAndGiveTheUnfusedStep() {
        Graph g = small();
        Map<String, Integer> calls = new TreeMap<>();
        step(g, counting(calls), 4, GraphRunner.OutputHook.NONE, null);
        assertEquals(null, calls.get("conv2d"), "no separate conv: " + calls);
        assertEquals(1, calls.get("convStack"), "conv1 + relu1: " + calls);
        assertEquals(1, calls.get("conv2dReluMaxPool2dArgmax"), "conv2 + relu2 + pool: " + calls);
        assertNull(calls.get("relu"), "no separate ReLU: " + calls);
        assertSameStep(g, 4, "small");
    }

    @Test
    void studentLenet5AndTeacherStepsMatchTheUnfusedOnes() {
        assertSameStep(Models.student(CPU, 3), 3, "student");
        assertSameStep(Models.lenet5(CPU, 3), 2, "lenet5");
        assertSameStep(Models.teacher(CPU, 3), 2, "teacher");
    }

    @Test
    void gradientsThroughTheFusedConvsMatchFiniteDifferences() {
        Graph g = small();
        SplittableRandom rng = new SplittableRandom(5);
        float[] in = new float[3 * 64];
        for (int i = 0; i < in.length; i++) in[i] = (float) rng.nextGaussian();
        try (Tensor t = CPU.fromFloats(in, Shape.of(3, 1, 8, 8))) {
            GraphGradientCheck.check(g, CPU, t, new int[] {0, 3, 2}, 1, rng, 6, 15);
        }
    }

    /** Outputs a fused pass never wrote (conv1, conv2, relu2) are made when asked for; the backward still matches. */
    @Test
    void aSkippedConvOrReluOutputAskedForIsMade() {
        Graph g = small();
        Map<String, float[]> unfused = new TreeMap<>(), fused = new TreeMap<>();
        List<String> names = List.of("conv1", "conv2", "relu2");
        Map<String, float[]> gradsUnfused = step(g, CPU, 4, IDENTITY, run -> names.forEach(n -> unfused.put(n, run.output(n).toFloatArray())));
        Map<String, float[]> gradsFused = step(g, CPU, 4, GraphRunner.OutputHook.NONE, run -> names.forEach(n -> fused.put(n, run.output(n).toFloatArray())));
        for (String n : names) near(unfused.get(n), fused.get(n), n);
        for (String k : gradsUnfused.keySet()) near(gradsUnfused.get(k), gradsFused.get(k), "gradient of " + k);
    }

    /**
     * A backward hook that adds a gradient at the pool (as a distillation feature loss does) and says it leaves the ReLUs'
     * alone keeps the fused convs (no separate conv runs); one that may change any gradient gets the pair unfused, its conv
     * made again. Both give the node-by-node pass's gradients.
     */
    @Test
    void aFeatureGradientAtThePoolKeepsTheConvFused() {
        Graph g = small();
        for (boolean onlyPool : new boolean[] {true, false}) {
            GraphRunner.OutputHook adds = new GraphRunner.OutputHook() {
                @Override public Tensor apply(String node, Tensor t) { return t; }

                @Override public Tensor gradient(String node, Tensor grad) {
                    if (!node.equals("pool")) return grad;
                    float[] extra = new float[grad.shape().numel()];
                    for (int i = 0; i < extra.length; i++) extra[i] = (i % 7) * 0.01f;
                    try (Tensor e = CPU.fromFloats(extra, grad.shape())) {
                        return CPU.add(grad, e);
                    }
                }

                @Override public boolean changesGradient(String node) { return !onlyPool || node.equals("pool"); }
            };
            Map<String, Integer> calls = new TreeMap<>();
            Map<String, float[]> fused = step(g, counting(calls), 4, GraphRunner.OutputHook.NONE, adds, null);
            Map<String, float[]> unfused = step(g, CPU, 4, IDENTITY, adds, null);
            for (String k : unfused.keySet()) near(unfused.get(k), fused.get(k), "onlyPool " + onlyPool + ": gradient of " + k);
            assertEquals(onlyPool ? null : Integer.valueOf(1), calls.get("conv2d"), "onlyPool " + onlyPool + ": " + calls);
        }
    }

    /**
     * relu1 -> conv2, conv2 its only reader: relu1's backward runs inside conv2's input gradient (one
     * conv2dBackwardReluInput, no reluBackward), and the step's gradients equal, bit for bit, those of the same pass with
     * that call run as its two ops (the interface's default: conv2dBackward, then reluBackward).
     */
    @Test
    void theReluMaskInsideTheConvBackwardEqualsTheTwoOps() {
        Graph g = small();
        assertEquals("relu1", TrainingFusion.plan(g).reluMaskedBy(g.node("conv2")).name());
        Map<String, Integer> calls = new TreeMap<>();
        Map<String, float[]> inside = step(g, counting(calls), 4, GraphRunner.OutputHook.NONE, null);
        assertEquals(1, calls.get("conv2dBackwardReluInput"), "conv2 masks relu1's gradient: " + calls);
        assertNull(calls.get("reluBackward"), "no separate ReLU backward: " + calls);
        Backend twoOps = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, (p, m, a) -> {
            if (m.getName().equals("conv2dBackwardReluInput")) return java.lang.reflect.InvocationHandler.invokeDefault(p, m, a);
            try {
                return m.invoke(CPU, a);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
        Map<String, float[]> separate = step(g, twoOps, 4, GraphRunner.OutputHook.NONE, null);
        for (String k : separate.keySet()) org.junit.jupiter.api.Assertions.assertArrayEquals(separate.get(k), inside.get(k), "gradient of " + k);
    }

    private static Backend counting(Map<String, Integer> calls) {
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, (p, m, a) -> {
            calls.merge(m.getName(), 1, Integer::sum);
            try {
                return m.invoke(CPU, a);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
    }

    /** conv1 (4 channels) -> relu1; conv2 (6) -> relu2 -> 2x2 pool; linear to 4 logits. */
    private static Graph small() {
        GraphBuilder gb = new GraphBuilder("fusions", Shape.of(1, 8, 8), CPU, 11);
        String x = gb.relu("relu1", gb.conv("conv1", Graph.INPUT, 4, 3, 1, 1, true));
        x = gb.maxPool("pool", gb.relu("relu2", gb.conv("conv2", x, 6, 3, 1, 1, true)), 2);
        return gb.build(gb.linear("fc", gb.flatten("flat", x), 4));
    }

    private static void assertSameStep(Graph g, int n, String what) {
        float[][] logits = new float[2][];
        List<Map<String, float[]>> grads = new ArrayList<>();
        for (int pass = 0; pass < 2; pass++) {
            int k = pass;
            grads.add(step(g, CPU, n, pass == 0 ? GraphRunner.OutputHook.NONE : IDENTITY, run -> logits[k] = run.output(Logits.of(g).output()).toFloatArray()));
        }
        near(logits[1], logits[0], what + ": logits");
        boolean anyNonZero = false;
        for (String k : grads.get(1).keySet()) {
            near(grads.get(1).get(k), grads.get(0).get(k), what + ": gradient of " + k);
            for (float v : grads.get(1).get(k)) anyNonZero |= v != 0;
        }
        assertTrue(anyNonZero, what + ": all gradients zero, nothing compared");
    }

    private static Map<String, float[]> step(Graph g, Backend b, int n, GraphRunner.OutputHook hook, java.util.function.Consumer<GraphRunner> peek) {
        return step(g, b, n, hook, hook, peek);
    }

    /** One training pass on fixed images, {@code peek} reading the runner after the forward; returns and clears the gradients. */
    private static Map<String, float[]> step(Graph g, Backend b, int n, GraphRunner.OutputHook hook, GraphRunner.OutputHook backwardHook,
                                             java.util.function.Consumer<GraphRunner> peek) {
        float[] images = new float[n * g.inputShape().numel()];
        SplittableRandom r = new SplittableRandom(9);
        for (int i = 0; i < images.length; i++) images[i] = (float) r.nextGaussian();
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) labels[i] = i % 3;
        try (GraphRunner run = new GraphRunner(Logits.of(g), b, true, 0); Tensor x = b.fromFloats(images, GraphPredictor.batchShape(g.inputShape(), n))) {
            LossResult l = b.softmaxCrossEntropy(run.forward(x, hook), labels);
            if (peek != null) peek.accept(run);
            run.backward(l.gradLogits(), backwardHook);
            l.gradLogits().close();
        }
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Parameter p : g.trainableParams()) {
            out.put(p.name(), p.grad().toFloatArray());
            p.clearGrad();
        }
        return out;
    }

    private static void near(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what);
        double scale = 0;
        for (float v : want) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < want.length; i++) {
            if (Math.abs(want[i] - got[i]) > TOLERANCE * scale) {
                throw new AssertionError(what + " element " + i + ": fused " + got[i] + ", unfused " + want[i] + " (largest " + scale + ")");
            }
        }
    }
}

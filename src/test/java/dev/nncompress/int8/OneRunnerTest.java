package dev.nncompress.int8;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.QTensor;
import dev.nncompress.backend.ref.JavaInt8Kernels;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.compress.quant.calib.CalibFixtures;
import dev.nncompress.compress.quant.calib.Calibrator;
import dev.nncompress.compress.quant.calib.QuantPlan;
import dev.nncompress.compress.quant.calib.QuantTargets;
import dev.nncompress.compress.quant.convert.Int8Converter;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphPredictor;
import dev.nncompress.graph.GraphRunner;
import dev.nncompress.graph.NodeStep;
import dev.nncompress.graph.Parameter;
import dev.nncompress.graph.Value;
import dev.nncompress.models.GraphBuilder;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 21: one runner for float graphs and int8 models. {@link GraphRunner} executes an int8 model's plan (int8
 * GEMMs on codes, a float fallback, codes flattened, float logits) as it executes a float graph: the same node walk,
 * the same hooks (which see, and may rewrite, int8 codes as well as float tensors), the same value table; and
 * {@link Int8Runner}'s logits and per-node times are that runner's.
 */
class OneRunnerTest {
    private final Backend ref = new ReferenceBackend().withInt8Kernels(new JavaInt8Kernels(1));

    /** conv -> relu -> avg pool (no int8 step: a float fallback) -> flatten -> linear, on 2x6x6 images. */
    private Graph floatModel() {
        GraphBuilder b = new GraphBuilder("one-runner", Shape.of(2, 6, 6), ref, 5);
        String c = b.conv("conv", "input", 4, 3, 1, 1, true);
        String r = b.relu("relu", c);
        String p = b.avgPool("pool", r, 2, 2, 0);
        String f = b.flatten("flat", p);
        return CalibFixtures.prepared(b.build(b.linear("fc", f, 3)));
    }

    private static float[] images(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * 2 * 6 * 6];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextDouble() * 4 - 2);
        return x;
    }

    private Int8Model int8Model(Graph g) {
        Dataset data = new Dataset(images(32, 1), new int[32], 2, 6, 6, 3);
        QuantPlan plan = new Calibrator("minmax", 32, 16, null).calibrate(QuantTargets.of(g), data, ref);
        Int8Model m = Int8Converter.convert(g, plan, Map.of());
        // fc without output parameters: the last layer writes float logits (qlinearFloat), a float value in the plan
        Map<String, dev.nncompress.quant.QParams> acts = new LinkedHashMap<>(m.activations());
        acts.remove("fc");
        return new Int8Model(m.name(), m.inputShape(), m.nodes(), m.output(), m.weights(), m.floats(), acts, m.info());
    }

    /** Records which kind of value the runner hands the hook for each node, in order. */
    private static final class Kinds implements GraphRunner.OutputHook {
        final Map<String, String> seen = new LinkedHashMap<>();

        @Override public Tensor apply(String node, Tensor t) {
            seen.put(node, "floats");
            return t;
        }

        @Override public QTensor applyCodes(String node, QTensor q) {
            seen.put(node, "codes");
            return q;
        }
    }

    @Test
    void theGraphRunnerRunsAnInt8ModelWithAFloatFallbackAndItsHookSeesCodesAndFloats() {
        Graph g = floatModel();
        Int8Model m = int8Model(g);
        int n = 5;
        float[] x = images(n, 9);
        try (Int8Runner engine = new Int8Runner(m, ref)) {
            assertEquals(List.of("node pool (AVGPOOL2D)"), engine.floatFallbacks(), "the avg pool has no int8 step");
            float[] want = engine.logits(x, n);
            Graph fg = m.floatGraph(ref);
            try {
                Int8Plan plan = new Int8Plan(m, fg, ref);
                Kinds kinds = new Kinds();
                try (GraphRunner run = new GraphRunner(fg, ref, plan.steps(), null);
                     QTensor in = ref.quantize(x, GraphPredictor.batchShape(m.inputShape(), n), plan.inputParams())) {
                    Value out = run.forward(Value.of(in), kinds);
                    assertArrayEquals(want, out.floats().toFloatArray(), 0f, "Int8Runner's logits are the graph runner's, bit for bit");
                    // the input is quantised once, codes flow conv -> pool (float fallback, requantised) -> flatten, fc's logits are float
                    List<String> names = new ArrayList<>(List.of(Graph.INPUT));
                    for (var node : m.nodes()) names.add(node.name());
                    assertEquals(names, List.copyOf(kinds.seen.keySet()), "every node through the hook, in graph order");
                    for (String name : names) {
                        String kind = name.equals("fc") ? "floats" : "codes";
                        assertEquals(kind, kinds.seen.get(name), name);
                        assertEquals(kind.equals("codes"), run.value(name) instanceof Value.Codes, name + ": the runner keeps the value as the hook saw it");
                    }
                }
            } finally {
                for (Parameter p : fg.params().values()) p.value().close();
            }
            Map<String, Double> ms = engine.millisPerNode();
            List<String> keys = new ArrayList<>(List.of(Graph.INPUT));
            for (var node : m.nodes()) keys.add(node.name());
            assertEquals(keys, List.copyOf(ms.keySet()));
            assertTrue(ms.values().stream().mapToDouble(Double::doubleValue).sum() > 0, "the runner timed the nodes: " + ms);
        }
    }

    @Test
    void aHookThatRewritesTheFallbacksCodesChangesWhatTheNextInt8NodeReads() {
        Graph g = floatModel();
        Int8Model m = int8Model(g);
        int n = 4;
        float[] x = images(n, 11);
        Graph fg = m.floatGraph(ref);
        try {
            Int8Plan plan = new Int8Plan(m, fg, ref);
            // the pool's codes replaced by its zero point (value 0): fc's accumulator is 0, every row is fc's bias
            GraphRunner.OutputHook zeroPool = new GraphRunner.OutputHook() {
                @Override public Tensor apply(String node, Tensor t) { return t; }

                @Override public QTensor applyCodes(String node, QTensor q) {
                    if (!node.equals("pool")) return q;
                    try (Tensor zeros = ref.zeros(q.shape())) {
                        return ref.quantize(zeros, q.params());
                    }
                }
            };
            float[] plain, zeroed;
            try (QTensor in = ref.quantize(x, GraphPredictor.batchShape(m.inputShape(), n), plan.inputParams())) {
                try (GraphRunner run = new GraphRunner(fg, ref, plan.steps(), null)) {
                    plain = run.forward(Value.of(in), GraphRunner.OutputHook.NONE).floats().toFloatArray();
                }
                try (GraphRunner run = new GraphRunner(fg, ref, plan.steps(), null)) {
                    zeroed = run.forward(Value.of(in), zeroPool).floats().toFloatArray();
                }
            }
            float[] row0 = Arrays.copyOfRange(zeroed, 0, 3);
            for (int i = 1; i < n; i++) assertArrayEquals(row0, Arrays.copyOfRange(zeroed, 3 * i, 3 * i + 3), 0f, "row " + i + ": the bias alone");
            assertFalse(Arrays.equals(Arrays.copyOfRange(plain, 0, 3), Arrays.copyOfRange(plain, 3, 6)), "without the hook the images differ");
        } finally {
            for (Parameter p : fg.params().values()) p.value().close();
        }
    }

    @Test
    void theSameRunnerRunsTheFloatModelAndAPlanOfFloatOpsIsTheFloatPass() {
        Graph g = floatModel();
        int n = 3;
        float[] x = images(n, 4);
        float[] want;
        try (GraphPredictor p = new GraphPredictor(g, ref)) {
            want = p.logits(x, n);
        }
        Kinds kinds = new Kinds();
        try (Tensor in = ref.fromFloats(x, GraphPredictor.batchShape(g.inputShape(), n));
             GraphRunner plain = new GraphRunner(g, ref, false, 0);
             GraphRunner planned = new GraphRunner(g, ref, Collections.nCopies(g.nodes().size(), NodeStep.FLOAT_OP), null)) {
            assertArrayEquals(want, plain.forward(in, kinds).toFloatArray(), 0f);
            assertArrayEquals(want, planned.forward(Value.of(in), GraphRunner.OutputHook.NONE).floats().toFloatArray(), 0f);
        }
        assertTrue(kinds.seen.values().stream().allMatch("floats"::equals), "a float graph's values are all float: " + kinds.seen);
        assertEquals(g.nodes().size() + 1, kinds.seen.size());
    }
}

package dev.nncompress.int8;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.Int8Kernels;
import dev.nncompress.backend.ref.JavaInt8Kernels;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.compress.quant.calib.CalibFixtures;
import dev.nncompress.compress.quant.calib.Calibrator;
import dev.nncompress.compress.quant.calib.QuantPlan;
import dev.nncompress.compress.quant.calib.QuantTargets;
import dev.nncompress.compress.quant.calib.SimulatedInt8;
import dev.nncompress.compress.quant.convert.Int8Converter;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphPredictor;
import dev.nncompress.graph.GraphRunner;
import dev.nncompress.models.Models;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The int8 engine end to end, on every int8 kernel provider ({@link Int8KernelProviders}: the Java twin and each native
 * variant this CPU runs; the others are skipped with the reason): it computes what the simulation of the same plan
 * measures, keeps unquantised layers in float, and reuses its code buffers without changing a result.
 */
class Int8RunnerTest {
    private final Backend ref = new ReferenceBackend();

    /** The calibrated int8 models by name, shared by the providers' runs (calibration is most of a run's time). */
    private static final Map<String, Calibrated> MODELS = new ConcurrentHashMap<>();

    /** A calibrated model with the simulation's logits (on the reference backend: the slow part, done once). */
    private record Calibrated(Graph graph, QuantPlan plan, Int8Model model, Dataset data, float[] simulated) {}

    private static Calibrated calibrated(String name) {
        return MODELS.computeIfAbsent(name, k -> {
            Backend ref = new ReferenceBackend();
            Graph g = CalibFixtures.prepared(Models.byName(k, ref, 3));
            Dataset data = CalibFixtures.noise(24, 5);
            QuantPlan plan = new Calibrator("minmax", 24, 8, null).calibrate(QuantTargets.of(g), data, ref);
            return new Calibrated(g, plan, Int8Converter.convert(g, plan, Map.of()), data, simulate(g, plan, data));
        });
    }

    static Stream<Arguments> modelsAndKernels() {
        return Stream.of("student", "lenet5", "resnet8").flatMap(m -> Int8KernelProviders.all().map(k -> Arguments.of(m, k)));
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("modelsAndKernels")
    void int8EngineComputesWhatTheSimulationMeasures(String name, String kernels) {
        Calibrated c = calibrated(name);
        assertMatches(name, c.simulated(), c.plan().activations().get(c.graph().output()).scale(0), c.model(), c.data(),
                Int8KernelProviders.create(kernels, 2));
    }

    @ParameterizedTest
    @MethodSource("dev.nncompress.int8.Int8KernelProviders#all")
    void layersKeptInFloatRunTheirFloatOpOnDequantisedInputs(String kernels) {
        Graph g = CalibFixtures.prepared(Models.student(ref, 4));
        Dataset data = CalibFixtures.noise(17, 6); // odd batch
        QuantPlan plan = new Calibrator("minmax", 17, 8, null).calibrate(QuantTargets.of(g, Set.of("conv2")), data, ref);
        Int8Model m = Int8Converter.convert(g, plan, Map.of());
        assertTrue(m.floats().containsKey("conv2.weight"));
        assertTrue(!m.weights().containsKey("conv2"));
        try (Int8Runner r = new Int8Runner(m, Int8KernelProviders.create(kernels, 1), ref)) {
            // conv1 and fc2; conv2 is float, pool2 and flatten alias it, so fc1 reads float and runs in float
            // with its int8 weights dequantised, as the simulation does
            assertEquals("3 of 7 nodes in int8 (2 int8 GEMMs), 4 in float: node conv2 (CONV2D), node pool2 (MAXPOOL2D), node flatten (FLATTEN), node fc1 (LINEAR)", r.summary());
        }
        assertMatchesSimulation("student without conv2", g, plan, m, data, Int8KernelProviders.create(kernels, 2));
    }

    @ParameterizedTest
    @MethodSource("dev.nncompress.int8.Int8KernelProviders#all")
    void repeatedCallsReusingCodeBuffersGiveWhatFreshRunnersGive(String kernels) {
        Graph g = CalibFixtures.prepared(Models.student(ref, 5));
        Dataset a = CalibFixtures.noise(9, 7), b = CalibFixtures.noise(9, 8), small = CalibFixtures.noise(4, 9);
        QuantPlan plan = new Calibrator("minmax", 9, 9, null).calibrate(QuantTargets.of(g), a, ref);
        Int8Model m = Int8Converter.convert(g, plan, Map.of());
        float[][] fresh = new float[3][];
        Dataset[] inputs = {a, b, small};
        for (int i = 0; i < 3; i++) {
            try (Int8Runner r = new Int8Runner(m, Int8KernelProviders.create(kernels, 1), ref)) {
                fresh[i] = r.logits(inputs[i].images(), inputs[i].count());
            }
        }
        try (Int8Runner r = new Int8Runner(m, Int8KernelProviders.create(kernels, 1), ref)) {
            float[] first = r.logits(a.images(), a.count());
            float[] second = r.logits(b.images(), b.count()); // same batch size: the buffers are reused
            float[] third = r.logits(small.images(), small.count()); // smaller batch: new buffers
            assertTrue(!Arrays.equals(fresh[0], fresh[1]), "different inputs, different logits");
            assertTrue(Arrays.equals(fresh[0], first) && Arrays.equals(fresh[1], second) && Arrays.equals(fresh[2], third));
            assertTrue(Arrays.equals(fresh[0], r.logits(a.images(), a.count())), "earlier logits are not overwritten");
            assertTrue(Arrays.equals(fresh[0], first), "a returned array is the caller's");
        }
    }

    /** {@link #assertMatchesSimulation(String, Graph, QuantPlan, Int8Model, Dataset, Int8Kernels)} on the Java twin. */
    static void assertMatchesSimulation(String name, Graph g, QuantPlan plan, Int8Model m, Dataset data) {
        assertMatchesSimulation(name, g, plan, m, data, new JavaInt8Kernels(2));
    }

    /**
     * Tolerance: the engine accumulates in int32 (exact) where the simulation sums fake-quantised floats
     * (rounded), so a value within float rounding of a requantisation boundary can land one code away and
     * carry on; at least 99% of the output codes must be identical and none more than 2 codes apart. A
     * wrong scale, zero point, layout or bias moves nearly every logit.
     */
    static void assertMatchesSimulation(String name, Graph g, QuantPlan plan, Int8Model m, Dataset data, Int8Kernels kernels) {
        assertMatches(name, simulate(g, plan, data), plan.activations().get(g.output()).scale(0), m, data, kernels);
    }

    /** The simulation's logits of {@code plan} on {@code data}, on the reference backend. */
    static float[] simulate(Graph g, QuantPlan plan, Dataset data) {
        Backend ref = new ReferenceBackend();
        try (SimulatedInt8 s = new SimulatedInt8(g, plan, ref);
             GraphRunner run = new GraphRunner(s.graph(), ref, false, 0);
             Tensor x = ref.fromFloats(data.images(), GraphPredictor.batchShape(g.inputShape(), data.count()))) {
            return run.forward(x, s.hook()).toFloatArray();
        }
    }

    /** The engine's logits on {@code kernels} against the simulation's {@code sim}, {@code step} the output's code step. */
    private static void assertMatches(String name, float[] sim, float step, Int8Model m, Dataset data, Int8Kernels kernels) {
        float[] eng;
        try (Int8Runner r = new Int8Runner(m, kernels, new ReferenceBackend())) {
            eng = r.logits(data.images(), data.count());
        }
        String what = name + " on " + kernels.name();
        int same = 0;
        double maxSteps = 0;
        for (int i = 0; i < sim.length; i++) {
            double d = Math.abs(sim[i] - eng[i]) / step;
            if (d < 0.5) same++;
            maxSteps = Math.max(maxSteps, d);
        }
        assertTrue(same >= 0.99 * sim.length, what + ": only " + same + " of " + sim.length + " logits equal");
        assertTrue(maxSteps <= 2, what + ": a logit differs by " + maxSteps + " codes");
        assertTrue(Arrays.stream(toDouble(eng)).anyMatch(v -> v != 0), what + ": all-zero logits");
    }

    private static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = v[i];
        return d;
    }
}

package dev.nncompress.int8;

import dev.nncompress.backend.Backend;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Int8RunnerTest {
    private final Backend ref = new ReferenceBackend();

    @ParameterizedTest
    @ValueSource(strings = {"student", "lenet5", "resnet8"})
    void int8EngineComputesWhatTheSimulationMeasures(String name) {
        Graph g = CalibFixtures.prepared(Models.byName(name, ref, 3));
        Dataset data = CalibFixtures.noise(24, 5);
        QuantPlan plan = new Calibrator("minmax", 24, 8, null).calibrate(QuantTargets.of(g), data, ref);
        Int8Model m = Int8Converter.convert(g, plan, Map.of());
        assertMatchesSimulation(name, g, plan, m, data);
    }

    @Test
    void layersKeptInFloatRunTheirFloatOpOnDequantisedInputs() {
        Graph g = CalibFixtures.prepared(Models.student(ref, 4));
        Dataset data = CalibFixtures.noise(17, 6); // odd batch
        QuantPlan plan = new Calibrator("minmax", 17, 8, null).calibrate(QuantTargets.of(g, Set.of("conv2")), data, ref);
        Int8Model m = Int8Converter.convert(g, plan, Map.of());
        assertTrue(m.floats().containsKey("conv2.weight"));
        assertTrue(!m.weights().containsKey("conv2"));
        try (Int8Runner r = new Int8Runner(m, new JavaInt8Kernels(1), ref)) {
            // conv1 and fc2; conv2 is float, pool2 and flatten alias it, so fc1 reads float and runs in float
            // with its int8 weights dequantised, as the simulation does
            assertEquals("3 of 7 nodes in int8 (2 int8 GEMMs), 4 in float: node conv2 (CONV2D), node pool2 (MAXPOOL2D), node flatten (FLATTEN), node fc1 (LINEAR)", r.summary());
        }
        assertMatchesSimulation("student without conv2", g, plan, m, data);
    }

    @Test
    void repeatedCallsReusingCodeBuffersGiveWhatFreshRunnersGive() {
        Graph g = CalibFixtures.prepared(Models.student(ref, 5));
        Dataset a = CalibFixtures.noise(9, 7), b = CalibFixtures.noise(9, 8), small = CalibFixtures.noise(4, 9);
        QuantPlan plan = new Calibrator("minmax", 9, 9, null).calibrate(QuantTargets.of(g), a, ref);
        Int8Model m = Int8Converter.convert(g, plan, Map.of());
        float[][] fresh = new float[3][];
        Dataset[] inputs = {a, b, small};
        for (int i = 0; i < 3; i++) {
            try (Int8Runner r = new Int8Runner(m, new JavaInt8Kernels(1), ref)) {
                fresh[i] = r.logits(inputs[i].images(), inputs[i].count());
            }
        }
        try (Int8Runner r = new Int8Runner(m, new JavaInt8Kernels(1), ref)) {
            float[] first = r.logits(a.images(), a.count());
            float[] second = r.logits(b.images(), b.count()); // same batch size: the buffers are reused
            float[] third = r.logits(small.images(), small.count()); // smaller batch: new buffers
            assertTrue(!Arrays.equals(fresh[0], fresh[1]), "different inputs, different logits");
            assertTrue(Arrays.equals(fresh[0], first) && Arrays.equals(fresh[1], second) && Arrays.equals(fresh[2], third));
            assertTrue(Arrays.equals(fresh[0], r.logits(a.images(), a.count())), "earlier logits are not overwritten");
            assertTrue(Arrays.equals(fresh[0], first), "a returned array is the caller's");
        }
    }

    /**
     * Tolerance: the engine accumulates in int32 (exact) where the simulation sums fake-quantised floats
     * (rounded), so a value within float rounding of a requantisation boundary can land one code away and
     * carry on; at least 99% of the output codes must be identical and none more than 2 codes apart. A
     * wrong scale, zero point, layout or bias moves nearly every logit.
     */
    static void assertMatchesSimulation(String name, Graph g, QuantPlan plan, Int8Model m, Dataset data) {
        Backend ref = new ReferenceBackend();
        float[] sim;
        try (SimulatedInt8 s = new SimulatedInt8(g, plan, ref);
             GraphRunner run = new GraphRunner(s.graph(), ref, false, 0);
             Tensor x = ref.fromFloats(data.images(), GraphPredictor.batchShape(g.inputShape(), data.count()))) {
            sim = run.forward(x, s.hook()).toFloatArray();
        }
        float[] eng;
        try (Int8Runner r = new Int8Runner(m, new JavaInt8Kernels(2), ref)) {
            eng = r.logits(data.images(), data.count());
        }
        float step = plan.activations().get(g.output()).scale(0);
        int same = 0;
        double maxSteps = 0;
        for (int i = 0; i < sim.length; i++) {
            double d = Math.abs(sim[i] - eng[i]) / step;
            if (d < 0.5) same++;
            maxSteps = Math.max(maxSteps, d);
        }
        assertTrue(same >= 0.99 * sim.length, name + ": only " + same + " of " + sim.length + " logits equal");
        assertTrue(maxSteps <= 2, name + ": a logit differs by " + maxSteps + " codes");
        assertTrue(Arrays.stream(toDouble(eng)).anyMatch(v -> v != 0), name + ": all-zero logits");
    }

    private static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = v[i];
        return d;
    }
}

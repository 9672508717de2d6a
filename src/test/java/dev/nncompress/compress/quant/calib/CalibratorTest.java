package dev.nncompress.compress.quant.calib;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.quant.QParams;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.OpType;
import dev.nncompress.models.Models;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link QuantTargets} and {@link Calibrator} on the prepared built-in models, reference backend, generated data. */
class CalibratorTest {
    private final Backend backend = new ReferenceBackend();
    private final Dataset data = CalibFixtures.noise(24, 1);

    private QuantPlan plan(Graph g, Set<String> excluded, String observer) {
        return new Calibrator(observer, 16, 8, null).calibrate(QuantTargets.of(g, excluded), data, backend);
    }

    @Test
    void everyConvAndLinearHasWeightAndActivationParams() {
        for (Graph raw : List.of(Models.student(backend, 1), Models.lenet5(backend, 1), Models.resnet8(backend, 1))) {
            Graph g = CalibFixtures.prepared(raw);
            QuantPlan p = plan(g, Set.of(), "minmax");
            assertEquals("minmax", p.observer());
            assertEquals(16, p.calibrationImages());
            assertTrue(p.activations().containsKey(Graph.INPUT), g.name());
            int weighted = 0;
            for (Node n : g.nodes()) {
                if (n.op() == OpType.CONV2D || n.op() == OpType.LINEAR) {
                    weighted++;
                    QParams w = p.weights().get(n.name());
                    assertTrue(w != null && p.activations().containsKey(n.name()), g.name() + "/" + n.name());
                    // per output channel: one scale per row of OIHW / [out, in]
                    assertEquals(g.param(n.name() + ".weight").value().shape().dim(0), w.channels(), n.name());
                    assertTrue(w.scheme().symmetric() && w.scheme().axis() == 0);
                } else {
                    assertFalse(p.weights().containsKey(n.name()));
                }
                // every tensor an int8 engine would pass on is planned (nothing is excluded here)
                assertTrue(p.activations().containsKey(n.name()), g.name() + "/" + n.name() + " (" + n.op() + ")");
            }
            assertEquals(weighted, p.weights().size());
        }
    }

    @Test
    void maxPoolAndFlattenReuseTheirProducersParams() {
        Graph g = CalibFixtures.prepared(Models.student(backend, 1));
        QuantTargets t = QuantTargets.of(g);
        assertEquals("conv1", t.aliases().get("pool1"));
        assertEquals("conv2", t.aliases().get("flatten")); // flatten reads pool2, which reads conv2
        QuantPlan p = plan(g, Set.of(), "minmax");
        assertSame(p.activations().get("conv2"), p.activations().get("flatten"));
        assertFalse(t.observedActivations().contains("pool1"));
    }

    @Test
    void residualAddAndItsReluGetTheirOwnObservers() {
        Graph g = CalibFixtures.prepared(Models.resnet8(backend, 1));
        QuantTargets t = QuantTargets.of(g);
        long adds = g.nodes().stream().filter(n -> n.op() == OpType.ADD && t.observedActivations().contains(n.name())).count();
        long relus = g.nodes().stream().filter(n -> n.op() == OpType.RELU && t.observedActivations().contains(n.name())).count();
        assertEquals(3, adds);
        assertEquals(3, relus);
    }

    @Test
    void excludedLayersStayFloat() {
        Graph g = CalibFixtures.prepared(Models.student(backend, 1));
        QuantPlan p = plan(g, Set.of("conv1", "fc2"), "minmax");
        assertFalse(p.weights().containsKey("conv1") || p.activations().containsKey("conv1"));
        assertFalse(p.weights().containsKey("fc2") || p.activations().containsKey("fc2"));
        assertFalse(p.activations().containsKey("pool1"), "pool1 reads a float tensor, so it stays float");
        assertTrue(p.weights().containsKey("conv2") && p.activations().containsKey("pool2"));
        assertEquals(Set.of("conv1", "fc2"), p.excluded());
    }

    @Test
    void unknownExcludedNodeAndBadSettingsAreRejected() {
        Graph g = CalibFixtures.prepared(Models.student(backend, 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> QuantTargets.of(g, Set.of("relu1")));
        assertTrue(e.getMessage().contains("'relu1'") && e.getMessage().contains("conv1"), e.getMessage()); // relu1 was fused away
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Calibrator("nope", 16, 8, null)).getMessage().contains("kl"));
        assertThrows(IllegalArgumentException.class, () -> new Calibrator("kl", 0, 8, null));
        assertThrows(IllegalArgumentException.class, () -> new Calibrator("kl", 16, 0, null));
        assertThrows(IllegalArgumentException.class, () -> new Calibrator("minmax", 25, 8, null).calibrate(QuantTargets.of(g), data, backend));
    }

    @Test
    void inputParamsAreThoseOfTheCalibrationImages() {
        // minmax over exactly the first 16 images: proves the calibrator feeds the right data to the right observer
        Graph g = CalibFixtures.prepared(Models.student(backend, 1));
        QuantPlan p = plan(g, Set.of(), "minmax");
        float[] img = data.slice(0, 16).images();
        float lo = Float.MAX_VALUE, hi = -Float.MAX_VALUE;
        for (float v : img) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
        assertEquals(QParams.fromRange(QuantTargets.ACTIVATION_SCHEME, lo, hi), p.activations().get(Graph.INPUT));
        // fused ReLU output: non-negative, so the affine zero point sits at the bottom of the range
        assertEquals(-128, p.activations().get("conv1").zeroPoint(0));
    }

    @Test
    void sameSeedSamePlanOtherSeedOtherSample() {
        Graph g = CalibFixtures.prepared(Models.lenet5(backend, 1));
        QuantTargets t = QuantTargets.of(g);
        QuantPlan a = new Calibrator("kl", 12, 5, 42L).calibrate(t, data, backend);
        QuantPlan b = new Calibrator("kl", 12, 5, 42L).calibrate(t, data, backend);
        QuantPlan c = new Calibrator("kl", 12, 5, 43L).calibrate(t, data, backend);
        assertEquals(a, b);
        assertEquals(a.weights(), c.weights()); // weights do not depend on the images
        assertNotEquals(a.activations().get(Graph.INPUT), c.activations().get(Graph.INPUT));
    }
}

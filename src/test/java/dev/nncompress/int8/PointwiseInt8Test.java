package dev.nncompress.int8;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.compress.quant.calib.Calibrator;
import dev.nncompress.compress.quant.calib.CalibFixtures;
import dev.nncompress.compress.quant.calib.QuantPlan;
import dev.nncompress.compress.quant.calib.QuantTargets;
import dev.nncompress.compress.quant.calib.SimulatedInt8;
import dev.nncompress.compress.quant.convert.Int8Converter;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphPredictor;
import dev.nncompress.graph.GraphRunner;
import dev.nncompress.graph.Logits;
import dev.nncompress.graph.PointwiseNet;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The int8 engine on a model of pointwise ops (issue 17): it runs them on int8 codes (tables for the activations,
 * broadcast MUL/ADD/DIV of two tensors and arithmetic with constants per element), says which nodes still run in
 * float, and hands out logits, skipping a final Softmax; what it computes is what the simulation of the same plan
 * measures on the logits graph.
 */
class PointwiseInt8Test {
    private final Backend ref = new ReferenceBackend();

    @ParameterizedTest
    @MethodSource("dev.nncompress.int8.Int8KernelProviders#all")
    void pointwiseNodesRunInInt8AndAFinalSoftmaxIsSkipped(String kernels) {
        Graph g = CalibFixtures.prepared(PointwiseNet.build(ref, 8));
        SplittableRandom r = new SplittableRandom(3);
        float[] images = new float[20 * 3 * 6 * 6];
        for (int i = 0; i < images.length; i++) images[i] = (float) r.nextGaussian();
        Dataset data = new Dataset(images, new int[20], 3, 6, 6, 5);
        QuantPlan plan = new Calibrator("minmax", 20, 8, null).calibrate(QuantTargets.of(g), data, ref);
        Int8Model m = Int8Converter.convert(g, plan, Map.of());
        Graph logits = Logits.of(g);
        assertEquals("fc", logits.output());
        float[] sim;
        try (SimulatedInt8 s = new SimulatedInt8(logits, plan, ref);
             GraphRunner run = new GraphRunner(s.graph(), ref, false, 0);
             Tensor x = ref.fromFloats(images, GraphPredictor.batchShape(g.inputShape(), 20))) {
            sim = run.forward(x, s.hook()).toFloatArray();
        }
        try (Int8Runner e = new Int8Runner(m, Int8KernelProviders.create(kernels, 1), ref)) {
            // activations (tables), arithmetic with a second activation or a constant, broadcast included, and the
            // global average pool run on codes; the skipped final Softmax is not run at all
            assertEquals(List.of(), e.floatFallbacks());
            float[] eng = e.logits(images, 20);
            assertEquals(sim.length, eng.length, "logits of 5 classes, not the softmax's");
            float step = plan.activations().get("fc").scale(0);
            double worst = 0;
            for (int i = 0; i < sim.length; i++) worst = Math.max(worst, Math.abs(sim[i] - eng[i]) / step);
            assertTrue(worst <= 2, "the engine's logits are the simulation's within 2 codes, worst " + worst);
        }
    }
}

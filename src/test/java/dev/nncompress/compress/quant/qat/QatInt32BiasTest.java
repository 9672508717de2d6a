package dev.nncompress.compress.quant.qat;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.quant.QParams;
import dev.nncompress.compress.quant.calib.CalibFixtures;
import dev.nncompress.compress.quant.calib.Calibrator;
import dev.nncompress.compress.quant.calib.FakeQuantizeHook;
import dev.nncompress.compress.quant.calib.FakeQuantizedWeights;
import dev.nncompress.compress.quant.calib.QuantTargets;
import dev.nncompress.compress.quant.calib.SimulatedInt8;
import dev.nncompress.compress.quant.convert.Int8Converter;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphPredictor;
import dev.nncompress.graph.GraphRunner;
import dev.nncompress.int8.Int8Model;
import dev.nncompress.int8.Int8Runner;
import dev.nncompress.backend.ref.JavaInt8Kernels;
import dev.nncompress.models.Models;
import dev.nncompress.tensor.Tensor;
import dev.nncompress.train.TrainConfig;
import dev.nncompress.train.TrainListener;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 18: QAT's fake-quantised forward adds each int8 layer's bias on the int32 grid of its accumulator, as the
 * converted engine does, so what QAT trains on is what the int8 model computes.
 */
class QatInt32BiasTest {
    private final Backend ref = new ReferenceBackend();

    @Test
    void qatForwardIsTheConvertedEnginesComputation() {
        Graph g = CalibFixtures.prepared(Models.byName("lenet5", ref, 7));
        Dataset data = CalibFixtures.noise(64, 11);
        QuantTargets targets = QuantTargets.of(g);
        TrainConfig recipe = QuantizationAwareTraining.fineTuning(1, 0.01f, 3);
        QatResult r = new QuantizationAwareTraining(ref, new TrainConfig(1, 16, recipe.optimizer(), recipe.schedule(), 3))
                .train(targets, new Calibrator("minmax", 64, 16, null).calibrate(targets, data, ref), data, TrainListener.NONE);
        Map<String, QParams> acts = r.plan().activations();
        Int8Model m = Int8Converter.convert(r.graph(), r.plan(), Map.of());

        float[] qat, floatBias, sim, engine;
        try (Tensor x = ref.fromFloats(data.images(), GraphPredictor.batchShape(g.inputShape(), data.count()))) {
            // QAT's own step, its activations fixed to the final plan (in training they come from the moving averages)
            try (QuantizationAwareTraining.QatStep step = new QuantizationAwareTraining.QatStep(targets, acts.keySet(), (n, v) -> acts.get(n), ref);
                 GraphRunner run = new GraphRunner(step.graph(), ref, false, 0)) {
                qat = run.forward(x, step.hook()).toFloatArray();
            }
            // the forward QAT trained on before: fake-quantised weights and activations, the float bias
            Map<String, QParams> w = new LinkedHashMap<>();
            for (String n : targets.weightNodes()) w.put(n, targets.weightParams(n));
            try (FakeQuantizedWeights fq = new FakeQuantizedWeights(g, w, ref); GraphRunner run = new GraphRunner(fq.graph(), ref, false, 0)) {
                floatBias = run.forward(x, FakeQuantizeHook.of(acts)).toFloatArray();
            }
            try (SimulatedInt8 s = new SimulatedInt8(g, r.plan(), ref); GraphRunner run = new GraphRunner(s.graph(), ref, false, 0)) {
                sim = run.forward(x, s.hook()).toFloatArray();
            }
        }
        try (Int8Runner e = new Int8Runner(m, new JavaInt8Kernels(1), ref)) {
            engine = e.logits(data.images(), data.count());
        }
        assertArrayEquals(sim, qat, "QAT's forward is the simulation of the converted model, bit for bit");
        float step = acts.get(g.output()).scale(0);
        int[] qatVsEngine = differing(qat, engine, step), floatVsEngine = differing(floatBias, engine, step);
        System.out.printf("lenet5 after QAT, %d logits: QAT forward vs int8 engine %d differ (max %d steps); with the float bias %d differ (max %d)%n",
                qat.length, qatVsEngine[0], qatVsEngine[1], floatVsEngine[0], floatVsEngine[1]);
        // the engine accumulates in int32 and requantises in fixed point: a code can differ where the float sum
        // lands on a rounding boundary, nowhere else
        assertTrue(qatVsEngine[0] <= qat.length / 200 && qatVsEngine[1] <= 1, "QAT vs engine: " + qatVsEngine[0] + " logits differ, max " + qatVsEngine[1] + " steps");
        assertTrue(floatVsEngine[0] > qatVsEngine[0], "the float bias should depart from the engine more than the int32 one: "
                + floatVsEngine[0] + " vs " + qatVsEngine[0]);
    }

    /** QAT under the TensorRT preset starts from its symmetric plan's scales exactly and ends with a symmetric plan, narrow weights. */
    @Test
    void qatKeepsTheTensorRtPresetsForm() {
        Graph g = CalibFixtures.prepared(Models.byName("lenet5", ref, 7));
        Dataset data = CalibFixtures.noise(32, 11);
        QuantTargets targets = QuantTargets.of(g, java.util.Set.of(), dev.nncompress.compress.quant.calib.QuantPreset.TENSORRT);
        var ptq = new Calibrator("minmax", 32, 16, null).calibrate(targets, data, ref);
        ActivationRanges start = new ActivationRanges(targets, ptq, 0.01);
        start.current().forEach((t, q) -> assertEquals(ptq.activations().get(t).scale(0), q.scale(0), 1e-6f * q.scale(0), t + ": the start scale"));
        TrainConfig recipe = QuantizationAwareTraining.fineTuning(1, 0.01f, 3);
        QatResult r = new QuantizationAwareTraining(ref, new TrainConfig(1, 16, recipe.optimizer(), recipe.schedule(), 3))
                .train(targets, ptq, data, TrainListener.NONE);
        r.plan().activations().forEach((t, q) -> assertEquals(0, q.zeroPoint(0), t));
        Int8Model m = Int8Converter.convert(r.graph(), r.plan(), Map.of());
        m.weights().forEach((n, w) -> {
            for (byte c : w.codes()) assertTrue(c >= -127, n + ": weight code " + c);
        });
    }

    /** How many values differ by half a step or more, and the largest difference in steps. */
    private static int[] differing(float[] a, float[] b, float step) {
        int n = 0;
        long max = 0;
        for (int i = 0; i < a.length; i++) {
            long d = Math.round(Math.abs(a[i] - b[i]) / step);
            if (d > 0) n++;
            max = Math.max(max, d);
        }
        return new int[] {n, (int) max};
    }
}

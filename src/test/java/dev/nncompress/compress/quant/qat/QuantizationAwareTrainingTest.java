package dev.nncompress.compress.quant.qat;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.compress.quant.Observer;
import dev.nncompress.compress.quant.Observers;
import dev.nncompress.quant.QParams;
import dev.nncompress.compress.quant.calib.Calibrator;
import dev.nncompress.compress.quant.calib.QuantPlan;
import dev.nncompress.compress.quant.calib.QuantTargets;
import dev.nncompress.compress.quant.calib.SimulatedAccuracy;
import dev.nncompress.data.Batch;
import dev.nncompress.data.BatchIterator;
import dev.nncompress.data.Batches;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphRunner;
import dev.nncompress.graph.Parameter;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import dev.nncompress.train.EpochStats;
import dev.nncompress.train.TrainConfig;
import dev.nncompress.train.TrainListener;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link QuantizationAwareTraining} end to end on a tiny graph (reference backend). */
class QuantizationAwareTrainingTest {
    private final Backend backend = new ReferenceBackend();

    /** The fine-tuning recipe with batches of 8, so that the tiny data sets give several steps per epoch. */
    private static TrainConfig smallBatches(int epochs, float lr, long seed) {
        TrainConfig r = QuantizationAwareTraining.fineTuning(epochs, lr, seed);
        return new TrainConfig(epochs, 8, r.optimizer(), r.schedule(), seed);
    }

    private QuantPlan ptq(QuantTargets targets, Dataset data) {
        return new Calibrator("minmax", data.count(), 16, null).calibrate(targets, data, backend);
    }

    @Test
    void aFewQatEpochsReduceTheLoss() {
        Graph g = QatFixtures.tinyPrepared(backend, 3);
        Dataset data = QatFixtures.columns(64, 1);
        QuantTargets targets = QuantTargets.of(g);
        QatResult r = new QuantizationAwareTraining(backend, smallBatches(12, 0.05f, 7))
                .train(targets, ptq(targets, data), data, TrainListener.NONE);
        List<EpochStats> h = r.history();
        assertEquals(12, h.size());
        float first = h.get(0).trainLoss(), last = h.get(h.size() - 1).trainLoss();
        // the untrained net starts near ln 3 = 1.10; learning the column task takes it well below
        assertTrue(last < 0.7f * first, "QAT loss " + first + " -> " + last);
        assertSame(g, r.graph(), "trained in place");
    }

    /**
     * The plan's input parameters are the moving average of every training batch's input min/max, replayed
     * here from the batches alone (the input does not depend on the weights), started from the PTQ range;
     * the weight parameters are the per-channel min/max of the final weights.
     */
    @Test
    void planFollowsTheMovingAverageAndTheFinalWeights() {
        Graph g = QatFixtures.tinyPrepared(backend, 4);
        Dataset data = QatFixtures.columns(40, 2);
        QuantTargets targets = QuantTargets.of(g);
        QuantPlan start = ptq(targets, scaled(data, 0.5f)); // a narrower start than the training images have
        double c = 0.2;
        TrainConfig config = smallBatches(3, 0.05f, 11);
        QatResult r = new QuantizationAwareTraining(backend, config, c).train(targets, start, data, TrainListener.NONE);

        float[] lo = start.activations().get(Graph.INPUT).representableRange().mins();
        float[] hi = start.activations().get(Graph.INPUT).representableRange().maxs();
        float lo0 = lo[0], hi0 = hi[0];
        float min = lo0, max = hi0;
        Batches batches = Batches.of(data, config.batchSize()).shuffled(config.seed());
        int steps = 0;
        for (int e = 0; e < config.epochs(); e++) {
            for (BatchIterator it = batches.epoch(e); it.hasNext(); steps++) {
                float bMin = Float.POSITIVE_INFINITY, bMax = Float.NEGATIVE_INFINITY;
                for (float v : it.next().images()) { bMin = Math.min(bMin, v); bMax = Math.max(bMax, v); }
                min = min + (float) c * (bMin - min);
                max = max + (float) c * (bMax - max);
            }
        }
        assertEquals(15, steps); // 40 images in batches of 8
        QParams expected = QParams.fromRange(QuantTargets.ACTIVATION_SCHEME, min, max);
        assertEquals(expected, r.plan().activations().get(Graph.INPUT));
        assertNotEquals(start.activations().get(Graph.INPUT), expected, "the average moved away from the start");

        for (String n : targets.weightNodes()) {
            Tensor w = g.param(n + ".weight").value();
            Observer o = Observers.weightObserver();
            o.observe(w.toFloatArray(), w.shape());
            assertEquals(o.qparams(), r.plan().weights().get(n), n);
            assertNotEquals(start.weights().get(n), r.plan().weights().get(n), n + ": training moved the weights");
        }
        // same shape as PTQ: same tensors, aliases share their source's parameters
        assertEquals(start.weights().keySet(), r.plan().weights().keySet());
        assertEquals(start.activations().keySet(), r.plan().activations().keySet());
        assertSame(r.plan().activations().get("conv"), r.plan().activations().get("pool"));
        assertEquals(QuantizationAwareTraining.OBSERVER, r.plan().observer());
        assertEquals(40 + 3 * 40, r.plan().calibrationImages());
    }

    private static Dataset scaled(Dataset d, float f) {
        float[] img = d.images();
        for (int i = 0; i < img.length; i++) img[i] *= f;
        int[] labels = new int[d.count()];
        for (int i = 0; i < labels.length; i++) labels[i] = d.label(i);
        return new Dataset(img, labels, d.channels(), d.height(), d.width(), d.numClasses());
    }

    /**
     * SimulatedAccuracy with the QAT plan counts what a hand-written simulation counts: weights
     * fake-quantised from the final weights, every planned output fake-quantised with the plan, logits
     * bit for bit.
     */
    @Test
    void simulatedAccuracyOfTheQatPlanIsWhatTheQuantisedGraphComputes() {
        Graph g = QatFixtures.tinyPrepared(backend, 5);
        Dataset data = QatFixtures.columns(48, 3);
        QuantTargets targets = QuantTargets.of(g);
        QatResult r = new QuantizationAwareTraining(backend, smallBatches(10, 0.05f, 2))
                .train(targets, ptq(targets, data), data, TrainListener.NONE);
        SimulatedAccuracy.Result measured = SimulatedAccuracy.measure(r.graph(), r.plan(), data, backend, 16);

        Map<String, Parameter> params = new LinkedHashMap<>(g.params());
        List<Tensor> copies = new ArrayList<>();
        for (String n : targets.weightNodes()) {
            Parameter w = g.param(n + ".weight");
            Observer o = Observers.weightObserver();
            o.observe(w.value().toFloatArray(), w.value().shape());
            Tensor q = backend.fromFloats(o.qparams().fakeQuantize(w.value().toFloatArray(), w.value().shape()), w.value().shape());
            copies.add(q);
            params.put(w.name(), new Parameter(w.name(), q, false));
        }
        Graph quantised = new Graph(g.name(), g.inputShape(), g.nodes(), g.output(), params);
        GraphRunner.OutputHook hook = (node, t) -> {
            QParams p = r.plan().activations().get(node);
            return p == null ? t : backend.fromFloats(p.fakeQuantize(t.toFloatArray(), t.shape()), t.shape());
        };
        int correct = 0;
        for (BatchIterator it = Batches.of(data, 16).epoch(0); it.hasNext(); ) {
            Batch b = it.next();
            try (GraphRunner run = new GraphRunner(quantised, backend, false, 0);
                 GraphRunner viaSim = new GraphRunner(g, backend, false, 0);
                 Tensor x = backend.fromFloats(b.images(), Shape.of(b.size(), 1, 6, 6))) {
                float[] logits = run.forward(x, hook).toFloatArray();
                try (var sim = new dev.nncompress.compress.quant.calib.SimulatedInt8(g, r.plan(), backend);
                     GraphRunner s = new GraphRunner(sim.graph(), backend, false, 0)) {
                    assertArrayEquals(logits, s.forward(x, sim.hook()).toFloatArray());
                }
                for (int i = 0; i < b.size(); i++) {
                    int best = 0;
                    for (int k = 1; k < 3; k++) if (logits[i * 3 + k] > logits[i * 3 + best]) best = k;
                    if (best == b.labels()[i]) correct++;
                }
            }
        }
        copies.forEach(Tensor::close);
        assertEquals(correct, measured.int8Correct());
        assertTrue(measured.int8Accuracy() > 0.5, "the tiny net learned the task under QAT: " + measured.int8Accuracy()); // chance is 1/3
    }

    @Test
    void badSettingsAreRejectedWithAClearMessage() {
        Graph g = QatFixtures.tinyPrepared(backend, 6);
        Dataset data = QatFixtures.columns(16, 4);
        QuantTargets targets = QuantTargets.of(g);
        QuantPlan start = ptq(targets, data);
        TrainConfig config = QuantizationAwareTraining.fineTuning(1, 0.01f, 1);
        IllegalArgumentException c = assertThrows(IllegalArgumentException.class, () -> new QuantizationAwareTraining(backend, config, 0));
        assertTrue(c.getMessage().contains("averaging constant"), c.getMessage());
        // a plan made with conv excluded has no parameters for conv's output
        QuantPlan partial = new Calibrator("minmax", 16, 16, null).calibrate(QuantTargets.of(g, java.util.Set.of("conv")), data, backend);
        IllegalArgumentException p = assertThrows(IllegalArgumentException.class,
                () -> new QuantizationAwareTraining(backend, config).train(targets, partial, data, TrainListener.NONE));
        assertTrue(p.getMessage().contains("'conv'"), p.getMessage());
        QuantPlan other = new QuantPlan("student", "minmax", 1, start.weights(), start.activations(), start.excluded());
        IllegalArgumentException o = assertThrows(IllegalArgumentException.class,
                () -> new QuantizationAwareTraining(backend, config).train(targets, other, data, TrainListener.NONE));
        assertTrue(o.getMessage().contains("student"), o.getMessage());
    }
}

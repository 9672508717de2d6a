package dev.nncompress.compress.distill;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.compress.prepare.GraphPreparation;
import dev.nncompress.compress.quant.calib.Calibrator;
import dev.nncompress.compress.quant.calib.QuantTargets;
import dev.nncompress.compress.quant.qat.QuantizationAwareTraining;
import dev.nncompress.data.Batch;
import dev.nncompress.data.Batches;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphPredictor;
import dev.nncompress.graph.GraphRunner;
import dev.nncompress.graph.Parameter;
import dev.nncompress.tensor.Tensor;
import dev.nncompress.train.TrainListener;
import dev.nncompress.train.Trainer;
import dev.nncompress.train.TrainingLoss;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.nncompress.compress.distill.DistillFixtures.config;
import static dev.nncompress.compress.distill.DistillFixtures.weights;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Feature distillation end to end: the gradients the loss adds at intermediate nodes reach the student's weights
 * through the runner's backward (checked by central differences of the whole loss), the adapter trains, and QAT
 * runs with a teacher.
 */
class FeatureDistillationTest {
    private final Backend backend = new ReferenceBackend();
    private final Dataset data = DistillFixtures.columns(48, 2);

    @Test
    void studentWeightGradientsOfTheWholeLossMatchCentralDifferences() {
        Graph teacher = DistillFixtures.teacher(backend, 5);
        Graph student = DistillFixtures.student(backend, 3);
        // hint on the conv output (through the 4 -> 6 adapter) and attention on the pooled maps: two node gradients
        try (DistillationLoss loss = DistillationLoss.withFeatures(new ResponseDistillation(3, 0.8), teacher, student,
                List.of(new HintLoss("conv", "conv", 4, 6, 0.5, backend, 1), new AttentionTransfer("pool", "pool", 20)))) {
            Batch b = Batches.of(data, 6).epoch(0).next().copy();
            float total = step(student, loss, b, true);
            assertTrue(loss.lastFeatureLoss() > 0 && loss.lastFeatureLoss() < total, "feature part " + loss.lastFeatureLoss() + " of " + total);
            List<String> names = List.of("conv.weight", "conv.bias", "fc.weight");
            java.util.Map<String, float[]> grads = new java.util.HashMap<>();
            for (String name : names) grads.put(name, student.param(name).grad().toFloatArray()); // the FD passes clear them
            assertNotNull(loss.extraParameters().get(0).grad(), "the adapter gets a gradient");
            for (String name : names) {
                Parameter p = student.param(name);
                float[] grad = grads.get(name);
                float[] v = p.value().toFloatArray();
                for (int i = 0; i < v.length; i += Math.max(1, v.length / 12)) {
                    // h = 1e-3: at 1e-2 a ReLU/max-pool kink was crossed (conv.weight[15]: fd -0.0059 vs -0.0096, which
                    // 3e-3 and 1e-3 both reproduce); float rounding of a loss of order 1 adds ~1e-4 at this h.
                    // Tolerance 1e-3 absolute + 2% relative
                    double h = 1e-3;
                    double fd = (lossAt(student, p, v, i, h, loss, b) - lossAt(student, p, v, i, -h, loss, b)) / (2 * h);
                    assertEquals(fd, grad[i], 1e-3 + 0.02 * Math.abs(fd), name + "[" + i + "]");
                }
                p.setValue(backend.fromFloats(v, p.value().shape()));
            }
        }
    }

    @Test
    void trainingWithHintsUpdatesTheAdapterAndLeavesTheTeacherAlone() {
        Graph teacher = DistillFixtures.teacher(backend, 5);
        var teacherBefore = weights(teacher);
        Graph student = DistillFixtures.student(backend, 3);
        try (DistillationLoss loss = DistillationLoss.withFeatures(new ResponseDistillation(4, 0.9), teacher, student,
                List.of(new HintLoss("relu", "relu", 4, 6, 1, backend, 1)))) {
            float[] adapterBefore = loss.extraParameters().get(0).value().toFloatArray();
            new Trainer(backend, config(2, 7), dev.nncompress.train.StepHook.NONE, loss).fit(student, data, null, TrainListener.NONE);
            assertFalse(java.util.Arrays.equals(adapterBefore, loss.extraParameters().get(0).value().toFloatArray()), "adapter trained");
            assertEquals(null, loss.extraParameters().get(0).grad(), "cleared after the update like the model's");
        }
        DistillationTrainingTest.assertSameWeights(teacherBefore, weights(teacher));
    }

    @Test
    void attentionFromTheCacheTrainsExactlyAsFromTheLiveTeacher() {
        Graph teacher = DistillFixtures.teacher(backend, 5);
        new Trainer(backend, config(2, 9)).fit(teacher, data, null, TrainListener.NONE);
        ResponseDistillation kd = new ResponseDistillation(4, 0.7);
        Graph live = DistillFixtures.student(backend, 3);
        try (DistillationLoss loss = DistillationLoss.withFeatures(kd, teacher, live, List.of(new AttentionTransfer("pool", "pool", 50)))) {
            new Trainer(backend, config(2, 7), dev.nncompress.train.StepHook.NONE, loss).fit(live, data, null, TrainListener.NONE);
        }
        Graph cached = DistillFixtures.student(backend, 3);
        // batch 7 for the cache pass against the training batch of 8: rows are looked up by example, not by batch
        try (DistillationLoss loss = DistillationLoss.withCachedFeatures(kd, teacher, cached, List.of(new AttentionTransfer("pool", "pool", 50)),
                backend, data, 7)) {
            assertEquals(data.count(), loss.featureCache().count());
            assertEquals(4L * data.count() * (3 + 3 * 3), loss.featureCache().bytes(), "3 logits and a 3x3 map per example");
            new Trainer(backend, config(2, 7), dev.nncompress.train.StepHook.NONE, loss).fit(cached, data, null, TrainListener.NONE);
        }
        DistillationTrainingTest.assertSameWeights(weights(live), weights(cached));
        assertFalse(java.util.Arrays.equals(weights(live).get("conv.weight"), weights(DistillFixtures.student(backend, 3)).get("conv.weight")));
    }

    @Test
    void aHintIsNotCachedAndTheRefusalSaysWhatItWouldCost() {
        Graph teacher = DistillFixtures.teacher(backend, 5);
        Graph student = DistillFixtures.student(backend, 3);
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> DistillationLoss.withCachedFeatures(
                new ResponseDistillation(4, 0.9), teacher, student, List.of(new HintLoss("conv", "conv", 4, 6, 1, backend, 1)), backend, data, 8));
        assertTrue(e.getMessage().contains("conv -> conv") && e.getMessage().contains("HintLoss") && e.getMessage().contains("48 images")
                && e.getMessage().contains("[6, 6, 6] map") && e.getMessage().contains("would take 0.0 MB"), e.getMessage());
    }

    @Test
    void qatWithATeacherAtAlphaZeroIsPlainQatAndWithAlphaItDiffers() {
        Graph teacher = DistillFixtures.teacher(backend, 5);
        new Trainer(backend, config(3, 9)).fit(teacher, data, null, TrainListener.NONE);
        CachedTeacherLogits cache = CachedTeacherLogits.compute(new GraphPredictor(teacher, backend), data, 16);
        var plain = weights(qat(TrainingLoss.CROSS_ENTROPY));
        var alphaZero = weights(qat(DistillationLoss.response(new ResponseDistillation(4, 0), cache)));
        var distilled = weights(qat(DistillationLoss.response(new ResponseDistillation(4, 0.9), cache)));
        DistillationTrainingTest.assertSameWeights(plain, alphaZero);
        assertFalse(java.util.Arrays.equals(plain.get("fc.weight"), distilled.get("fc.weight")));
    }

    private Graph qat(TrainingLoss loss) {
        Graph g = GraphPreparation.forInference(DistillFixtures.student(backend, 3)).graph();
        QuantTargets targets = QuantTargets.of(g);
        var start = new Calibrator("minmax", data.count(), 16, null).calibrate(targets, data, backend);
        new QuantizationAwareTraining(backend, config(2, 7)).train(targets, start, data, TrainListener.NONE, loss);
        return g;
    }

    private double lossAt(Graph student, Parameter p, float[] v, int i, double h, DistillationLoss loss, Batch b) {
        float[] w = v.clone();
        w[i] += (float) h;
        p.setValue(backend.fromFloats(w, p.value().shape()));
        return step(student, loss, b, false);
    }

    /** Forward, loss, and (when asked) backward into fresh gradients; returns the loss. */
    private float step(Graph student, DistillationLoss loss, Batch b, boolean backward) {
        student.params().values().forEach(Parameter::clearGrad);
        try (GraphRunner run = new GraphRunner(student, backend, true, 1);
             Tensor x = backend.fromFloats(b.images(), GraphPredictor.batchShape(student.inputShape(), b.size()))) {
            Tensor logits = run.forward(x);
            try (TrainingLoss.Terms t = loss.compute(backend, run, logits, b)) {
                if (backward) run.backward(t.gradLogits(), t.backwardHook(GraphRunner.OutputHook.NONE));
                return t.loss();
            }
        } finally {
            if (!backward) loss.extraParameters().forEach(Parameter::clearGrad);
        }
    }
}

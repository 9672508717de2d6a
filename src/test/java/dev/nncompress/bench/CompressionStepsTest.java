package dev.nncompress.bench;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.Backends;
import dev.nncompress.compress.distill.DistillationLoss;
import dev.nncompress.compress.distill.TeacherLogits;
import dev.nncompress.compress.prepare.GraphPreparation;
import dev.nncompress.compress.quant.calib.Calibrator;
import dev.nncompress.compress.quant.calib.QuantTargets;
import dev.nncompress.compress.quant.qat.QuantizationAwareTraining;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphPredictor;
import dev.nncompress.graph.Logits;
import dev.nncompress.graph.Parameter;
import dev.nncompress.models.Models;
import dev.nncompress.train.LrSchedule;
import dev.nncompress.train.OptimizerConfig;
import dev.nncompress.train.StepHook;
import dev.nncompress.train.TrainConfig;
import dev.nncompress.train.TrainListener;
import dev.nncompress.train.Trainer;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The benchmark's distillation and QAT steps ({@link CompressionSteps}) are the steps {@code distill} and {@code quantize
 * --qat-epochs} run: one step on a batch gives the weights that one epoch of the library's own training gives on a
 * dataset of that batch alone (the same loss, hook, optimizer and learning rate; the trainer shuffles the rows, so the
 * sums may differ in their last bits).
 */
class CompressionStepsTest {
    private static final int BATCH = 8;
    private static final OptimizerConfig.Sgd SGD = new OptimizerConfig.Sgd(0.01f, 0.9f, 0, false);

    private final Backend b = Backends.defaultBackend();
    private final float[] images = new float[BATCH * 28 * 28];
    private final int[] labels = new int[BATCH];

    CompressionStepsTest() {
        SplittableRandom r = new SplittableRandom(5);
        for (int i = 0; i < images.length; i++) images[i] = (float) r.nextGaussian();
        for (int i = 0; i < BATCH; i++) labels[i] = r.nextInt(10);
    }

    private Dataset data() { return new Dataset(images, labels, 1, 28, 28, 10); }

    private static TrainConfig oneEpoch() { return new TrainConfig(1, BATCH, SGD, new LrSchedule.Constant(), 3); }

    @Test
    void theQatStepIsQuantizationAwareTrainingsStep() {
        Graph benched;
        try (CompressionSteps.Step step = CompressionSteps.qat(Models.byName("student", b, 1), b, images, labels, BATCH)) {
            step.run();
            benched = step.graph();
        }
        Graph prepared = GraphPreparation.forInference(Models.byName("student", b, 1)).graph();
        QuantTargets targets = QuantTargets.of(prepared);
        var start = new Calibrator("minmax", BATCH, BATCH, null).calibrate(targets, data(), b);
        new QuantizationAwareTraining(b, oneEpoch()).train(targets, start, data(), TrainListener.NONE);
        assertSameWeights(prepared, benched, GraphPreparation.forInference(Models.byName("student", b, 1)).graph());
    }

    @Test
    void theDistillationStepIsTheTrainersStepOnTheLiveTeachersLoss() {
        Graph teacher = Models.byName("teacher", b, 2);
        Graph benched = Models.byName("student", b, 1);
        try (CompressionSteps.Step step = CompressionSteps.distillation(benched, teacher, b, images, labels, BATCH)) {
            step.run();
        }
        Graph trained = Models.byName("student", b, 1);
        try (GraphPredictor live = new GraphPredictor(Logits.of(teacher), b);
             DistillationLoss loss = DistillationLoss.response(CompressionSteps.RESPONSE, TeacherLogits.live(live))) {
            new Trainer(b, oneEpoch(), StepHook.NONE, loss).fit(trained, data(), null, TrainListener.NONE);
        }
        assertSameWeights(trained, benched, Models.byName("student", b, 1));
    }

    /** Every parameter of {@code actual} within float rounding of {@code expected}'s, and some moved from {@code before}'s. */
    private static void assertSameWeights(Graph expected, Graph actual, Graph before) {
        boolean moved = false;
        for (Map.Entry<String, Parameter> e : expected.params().entrySet()) {
            float[] want = e.getValue().value().toFloatArray();
            float[] got = actual.params().get(e.getKey()).value().toFloatArray();
            assertEquals(want.length, got.length, e.getKey());
            for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], 1e-5f + 1e-4f * Math.abs(want[i]), e.getKey() + "[" + i + "]");
            float[] old = before.params().get(e.getKey()).value().toFloatArray();
            moved |= !java.util.Arrays.equals(old, got);
        }
        assertFalse(expected.params().isEmpty());
        assertArrayEquals(expected.params().keySet().toArray(), actual.params().keySet().toArray());
        assertEquals(true, moved, "the step changed no weight");
    }
}

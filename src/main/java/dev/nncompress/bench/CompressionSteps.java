package dev.nncompress.bench;

import dev.nncompress.backend.Backend;
import dev.nncompress.compress.distill.DistillationLoss;
import dev.nncompress.compress.distill.ResponseDistillation;
import dev.nncompress.compress.distill.TeacherLogits;
import dev.nncompress.compress.prepare.GraphPreparation;
import dev.nncompress.compress.quant.calib.Calibrator;
import dev.nncompress.compress.quant.calib.QuantPlan;
import dev.nncompress.compress.quant.calib.QuantTargets;
import dev.nncompress.compress.quant.qat.QuantizationAwareTraining;
import dev.nncompress.data.Batch;
import dev.nncompress.data.Batches;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphPredictor;
import dev.nncompress.graph.Logits;
import dev.nncompress.graph.Predictor;
import dev.nncompress.tensor.Shape;
import dev.nncompress.train.LrSchedule;
import dev.nncompress.train.Optimizer;
import dev.nncompress.train.OptimizerConfig;
import dev.nncompress.train.StepHook;
import dev.nncompress.train.TrainConfig;
import dev.nncompress.train.Trainer;
import dev.nncompress.train.TrainingLoss;

import java.util.Arrays;

/**
 * The training steps of the compression methods that train (issue 23: "distillation with a live float teacher and QAT
 * epochs speed up in proportion"), each on one fixed batch as {@link Throughput.TrainingStep} times plain training, and
 * through the same {@link Trainer#trainStep} that {@code distill} and {@code quantize --qat-epochs} run, minus data
 * loading; SGD (lr 0.01, momentum 0.9). {@link PyTorchFloat} times PyTorch's same steps against them.
 */
public final class CompressionSteps {
    /** Response distillation as {@code distill} runs it by default (--temperature 4, --alpha 0.5). */
    public static final ResponseDistillation RESPONSE = new ResponseDistillation(4, 0.5);

    private CompressionSteps() {}

    /**
     * A distillation step of {@code student} from a live float {@code teacher}: the teacher's logits computed on every
     * batch by a {@link GraphPredictor} (inference mode, as {@code distill --teacher} without {@code --cache-teacher}),
     * then the student's step on {@link #RESPONSE}'s loss.
     */
    public static Step distillation(Graph student, Graph teacher, Backend b, float[] images, int[] labels, int batch) {
        Predictor live = new GraphPredictor(Logits.of(teacher), b);
        DistillationLoss loss = DistillationLoss.response(RESPONSE, TeacherLogits.live(live));
        return new Step(student, b, images, labels, batch, StepHook.NONE, loss, live);
    }

    /**
     * A quantisation-aware training step of {@code model}: the graph prepared for int8 ({@link GraphPreparation}: BN
     * folded, ReLU fused), its activation ranges started from a min/max calibration on the batch, then the step with
     * fake-quantised weights and activations ({@link QuantizationAwareTraining#stepHook}).
     */
    public static Step qat(Graph model, Backend b, float[] images, int[] labels, int batch) {
        Graph prepared = GraphPreparation.forInference(model).graph();
        QuantTargets targets = QuantTargets.of(prepared);
        Dataset data = dataset(prepared.inputShape(), images, labels, batch);
        QuantPlan start = new Calibrator("minmax", batch, batch, null).calibrate(targets, data, b);
        StepHook hook = new QuantizationAwareTraining(b, QuantizationAwareTraining.fineTuning(1, 0.01f, 1)).stepHook(targets, start);
        return new Step(prepared, b, images, labels, batch, hook, TrainingLoss.CROSS_ENTROPY, null);
    }

    private static Dataset dataset(Shape input, float[] images, int[] labels, int batch) {
        int[] y = Arrays.copyOf(labels, batch);
        int classes = Arrays.stream(y).max().orElse(0) + 1;
        return new Dataset(Arrays.copyOf(images, batch * input.numel()), y, input.dim(0), input.dim(1), input.dim(2), Math.max(classes, 10));
    }

    /** One step on a fixed batch; closing it frees the optimizer state and the teacher's predictor. */
    public static final class Step implements Runnable, AutoCloseable {
        private final Graph graph;
        private final Trainer trainer;
        private final Batch batch;
        private final Optimizer opt;
        private final AutoCloseable owned;
        private long steps;

        private Step(Graph graph, Backend b, float[] images, int[] labels, int batch, StepHook hook, TrainingLoss loss, AutoCloseable owned) {
            this.graph = graph;
            OptimizerConfig.Sgd sgd = new OptimizerConfig.Sgd(0.01f, 0.9f, 0, false);
            this.trainer = new Trainer(b, new TrainConfig(1, batch, sgd, new LrSchedule.Constant(), 1), hook, loss);
            this.batch = Batches.of(dataset(graph.inputShape(), images, labels, batch), batch).epoch(0).next().copy();
            this.opt = sgd.create();
            this.owned = owned;
        }

        /** The graph the steps train (for a QAT step: the prepared copy). */
        public Graph graph() { return graph; }

        @Override
        public void run() { trainer.trainStep(graph, batch, opt, 0.01f, steps++); }

        @Override
        public void close() {
            opt.close();
            if (owned != null) {
                try {
                    owned.close();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        }
    }
}

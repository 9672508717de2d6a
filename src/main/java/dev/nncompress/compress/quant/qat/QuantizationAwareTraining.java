package dev.nncompress.compress.quant.qat;

import dev.nncompress.backend.Backend;
import dev.nncompress.compress.quant.MovingAverageMinMaxObserver;
import dev.nncompress.quant.QParams;
import dev.nncompress.compress.quant.calib.FakeQuantizeHook;
import dev.nncompress.compress.quant.calib.FakeQuantizedWeights;
import dev.nncompress.compress.quant.calib.Int32GridBiases;
import dev.nncompress.compress.quant.calib.QuantPlan;
import dev.nncompress.compress.quant.calib.QuantTargets;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphRunner;
import dev.nncompress.graph.Parameter;
import dev.nncompress.io.TensorRecord;
import dev.nncompress.train.Checkpointing;
import dev.nncompress.train.StateTensors;
import dev.nncompress.train.EpochStats;
import dev.nncompress.train.LrSchedule;
import dev.nncompress.train.OptimizerConfig;
import dev.nncompress.train.StepHook;
import dev.nncompress.train.TrainConfig;
import dev.nncompress.train.TrainListener;
import dev.nncompress.train.Trainer;
import dev.nncompress.train.TrainingLoss;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Quantisation-aware training (issue 6): fine-tunes a prepared float graph (BN folded, ReLU fused) with
 * the int8 rounding in the loop, using the ordinary {@link Trainer} with a {@link StepHook}. Every step:
 *
 * <ul>
 *   <li>the planned weights are fake-quantised per output channel with ranges from their current min/max
 *       ({@link QuantTargets#weightParams}); the step runs on those copies, and their gradients reach the
 *       float master weights through the straight-through estimator ({@link FakeQuantizedWeights#passGradients});</li>
 *   <li>every planned activation updates its moving-average min/max (started from the PTQ plan) and is
 *       fake-quantised with the result; its gradient is zeroed where the forward clamped ({@link FakeQuantizeHook}); max-pool
 *       and flatten outputs, already on their input's grid, are left as they are (the identity bit for bit; where PyTorch's
 *       eager QAT has no fake quantisation either: {@link QuantTargets#gridPreservingAliases()});</li>
 *   <li>the fake quantisation and its straight-through backward run as the backend's ops (on CUDA the
 *       {@code nnc_fake_quantize_s8} kernels); the observers still read the values on the host;</li>
 *   <li>the bias of every int8 layer is added on the int32 grid of its accumulator, as the converted engine adds it
 *       ({@link Int32GridBiases}; straight-through gradient), so the forward trained on is the engine's.</li>
 * </ul>
 *
 * The graph of {@code targets} is trained in place (as {@link Trainer#fit} does); the result's plan is made
 * by {@link QuantTargets#plan}, the same method that ends PTQ calibration, so the converter treats both alike.
 */
public final class QuantizationAwareTraining {
    /** Observer name written into the plan. */
    public static final String OBSERVER = "qat-ema";

    private final Backend backend;
    private final TrainConfig config;
    private final double averagingConstant;
    private Checkpointing checkpoints;

    /** @param averagingConstant of the activation ranges' moving averages, in (0, 1] (torch: 0.01) */
    public QuantizationAwareTraining(Backend backend, TrainConfig config, double averagingConstant) {
        if (backend == null || config == null) throw new IllegalArgumentException("QAT needs a backend and a training config");
        if (!(averagingConstant > 0 && averagingConstant <= 1)) {
            throw new IllegalArgumentException("QAT: averaging constant must be in (0, 1], got " + averagingConstant);
        }
        this.backend = backend;
        this.config = config;
        this.averagingConstant = averagingConstant;
    }

    public QuantizationAwareTraining(Backend backend, TrainConfig config) {
        this(backend, config, MovingAverageMinMaxObserver.DEFAULT_AVERAGING_CONSTANT);
    }

    /** The same training, checkpointed ({@link Trainer#withCheckpoints}); the activation ranges go into the checkpoint with the weights. */
    public QuantizationAwareTraining withCheckpoints(Checkpointing checkpoints) {
        QuantizationAwareTraining q = new QuantizationAwareTraining(backend, config, averagingConstant);
        q.checkpoints = checkpoints;
        return q;
    }

    /**
     * A fine-tuning recipe: SGD with momentum 0.9, batch 64, cosine decay from {@code lr} to 0 (the rounding
     * noise is largest relative to the updates at the end, so a decaying rate lets the weights settle on
     * the grid instead of jumping between codes), seeded data order.
     */
    public static TrainConfig fineTuning(int epochs, float lr, long seed) {
        return new TrainConfig(epochs, 64, new OptimizerConfig.Sgd(lr, 0.9f, 0f, false), new LrSchedule.Cosine(0f), seed);
    }

    /**
     * @param targets what is quantised, over the prepared graph to train (in place)
     * @param start   a PTQ plan of that graph: its activation ranges start the moving averages
     */
    public QatResult train(QuantTargets targets, QuantPlan start, Dataset data, TrainListener listener) {
        return train(targets, start, data, listener, TrainingLoss.CROSS_ENTROPY);
    }

    /**
     * As {@link #train(QuantTargets, QuantPlan, Dataset, TrainListener)}, minimising {@code loss} instead of plain
     * cross-entropy: QAT with a teacher ({@code compress.distill.DistillationLoss}); feature losses then read the
     * fake-quantised activations, which is what the int8 model will compute.
     */
    public QatResult train(QuantTargets targets, QuantPlan start, Dataset data, TrainListener listener, TrainingLoss loss) {
        ActivationRanges ranges = new ActivationRanges(targets, start, averagingConstant);
        List<EpochStats> history = new Trainer(backend, config, stepHook(targets, ranges), loss).withCheckpoints(checkpoints)
                .fit(targets.graph(), data, null, listener);
        int images = start.calibrationImages() + data.count() * config.epochs();
        return new QatResult(targets.graph(), targets.plan(OBSERVER, images, ranges.current()), history);
    }

    /**
     * The {@link StepHook} that {@link #train} hands the {@link Trainer}: every step of {@code targets}' graph with
     * fake-quantised weights and activations, the activation ranges started from {@code start}. For callers that
     * run the steps themselves (the QAT benchmark); the ranges it moves are its own.
     */
    public StepHook stepHook(QuantTargets targets, QuantPlan start) {
        return stepHook(targets, new ActivationRanges(targets, start, averagingConstant));
    }

    private StepHook stepHook(QuantTargets targets, ActivationRanges ranges) {
        Graph graph = targets.graph();
        return new StepHook() {
            @Override
            public Step begin(Graph trained) {
                if (trained != graph) throw new IllegalStateException("QAT step hook for graph " + graph.name() + " got another graph");
                return new QatStep(targets, ranges.quantised(), ranges::observeAndGet, backend);
            }

            @Override public Map<String, TensorRecord> checkpointState() { return ranges.checkpointState(); }

            @Override public void restoreCheckpointState(StateTensors state) { ranges.restoreCheckpointState(state); }
        };
    }

    /**
     * One training step's fake-quantised view: weight copies from the current weights, the biases of the int8
     * layers on their int32 grid ({@link Int32GridBiases}, moved as each layer's input gets this step's parameters),
     * a hook that fake-quantises {@code quantised} with the parameters {@code activations} gives (in training: after
     * observing the values).
     */
    static final class QatStep implements StepHook.Step {
        private final FakeQuantizedWeights weights;
        private final Int32GridBiases biases;
        private final Graph graph;
        private final FakeQuantizeHook hook;

        QatStep(QuantTargets targets, Set<String> quantised, FakeQuantizeHook.ParamsSource activations, Backend backend) {
            Map<String, QParams> w = new LinkedHashMap<>();
            for (String n : targets.weightNodes()) w.put(n, targets.weightParams(n));
            this.weights = new FakeQuantizedWeights(targets.graph(), w, backend);
            try {
                this.biases = new Int32GridBiases(targets.graph(), w, backend);
            } catch (RuntimeException e) {
                weights.close();
                throw e;
            }
            Map<String, Parameter> params = new LinkedHashMap<>(weights.graph().params());
            params.putAll(biases.params());
            Graph g = targets.graph();
            this.graph = new Graph(g.name(), g.inputShape(), g.nodes(), g.output(), params);
            // the runner asks for a tensor's parameters before any layer reading it runs: the biases move in time
            // max-pool and flatten outputs are on their input's grid: asked for their parameters, not fake-quantised again
            this.hook = new FakeQuantizeHook(quantised, targets.gridPreservingAliases(), (node, v) -> {
                QParams p = activations.paramsFor(node, v);
                if (p != null) biases.inputQuantised(node, p);
                return p;
            });
        }

        @Override public Graph graph() { return graph; }

        @Override public GraphRunner.OutputHook hook() { return hook; }

        @Override
        public void afterBackward() {
            weights.passGradients();
            biases.passGradients();
        }

        @Override
        public void close() {
            hook.close();
            biases.close();
            weights.close();
        }
    }
}

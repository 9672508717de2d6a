package dev.nncompress.train;

import dev.nncompress.backend.Backend;
import dev.nncompress.data.Batch;
import dev.nncompress.data.BatchIterator;
import dev.nncompress.data.Batches;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphRunner;
import dev.nncompress.graph.Parameter;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Mini-batch training with softmax cross-entropy, or any other {@link TrainingLoss} (distillation). Data order per epoch and dropout masks follow the
 * config's seed, so two runs with the same config, model and backend give the same weights.
 */
public final class Trainer {
    private final Backend backend;
    private final TrainConfig config;
    private final StepHook stepHook;
    private final TrainingLoss loss;

    public Trainer(Backend backend, TrainConfig config) { this(backend, config, StepHook.NONE); }

    /** @param stepHook what each step runs in place of the plain graph (quantisation-aware training), and what follows each update (pruning masks) */
    public Trainer(Backend backend, TrainConfig config, StepHook stepHook) { this(backend, config, stepHook, TrainingLoss.CROSS_ENTROPY); }

    /** @param loss what each step minimises (distillation); {@link TrainingLoss#CROSS_ENTROPY} for plain training */
    public Trainer(Backend backend, TrainConfig config, StepHook stepHook, TrainingLoss loss) {
        if (stepHook == null) throw new IllegalArgumentException("stepHook must not be null (use StepHook.NONE)");
        if (loss == null) throw new IllegalArgumentException("loss must not be null (use TrainingLoss.CROSS_ENTROPY)");
        this.backend = backend;
        this.config = config;
        this.stepHook = stepHook;
        this.loss = loss;
    }

    /** Trains {@code graph} in place; evaluates on {@code validation} after each epoch when it is not null. */
    public List<EpochStats> fit(Graph graph, Dataset train, Dataset validation, TrainListener listener) {
        Batches batches = Batches.of(train, config.batchSize()).shuffled(config.seed());
        int stepsPerEpoch = batches.batchCount();
        long totalSteps = (long) stepsPerEpoch * config.epochs();
        List<EpochStats> history = new ArrayList<>();
        long globalStep = 0;
        try (Optimizer opt = config.optimizer().create()) {
            for (int epoch = 0; epoch < config.epochs(); epoch++) {
                listener.epochStarted(epoch, config.epochs(), stepsPerEpoch);
                long start = System.nanoTime();
                double lossSum = 0;
                int seen = 0;
                int step = 0;
                float lr = config.optimizer().lr();
                for (BatchIterator it = batches.epoch(epoch); it.hasNext(); ) {
                    Batch b = it.next();
                    lr = config.schedule().lr(config.optimizer().lr(), globalStep, totalSteps, stepsPerEpoch);
                    float loss = trainStep(graph, b, opt, lr, config.seed() * 1_000_003L + globalStep);
                    if (!Float.isFinite(loss)) {
                        throw new TrainingDivergedException("loss became " + loss + " at epoch " + (epoch + 1) + ", step " + (step + 1)
                                + " (learning rate " + lr + "); try a smaller learning rate");
                    }
                    lossSum += (double) loss * b.size();
                    seen += b.size();
                    globalStep++;
                    listener.stepDone(++step, (float) (lossSum / seen), seen / ((System.nanoTime() - start) / 1e9));
                }
                double secs = (System.nanoTime() - start) / 1e9;
                EvalResult eval = validation == null ? null : new Evaluator(backend, 256).evaluate(graph, validation);
                EpochStats stats = new EpochStats(epoch + 1, (float) (lossSum / seen), seen / secs, secs, lr, eval);
                history.add(stats);
                listener.epochDone(stats);
            }
        }
        return history;
    }

    /** One forward, backward and update; returns the batch's mean loss. */
    public float trainStep(Graph graph, Batch b, Optimizer opt, float lr, long seed) {
        float stepLoss;
        try (StepHook.Step step = stepHook.begin(graph);
             GraphRunner run = new GraphRunner(step.graph(), backend, true, seed);
             Tensor x = backend.fromFloats(b.images(), Shape.of(b.size(), b.channels(), b.height(), b.width()))) {
            Tensor logits = run.forward(x, step.hook());
            try (TrainingLoss.Terms l = loss.compute(backend, run, logits, b)) {
                run.backward(l.gradLogits(), l.backwardHook(step.hook()));
                stepLoss = l.loss();
            }
            step.afterBackward();
        }
        List<Parameter> params = new ArrayList<>(graph.trainableParams());
        params.addAll(loss.extraParameters());
        opt.step(params, lr);
        for (Parameter p : params) p.clearGrad();
        stepHook.afterUpdate(graph);
        return stepLoss;
    }
}

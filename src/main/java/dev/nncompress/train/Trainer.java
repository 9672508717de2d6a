package dev.nncompress.train;

import dev.nncompress.backend.Backend;
import dev.nncompress.data.Batch;
import dev.nncompress.data.Batches;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphRunner;
import dev.nncompress.graph.Logits;
import dev.nncompress.graph.Parameter;
import dev.nncompress.io.ModelFormatException;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Mini-batch training with softmax cross-entropy, or any other {@link TrainingLoss} (distillation). Data order per epoch and dropout masks follow the
 * config's seed, so two runs with the same config, model and backend give the same weights. With
 * {@link #withCheckpoints} it writes {@link Checkpoint}s as it goes and continues from one: the data order of
 * epoch e is seeded by (seed, e) and dropout by (seed, global step), so a position (epoch, batch) plus the
 * tensors is all a resumed run needs to end with the same bits.
 */
public final class Trainer {
    private final Backend backend;
    private final TrainConfig config;
    private final StepHook stepHook;
    private final TrainingLoss loss;
    private Checkpointing checkpoints;
    private boolean prefetch = true;

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

    /**
     * The same trainer writing checkpoints as {@code checkpoints} says, and continuing from its checkpoint when it
     * resumes one; the weights at the end are bit for bit those of an uninterrupted run on the same backend and
     * thread counts. {@code null}: none.
     */
    public Trainer withCheckpoints(Checkpointing checkpoints) {
        Trainer t = new Trainer(backend, config, stepHook, loss);
        t.checkpoints = checkpoints;
        t.prefetch = prefetch;
        return t;
    }

    /** The same trainer preparing each next batch on a background thread ({@link BatchPrefetch}, the default) or not; the same bits either way. */
    Trainer withPrefetch(boolean on) {
        Trainer t = withCheckpoints(checkpoints);
        t.prefetch = on;
        return t;
    }

    /** Trains {@code graph} in place; evaluates on {@code validation} after each epoch when it is not null. */
    public List<EpochStats> fit(Graph graph, Dataset train, Dataset validation, TrainListener listener) {
        Batches batches = Batches.of(train, config.batchSize()).shuffled(config.seed());
        int stepsPerEpoch = batches.batchCount();
        long totalSteps = (long) stepsPerEpoch * config.epochs();
        List<EpochStats> history = new ArrayList<>();
        long globalStep = 0;
        int firstEpoch = 0;
        int firstStep = 0;
        double resumedLossSum = 0;
        int resumedSeen = 0;
        try (Optimizer opt = config.optimizer().create()) {
            TrainingState state = new TrainingState(graph, loss.extraParameters(), opt, stepHook);
            if (checkpoints != null) {
                checkpoints.claim();
                Checkpoint c = checkpoints.resumed();
                if (c != null) {
                    restore(c, state, stepsPerEpoch);
                    history.addAll(c.history());
                    firstEpoch = c.epoch();
                    firstStep = c.step();
                    globalStep = c.globalStep();
                    resumedLossSum = c.epochLossSum();
                    resumedSeen = c.epochSeen();
                }
            }
            for (int epoch = firstEpoch; epoch < config.epochs(); epoch++) {
                listener.epochStarted(epoch, config.epochs(), stepsPerEpoch);
                long start = System.nanoTime();
                int step = epoch == firstEpoch ? firstStep : 0;
                double lossSum = epoch == firstEpoch ? resumedLossSum : 0;
                int seen = epoch == firstEpoch ? resumedSeen : 0;
                int seenHere = 0; // images trained in this process, for the rate
                float lr = config.optimizer().lr();
                try (BatchPrefetch batchesAhead = new BatchPrefetch(backend, batches.epoch(epoch, step), prefetch)) {
                    while (batchesAhead.hasNext()) {
                        lr = config.schedule().lr(config.optimizer().lr(), globalStep, totalSteps, stepsPerEpoch);
                        Batch b;
                        float loss;
                        try (BatchPrefetch.Prepared p = batchesAhead.next()) {
                            b = p.batch();
                            loss = trainStep(graph, b, p.images(), opt, lr, config.seed() * 1_000_003L + globalStep);
                        }
                        if (!Float.isFinite(loss)) {
                            throw new TrainingDivergedException("loss became " + loss + " at epoch " + (epoch + 1) + ", step " + (step + 1)
                                    + " (learning rate " + lr + "); try a smaller learning rate");
                        }
                        lossSum += (double) loss * b.size();
                        seen += b.size();
                        seenHere += b.size();
                        globalStep++;
                        listener.stepDone(++step, (float) (lossSum / seen), seenHere / ((System.nanoTime() - start) / 1e9));
                        if (checkpoints != null && step < stepsPerEpoch && checkpoints.dueAfter(globalStep)) {
                            checkpoint(state, stepsPerEpoch, epoch, step, globalStep, lossSum, seen, history);
                        }
                    }
                }
                double secs = (System.nanoTime() - start) / 1e9;
                EvalResult eval = validation == null ? null : new Evaluator(backend, 256).evaluate(graph, validation);
                EpochStats stats = new EpochStats(epoch + 1, (float) (lossSum / seen), seenHere / secs, secs, lr, eval);
                history.add(stats);
                if (checkpoints != null) checkpoint(state, stepsPerEpoch, epoch + 1, 0, globalStep, 0, 0, history);
                listener.epochDone(stats);
            }
        }
        return history;
    }

    /** Writes the state after {@code step} batches of {@code epoch} (the epoch's next batch is number {@code step}). */
    private void checkpoint(TrainingState state, int stepsPerEpoch, int epoch, int step, long globalStep, double lossSum, int seen,
                            List<EpochStats> history) {
        checkpoints.write(new Checkpoint(config.epochs(), stepsPerEpoch, epoch, step, globalStep, lossSum, seen, history, checkpoints.config(),
                environment(), state.capture()));
    }

    /** Restores {@code c} into this run after checking it belongs to it; errors name the checkpoint file. */
    private void restore(Checkpoint c, TrainingState state, int stepsPerEpoch) {
        Path file = CheckpointFile.path(checkpoints.dir());
        if (c.epochs() != config.epochs() || c.stepsPerEpoch() != stepsPerEpoch) {
            throw new ModelFormatException(file + ": checkpoint of a run of " + c.epochs() + " epochs x " + c.stepsPerEpoch()
                    + " steps, this run has " + config.epochs() + " x " + stepsPerEpoch);
        }
        try {
            state.restore(c.tensors());
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file + ": checkpoint does not fit this run: " + e.getMessage(), e);
        }
        if (!c.environment().equals(environment())) {
            checkpoints.note("the checkpoint was made on " + c.environment() + "; resuming on " + environment()
                    + ": the result may differ in the last bits from an uninterrupted run (sums split differently)");
        }
    }

    /** What besides the configuration decides the bits of the result: backend and its thread counts. */
    private String environment() { return backend.name() + " (" + backend.describe() + ")"; }

    /** One forward, backward and update; returns the batch's mean loss. */
    public float trainStep(Graph graph, Batch b, Optimizer opt, float lr, long seed) {
        try (Tensor x = backend.fromFloats(b.images(), Shape.of(b.size(), b.channels(), b.height(), b.width()))) {
            return trainStep(graph, b, x, opt, lr, seed);
        }
    }

    /** {@link #trainStep(Graph, Batch, Optimizer, float, long)} on {@code x}, the batch's images as a tensor (the caller's). */
    private float trainStep(Graph graph, Batch b, Tensor x, Optimizer opt, float lr, long seed) {
        float stepLoss;
        try (StepHook.Step step = stepHook.begin(graph);
             GraphRunner run = new GraphRunner(Logits.of(step.graph()), backend, true, seed)) { // a final Softmax is not trained through (Logits)
            Tensor logits = run.forward(x, step.hook());
            try (TrainingLoss.Terms l = loss.compute(backend, run, logits, b)) {
                run.backward(l.gradLogits(), l.backwardHook(step.hook()));
                stepLoss = l.loss();
            }
            step.afterBackward();
        }
        List<Parameter> params = new TrainingState(graph, loss.extraParameters(), opt, stepHook).updated();
        opt.step(params, lr);
        for (Parameter p : params) p.clearGrad();
        stepHook.afterUpdate(graph);
        return stepLoss;
    }
}

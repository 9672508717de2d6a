package dev.nncompress.compress.prune;

import dev.nncompress.backend.Backend;
import dev.nncompress.data.Batches;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.io.TensorRecord;
import dev.nncompress.tensor.NmPattern;
import dev.nncompress.train.Checkpointing;
import dev.nncompress.train.StateTensors;
import dev.nncompress.train.EvalResult;
import dev.nncompress.train.Evaluator;
import dev.nncompress.train.StepHook;
import dev.nncompress.train.TrainConfig;
import dev.nncompress.train.TrainListener;
import dev.nncompress.train.Trainer;
import dev.nncompress.util.ProgressListener;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Unstructured pruning of a graph in place: score ({@link ImportanceCriterion}), select masks
 * ({@link MaskSelection}), zero, and fine-tune with the masks held ({@link MaskingStepHook}), on the schedule
 * of the {@link PruneConfig}. Every stage is evaluated on {@code test} when it is not null.
 */
public final class UnstructuredPruner {
    private final Backend backend;
    private final PruneConfig config;
    private Checkpointing checkpoints;
    private ProgressListener progress = ProgressListener.NONE;

    public UnstructuredPruner(Backend backend, PruneConfig config) {
        this.backend = backend;
        this.config = config;
    }

    /**
     * The same pruner checkpointing its fine-tuning ({@link Trainer#withCheckpoints}): the masks and the cubic
     * schedule's step go into the checkpoint with the weights. One fine-tuning run only, so not the iterative
     * schedule (k runs, whose masks depend on the weights between them); null: none.
     */
    public UnstructuredPruner withCheckpoints(Checkpointing checkpoints) {
        if (checkpoints != null && config.schedule() == PruneSchedule.ITERATIVE && config.rounds() > 1) {
            throw new IllegalArgumentException("checkpoints cover one fine-tuning run; the iterative schedule runs " + config.rounds()
                    + " (use --prune-schedule oneshot or cubic to checkpoint)");
        }
        UnstructuredPruner p = new UnstructuredPruner(backend, config);
        p.checkpoints = checkpoints;
        p.progress = progress;
        return p;
    }

    /** The same pruner reporting its rounds (iterative schedule) as a task; fine-tuning reports through its TrainListener. */
    public UnstructuredPruner withProgress(ProgressListener progress) {
        UnstructuredPruner p = new UnstructuredPruner(backend, config);
        p.checkpoints = checkpoints;
        p.progress = progress;
        return p;
    }

    public PruneResult prune(Graph graph, PruneTargets targets, Dataset train, Dataset test, TrainListener listener) {
        return switch (config.schedule()) {
            case ONESHOT -> rounds(graph, targets, train, test, listener, new double[] {config.sparsity()});
            case ITERATIVE -> rounds(graph, targets, train, test, listener, SparsitySchedules.iterative(config.sparsity(), config.rounds()));
            case CUBIC -> gradual(graph, targets, train, test, listener);
        };
    }

    /** Prune -> fine-tune per target; round r fine-tunes on the r-th of k equal slices of {@code train}. */
    private PruneResult rounds(Graph graph, PruneTargets targets, Dataset train, Dataset test, TrainListener listener, double[] sparsities) {
        List<PruneResult.Stage> stages = new ArrayList<>();
        int k = sparsities.length;
        PruneMasks masks = null;
        MaskingStepHook hook = null;
        // one round needs no task of its own: its fine-tuning epochs are the progress
        try (ProgressListener.Task task = k == 1 ? ProgressListener.Task.NONE : progress.start("prune", k, "rounds")) {
            for (int r = 0; r < k; r++) {
                task.update(r, String.format(Locale.ROOT, "round %d/%d sparsity %.3f", r + 1, k, sparsities[r]));
                masks = select(graph, targets, sparsities[r], masks);
                if (hook == null) hook = new MaskingStepHook(backend, graph, masks);
                else hook.update(masks);
                String round = k == 1 ? "" : String.format(Locale.ROOT, "round %d/%d ", r + 1, k);
                stages.add(new PruneResult.Stage(round + "pruned, before fine-tuning", masks.sparsity(), evaluate(graph, test)));
                if (config.finetune() != null) {
                    Dataset part = train.slice((int) ((long) train.count() * r / k), (int) ((long) train.count() * (r + 1) / k));
                    if (part.count() == 0) throw new IllegalArgumentException(k + " rounds need at least " + k + " training images, got " + train.count());
                    trainer(config.finetune(), hook).fit(graph, part, null, listener);
                    stages.add(new PruneResult.Stage(round + "after fine-tuning", masks.sparsity(), evaluate(graph, test)));
                }
            }
            task.update(k);
        } finally {
            if (hook != null) hook.close();
        }
        return new PruneResult(masks, stages);
    }

    /** Masks at {@code sparsity}, or the config's N:M pattern (one-shot only, so {@code previous} is null then). */
    private PruneMasks select(Graph graph, PruneTargets targets, double sparsity, PruneMasks previous) {
        Map<String, float[]> scores = config.criterion().scores(graph, targets);
        if (config.nm() == null) return MaskSelection.select(scores, sparsity, config.scope(), previous);
        Map<String, Integer> rows = new java.util.LinkedHashMap<>();
        for (String w : targets.weights()) rows.put(w, NmPattern.rowLength(graph.param(w).value().shape().dimsLong()));
        return MaskSelection.selectNm(scores, rows, config.nm());
    }

    /** Cubic gradual pruning while fine-tuning: masks updated every {@code updateEvery} steps until the ramp ends. */
    private PruneResult gradual(Graph graph, PruneTargets targets, Dataset train, Dataset test, TrainListener listener) {
        TrainConfig ft = config.finetune();
        long totalSteps = (long) Batches.of(train, ft.batchSize()).batchCount() * ft.epochs();
        long ramp = Math.max(1, (long) Math.floor(config.rampFraction() * totalSteps));
        PruneMasks none = MaskSelection.select(config.criterion().scores(graph, targets), 0, config.scope());
        try (MaskingStepHook masking = new MaskingStepHook(backend, graph, none)) {
            StepHook cubic = new StepHook() {
                private long step;

                @Override
                public Step begin(Graph trained) {
                    if (step <= ramp && (step % config.updateEvery() == 0 || step == ramp)) {
                        double s = SparsitySchedules.cubic(0, config.sparsity(), step, ramp);
                        masking.update(MaskSelection.select(config.criterion().scores(trained, targets), s, config.scope(), masking.masks()));
                    }
                    step++;
                    return masking.begin(trained);
                }

                @Override public void afterUpdate(Graph trained) { masking.afterUpdate(trained); }

                @Override
                public Map<String, TensorRecord> checkpointState() {
                    Map<String, TensorRecord> out = new LinkedHashMap<>(masking.checkpointState());
                    out.put("cubic_step", StateTensors.scalar(step));
                    return out;
                }

                @Override
                public void restoreCheckpointState(StateTensors state) {
                    step = state.scalar("cubic_step", 0, totalSteps);
                    masking.restoreCheckpointState(state);
                }
            };
            trainer(ft, cubic).fit(graph, train, null, listener);
            if (ramp >= totalSteps) { // the update due at step `ramp` had no step left to run in: reach the target now
                masking.update(MaskSelection.select(config.criterion().scores(graph, targets), config.sparsity(), config.scope(), masking.masks()));
            }
            PruneMasks finalMasks = masking.masks();
            EvalResult after = evaluate(graph, test);
            return new PruneResult(finalMasks, List.of(new PruneResult.Stage(
                    String.format(Locale.ROOT, "cubic over %d of %d steps, masks every %d, after fine-tuning", ramp, totalSteps, config.updateEvery()),
                    finalMasks.sparsity(), after)));
        }
    }

    private Trainer trainer(TrainConfig ft, StepHook hook) { return new Trainer(backend, ft, hook).withCheckpoints(checkpoints); }

    private EvalResult evaluate(Graph graph, Dataset test) {
        return test == null ? null : new Evaluator(backend, 256).evaluate(graph, test);
    }

    /** Fraction of zeros per target weight as it is in the graph now (what the file will hold). */
    public static Map<String, Double> measuredSparsity(Graph graph, PruneTargets targets) {
        Map<String, Double> out = new java.util.LinkedHashMap<>();
        for (String w : targets.weights()) {
            float[] v = graph.param(w).value().toFloatArray();
            int z = 0;
            for (float f : v) if (f == 0f) z++;
            out.put(w, (double) z / v.length);
        }
        return out;
    }
}

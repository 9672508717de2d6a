package dev.nncompress.compress;

import dev.nncompress.backend.Backend;
import dev.nncompress.compress.prune.ActivationCriterion;
import dev.nncompress.compress.prune.Calibration;
import dev.nncompress.compress.prune.ImportanceCriterion;
import dev.nncompress.compress.prune.MagnitudeCriterion;
import dev.nncompress.compress.prune.PruneConfig;
import dev.nncompress.compress.prune.PruneSchedule;
import dev.nncompress.compress.prune.PruneScope;
import dev.nncompress.compress.prune.PruneTargets;
import dev.nncompress.compress.prune.TaylorCriterion;
import dev.nncompress.util.RequestSpelling;
import dev.nncompress.compress.prune.structured.FilterCriterion;
import dev.nncompress.compress.prune.structured.GradualStructuredPruner;
import dev.nncompress.compress.prune.structured.StructuredPruneConfig;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.tensor.NmPattern;
import dev.nncompress.train.LrSchedule;
import dev.nncompress.train.OptimizerConfig;
import dev.nncompress.train.TrainConfig;

import java.util.List;
import java.util.Locale;

/**
 * What a user asks of pruning, whichever front end they use: {@code nncompress prune}'s options and a recipe's
 * {@code stage: prune} keys are both mapped onto these fields and checked by {@link #validate}, the one copy of the
 * mode rules (taylor is not a channel ranking, a ramp needs the cubic schedule, N:M fixes the sparsity, ...), so
 * that the two cannot drift apart. The recipe key of each setting is its {@link Field}'s lower-case name; the
 * command's Java field bound to the option is its camelCase ({@link RequestSpelling#camel}).
 *
 * <p>{@code scope}, {@code sparsity}, {@code nm}, {@code linearSparsity}, {@code bnRecalibrate}, {@code ramp} and
 * {@code channelScore}, {@code channelAllocation} are null when not given (their defaults depend on the mode).
 */
public record PruneRequest(Method method, Scope scope, Double sparsity, String nm, boolean structured, Double linearSparsity, Integer bnRecalibrate,
                           Schedule schedule, int rounds, int updateEvery, Double ramp, String channelScore, ChannelAllocation channelAllocation,
                           int finetuneEpochs, double lr,
                           FineTuneOptimizer optimizer, double weightDecay, String lrSchedule, int batchSize, List<String> layers, int calib) {

    public enum Method { magnitude, activation, taylor }

    public enum Scope { global, layer }

    public enum Schedule { oneshot, iterative, cubic }

    public enum FineTuneOptimizer { sgd, adamw }

    /**
     * How gradual structured pruning shares the channels to remove among the channel groups: each group its
     * sparsity (uniform), or by score over the whole network (global; banded also caps each group), docs/pruning.md.
     */
    public enum ChannelAllocation {
        uniform(GradualStructuredPruner.Allocation.PER_GROUP), global(GradualStructuredPruner.Allocation.GLOBAL),
        banded(GradualStructuredPruner.Allocation.BANDED);

        private final GradualStructuredPruner.Allocation allocation;

        ChannelAllocation(GradualStructuredPruner.Allocation allocation) { this.allocation = allocation; }
    }

    /** Every setting; {@code key(f)} is its recipe key. */
    public enum Field {
        METHOD, SCOPE, SPARSITY, NM, STRUCTURED, LINEAR_SPARSITY, BN_RECALIBRATE, SCHEDULE, ROUNDS, UPDATE_EVERY, RAMP, CHANNEL_SCORE,
        CHANNEL_ALLOCATION, FINETUNE_EPOCHS, LR, OPTIMIZER, WEIGHT_DECAY, LR_SCHEDULE, BATCH_SIZE, LAYERS, CALIB
    }

    /** Channel rankings of structured magnitude pruning (--channel-score, channel_score). */
    public static final List<String> CHANNEL_SCORES = List.of("l1", "group-l2", "bn-gamma", "taylor");

    /**
     * Images of bn_recalibrate's default: a few hundred milliseconds of forwards (EagleEye uses a few thousand
     * at most). On by default because it costs little and is what finetune_epochs 0 gets; fine-tuning itself
     * normalises with batch statistics and replaces the running ones within ~50 steps, so the fine-tuned model is
     * the same (MobileNetV2 50%: 85.91% with and without, docs/pruning.md).
     */
    public static final int DEFAULT_BN_RECALIBRATE = 1024;

    /** The ramp of unstructured cubic pruning (Zhu &amp; Gupta 2017 ramp over most of training). */
    public static final double DEFAULT_RAMP = 0.75;

    /** The ramp of gradual structured pruning: see docs/pruning.md (MobileNetV2 50%, one epoch). */
    public static final double DEFAULT_STRUCTURED_RAMP = 0.3;

    /** The channel score of gradual structured pruning: see docs/pruning.md. */
    public static final String DEFAULT_GRADUAL_SCORE = "taylor";

    public PruneRequest {
        layers = layers == null ? List.of() : List.copyOf(layers);
    }

    /**
     * Checks the settings against each other and their ranges, before any model or image is read; the first
     * problem is thrown through {@code sp}, naming the field as the user spells it. Sparsity or N:M is required.
     */
    public NmPattern validate(RequestSpelling<Field> sp) {
        NmPattern pattern = validateExceptTarget(sp);
        if (nm == null && sparsity == null) throw sp.error(Field.SPARSITY, "is required (a fraction in [0, 1)), or give " + sp.set(Field.NM, "N:M"));
        return pattern;
    }

    /**
     * {@link #validate} without requiring a sparsity or N:M, for a front end with a mode that chooses its own levels
     * (the command's --sensitivity scan). Returns the N:M pattern, or null.
     */
    public NmPattern validateExceptTarget(RequestSpelling<Field> sp) {
        if (structured && method == Method.taylor) {
            throw sp.error(Field.STRUCTURED, "ranks filters by magnitude (L1) or activation (APoZ); taylor is for single weights (channels: "
                    + sp.set(Field.CHANNEL_SCORE, "taylor") + " with " + sp.name(Field.SCHEDULE) + " cubic or iterative)");
        }
        if (structured && schedule != Schedule.oneshot && finetuneEpochs == 0) {
            throw sp.error(Field.STRUCTURED, sp.set(Field.SCHEDULE, schedule.name()) + " masks channels during fine-tuning; it needs "
                    + sp.name(Field.FINETUNE_EPOCHS) + " >= 1");
        }
        if (ramp != null) {
            if (!(ramp > 0 && ramp <= 1)) throw sp.error(Field.RAMP, "must be in (0, 1], got " + ramp);
            if (schedule != Schedule.cubic) throw sp.error(Field.RAMP, "shapes the cubic schedule; add " + sp.set(Field.SCHEDULE, "cubic"));
        }
        if (channelScore != null) {
            if (!structured || method != Method.magnitude) {
                throw sp.error(Field.CHANNEL_SCORE, "ranks channels for " + sp.set(Field.STRUCTURED, "true") + " " + sp.set(Field.METHOD, "magnitude"));
            }
            if (!CHANNEL_SCORES.contains(channelScore)) throw sp.error(Field.CHANNEL_SCORE, "must be l1, group-l2, bn-gamma or taylor, got '" + channelScore + "'");
            if (channelScore.equals("taylor") && schedule == Schedule.oneshot) {
                throw sp.error(Field.CHANNEL_SCORE, "taylor reads training gradients; use it with " + sp.name(Field.SCHEDULE) + " cubic or iterative");
            }
        }
        if (channelAllocation != null && !gradual()) {
            throw sp.error(Field.CHANNEL_ALLOCATION, "shares gradual structured pruning's channels among groups; use it with "
                    + sp.set(Field.STRUCTURED, "true") + " and " + sp.name(Field.SCHEDULE) + " cubic or iterative");
        }
        NmPattern pattern = nm == null ? null : checkNm(sp);
        if (sparsity != null) sp.range(Field.SPARSITY, sparsity, 0, 1, false);
        if (bnRecalibrate != null) {
            if (!structured) throw sp.error(Field.BN_RECALIBRATE, "re-estimates batch norms after " + sp.set(Field.STRUCTURED, "true")
                    + " pruning; add " + sp.set(Field.STRUCTURED, "true"));
            if (bnRecalibrate < 0) throw sp.error(Field.BN_RECALIBRATE, "must be >= 0 (0 disables), got " + bnRecalibrate);
        }
        if (linearSparsity != null) {
            if (!structured) throw sp.error(Field.LINEAR_SPARSITY, "sets the neurons removed by " + sp.set(Field.STRUCTURED, "true")
                    + "; add " + sp.set(Field.STRUCTURED, "true"));
            sp.range(Field.LINEAR_SPARSITY, linearSparsity, 0, 1, false);
        }
        sp.positive(Field.ROUNDS, rounds);
        sp.positive(Field.UPDATE_EVERY, updateEvery);
        sp.nonNegative(Field.FINETUNE_EPOCHS, finetuneEpochs);
        if (schedule == Schedule.cubic && finetuneEpochs == 0) {
            throw sp.error(Field.SCHEDULE, "cubic prunes during fine-tuning; it needs " + sp.name(Field.FINETUNE_EPOCHS) + " >= 1");
        }
        sp.positive(Field.CALIB, calib);
        sp.positive(Field.LR, lr);
        sp.range(Field.WEIGHT_DECAY, weightDecay, 0, 1, true);
        lrSchedule(sp);
        sp.positive(Field.BATCH_SIZE, batchSize);
        return pattern;
    }

    private NmPattern checkNm(RequestSpelling<Field> sp) {
        if (structured) throw sp.error(Field.NM, "prunes single weights in groups; it does not combine with " + sp.set(Field.STRUCTURED, "true"));
        if (sparsity != null) throw sp.error(Field.NM, nm + " fixes the sparsity; drop " + sp.name(Field.SPARSITY));
        if (schedule != Schedule.oneshot) {
            throw sp.error(Field.NM, "prunes once then fine-tunes; " + sp.set(Field.SCHEDULE, schedule.name()) + " is for " + sp.name(Field.SPARSITY));
        }
        if (scope != null) throw sp.error(Field.NM, "ranks within each group of M; " + sp.name(Field.SCOPE) + " does not apply");
        try {
            return NmPattern.parse(nm);
        } catch (IllegalArgumentException e) {
            throw sp.invalid(Field.NM, e.getMessage());
        }
    }

    /** The fine-tuning LR schedule (the pruning schedule is {@code schedule}); a bad spec is thrown through {@code sp}. */
    public LrSchedule lrSchedule(RequestSpelling<Field> sp) {
        try {
            return LrSchedule.parse(lrSchedule);
        } catch (IllegalArgumentException e) {
            throw sp.invalid(Field.LR_SCHEDULE, e.getMessage());
        }
    }

    /** The layers pruned in {@code g}; an unknown name is thrown through {@code sp}. */
    public PruneTargets targets(Graph g, RequestSpelling<Field> sp) {
        try {
            return PruneTargets.of(g, layers);
        } catch (IllegalArgumentException e) {
            throw sp.invalid(Field.LAYERS, e.getMessage());
        }
    }

    /** The same request at another sparsity (the accuracy budget's bisection). */
    public PruneRequest withSparsity(double s) {
        return new PruneRequest(method, scope, s, nm, structured, linearSparsity, bnRecalibrate, schedule, rounds, updateEvery, ramp, channelScore,
                channelAllocation, finetuneEpochs, lr, optimizer, weightDecay, lrSchedule, batchSize, layers, calib);
    }

    // ---- what the settings mean, for every front end (call after validate) ----

    public Scope effectiveScope() { return scope == null ? Scope.global : scope; }

    /** Structured pruning that masks channels while fine-tuning (cubic or iterative) and cuts them out at the end. */
    public boolean gradual() { return structured && schedule != Schedule.oneshot; }

    public int bnImages() { return bnRecalibrate == null ? DEFAULT_BN_RECALIBRATE : bnRecalibrate; }

    /** The fine-tuning optimiser: SGD with momentum 0.9 (weight decay as L2), or AdamW (decoupled). */
    public OptimizerConfig fineTuneOptimizer() {
        return optimizer == FineTuneOptimizer.adamw ? OptimizerConfig.Adam.adamW((float) lr, (float) weightDecay)
                : new OptimizerConfig.Sgd((float) lr, 0.9f, (float) weightDecay, false);
    }

    /** Fine-tuning's configuration with {@code seed} (data order), or null with finetune epochs 0. */
    public TrainConfig fineTuning(long seed) {
        return finetuneEpochs == 0 ? null : new TrainConfig(finetuneEpochs, batchSize, fineTuneOptimizer(), LrSchedule.parse(lrSchedule), seed);
    }

    /** The weight importance of unstructured and N:M pruning; activation and taylor read the first {@code calib} training images. */
    public ImportanceCriterion criterion(Dataset train, Backend backend) {
        return switch (method) {
            case magnitude -> new MagnitudeCriterion();
            case activation -> new ActivationCriterion(calibration(train, backend));
            case taylor -> new TaylorCriterion(calibration(train, backend));
        };
    }

    private Calibration calibration(Dataset train, Backend backend) {
        return new Calibration(train.slice(0, Math.min(calib, train.count())), 128, backend);
    }

    /** Unstructured (threshold or N:M) pruning's configuration at {@code s} (ignored with N:M). */
    public PruneConfig unstructuredConfig(ImportanceCriterion criterion, double s, TrainConfig finetune) {
        if (nm != null) return PruneConfig.nm(criterion, NmPattern.parse(nm), finetune);
        return new PruneConfig(criterion, effectiveScope() == Scope.global ? PruneScope.GLOBAL : PruneScope.LAYER, s,
                PruneSchedule.valueOf(schedule.name().toUpperCase(Locale.ROOT)), rounds, updateEvery, ramp == null ? DEFAULT_RAMP : ramp, finetune);
    }

    /** Structured pruning's configuration at {@code s}, keeping whole the layers outside {@code layers}. */
    public StructuredPruneConfig structuredConfig(double s, Graph dense, PruneTargets targets) {
        return StructuredPruneConfig.of(s).withLinearSparsity(linearSparsity).withExclude(targets.untargeted(dense));
    }

    /** The channel ranking of structured pruning: APoZ on {@code calib} images, or the channel score (default by schedule). */
    public FilterCriterion channelCriterion(Dataset train, Backend backend) {
        if (method == Method.activation) return FilterCriterion.apoz(backend, train.slice(0, Math.min(calib, train.count())).images(), 128);
        return channelCriterion(channelScore != null ? channelScore : gradual() ? DEFAULT_GRADUAL_SCORE : "l1");
    }

    /** The criterion of a channel score name (one of {@link #CHANNEL_SCORES}). */
    public static FilterCriterion channelCriterion(String name) {
        return switch (name) {
            case "l1" -> FilterCriterion.l1();
            case "group-l2" -> FilterCriterion.groupL2();
            case "bn-gamma" -> FilterCriterion.bnGamma();
            case "taylor" -> FilterCriterion.taylor();
            default -> throw new IllegalArgumentException("channel score must be l1, group-l2, bn-gamma or taylor, got '" + name + "'");
        };
    }

    /** Gradual structured pruning's allocation of the channels to remove (uniform when not given). */
    public GradualStructuredPruner.Allocation allocation() {
        return (channelAllocation == null ? ChannelAllocation.uniform : channelAllocation).allocation;
    }

    /** The plan of gradual structured pruning over {@code totalSteps} fine-tuning steps. */
    public GradualStructuredPruner.Plan gradualPlan(long totalSteps) {
        double rampFraction = ramp != null ? ramp : DEFAULT_STRUCTURED_RAMP;
        return new GradualStructuredPruner.Plan(schedule == Schedule.cubic ? GradualStructuredPruner.Schedule.CUBIC : GradualStructuredPruner.Schedule.ITERATIVE,
                totalSteps, Math.max(1, (long) Math.floor(rampFraction * totalSteps)), updateEvery, rounds);
    }
}

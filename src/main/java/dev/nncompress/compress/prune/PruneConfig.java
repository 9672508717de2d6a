package dev.nncompress.compress.prune;

import dev.nncompress.tensor.NmPattern;
import dev.nncompress.train.TrainConfig;

/**
 * One unstructured pruning run.
 *
 * @param sparsity     target fraction of pruned target weights, in [0, 1)
 * @param rounds       rounds of {@link PruneSchedule#ITERATIVE} (ignored otherwise)
 * @param updateEvery  steps between mask updates of {@link PruneSchedule#CUBIC} (ignored otherwise)
 * @param rampFraction fraction of the fine-tuning steps over which {@link PruneSchedule#CUBIC} ramps from 0 to the
 *                     target; the rest trains at the target sparsity to recover
 * @param finetune     fine-tuning, or null for none (not allowed with CUBIC, which prunes while training)
 * @param nm           N:M masks instead of a sparsity threshold, or null; the pattern fixes the sparsity (which must be
 *                     its nominal 1 - N/M) and works per group, so scope plays no part; one-shot only
 */
public record PruneConfig(ImportanceCriterion criterion, PruneScope scope, double sparsity, PruneSchedule schedule,
                          int rounds, int updateEvery, double rampFraction, TrainConfig finetune, NmPattern nm) {
    public PruneConfig {
        if (criterion == null || scope == null || schedule == null) throw new IllegalArgumentException("criterion, scope and schedule must be set");
        MaskSelection.checkSparsity(sparsity);
        if (rounds < 1) throw new IllegalArgumentException("rounds must be >= 1, got " + rounds);
        if (updateEvery < 1) throw new IllegalArgumentException("mask update interval must be >= 1 step, got " + updateEvery);
        if (!(rampFraction > 0 && rampFraction <= 1)) throw new IllegalArgumentException("ramp fraction must be in (0, 1], got " + rampFraction);
        if (schedule == PruneSchedule.CUBIC && finetune == null) {
            throw new IllegalArgumentException("the cubic schedule prunes during fine-tuning; it needs at least 1 fine-tuning epoch");
        }
        if (nm != null && schedule != PruneSchedule.ONESHOT) throw new IllegalArgumentException("N:M pruning is one-shot; schedule " + schedule + " is for a sparsity threshold");
        if (nm != null && sparsity != nm.nominalSparsity()) {
            throw new IllegalArgumentException("N:M " + nm + " fixes the sparsity at " + nm.nominalSparsity() + ", got " + sparsity);
        }
    }

    /** A threshold run (no N:M pattern). */
    public PruneConfig(ImportanceCriterion criterion, PruneScope scope, double sparsity, PruneSchedule schedule,
                       int rounds, int updateEvery, double rampFraction, TrainConfig finetune) {
        this(criterion, scope, sparsity, schedule, rounds, updateEvery, rampFraction, finetune, null);
    }

    /** One-shot N:M pruning of every group, then the given fine-tuning (or none) with the masks held. */
    public static PruneConfig nm(ImportanceCriterion criterion, NmPattern pattern, TrainConfig finetune) {
        return new PruneConfig(criterion, PruneScope.LAYER, pattern.nominalSparsity(), PruneSchedule.ONESHOT, 1, 1, 1, finetune, pattern);
    }

    /** One-shot pruning with the given fine-tuning (or none). */
    public static PruneConfig oneShot(ImportanceCriterion criterion, PruneScope scope, double sparsity, TrainConfig finetune) {
        return new PruneConfig(criterion, scope, sparsity, PruneSchedule.ONESHOT, 1, 1, 1, finetune);
    }
}

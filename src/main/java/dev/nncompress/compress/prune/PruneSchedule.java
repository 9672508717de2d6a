package dev.nncompress.compress.prune;

/** When masks are chosen relative to fine-tuning. */
public enum PruneSchedule {
    /** Prune once to the target, then fine-tune. */
    ONESHOT,
    /** k rounds of prune -> fine-tune, each round on its own 1/k of the training images (same total budget as one-shot). */
    ITERATIVE,
    /** Gradual pruning during fine-tuning on the cubic schedule ({@link SparsitySchedules#cubic}). */
    CUBIC
}

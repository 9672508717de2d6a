package dev.nncompress.compress.prune;

/** Where the pruning threshold is taken. */
public enum PruneScope {
    /** One threshold over all target weights together: layers lose different fractions. */
    GLOBAL,
    /** One threshold per layer: every target layer loses the same fraction. */
    LAYER
}

package dev.nncompress.compress.prune;

import dev.nncompress.train.EvalResult;

import java.util.List;

/** What a pruning run did: the final masks and the accuracy after each stage. */
public record PruneResult(PruneMasks masks, List<Stage> stages) {
    public PruneResult {
        stages = List.copyOf(stages);
    }

    /** One evaluated point: e.g. "round 2/3 pruned to 78.46%" with its sparsity and test result (null when not evaluated). */
    public record Stage(String label, double sparsity, EvalResult eval) {}
}

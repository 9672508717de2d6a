package dev.nncompress.compress.prune;

import dev.nncompress.graph.Graph;

import java.util.Map;

/**
 * How important each weight is: a non-negative, finite score per element of every target weight (same
 * row-major order as the weight), higher = keep. Criteria only score; {@link MaskSelection} turns scores into
 * masks, so every criterion works with every scope and schedule. A weight that is already zero scores 0 under
 * every criterion here, so re-scoring during a schedule keeps pruned weights pruned.
 */
public interface ImportanceCriterion {
    /** Short name, as on the command line ({@code magnitude}, {@code activation}, {@code taylor}). */
    String name();

    /** Scores keyed by weight parameter name ({@link PruneTargets#weights()}); reads the graph, never changes it. */
    Map<String, float[]> scores(Graph graph, PruneTargets targets);
}

package dev.nncompress.compress.prune.structured;

import dev.nncompress.graph.Graph;

/** The smaller dense graph (fresh parameters; the input graph is untouched) and what was removed. */
public record StructuredPruneResult(Graph pruned, StructuredPruneReport report) {}

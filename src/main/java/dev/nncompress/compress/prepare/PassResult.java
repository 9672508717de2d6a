package dev.nncompress.compress.prepare;

import dev.nncompress.graph.Graph;

import java.util.List;

/** What one graph pass returns: the new graph (the input graph is never modified) and what it did. */
public record PassResult(Graph graph, List<Merge> merged, List<Skip> skipped) {
    public PassResult {
        merged = List.copyOf(merged);
        skipped = List.copyOf(skipped);
    }
}

package dev.nncompress.compress.prune;

import dev.nncompress.backend.Backend;
import dev.nncompress.data.Dataset;
import dev.nncompress.data.ToyDatasets;
import dev.nncompress.graph.Graph;
import dev.nncompress.models.GraphBuilder;
import dev.nncompress.tensor.Shape;


/** A tiny conv + linear graph and a learnable task for it (no dataset needed; fast on the reference backend). */
final class PruneFixtures {
    private PruneFixtures() {}

    /** conv(1->4, 3x3) + ReLU, 2x2 max-pool, flatten, linear 36 -> 3, on 1x6x6 images: 36 + 108 prunable weights. */
    static Graph tiny(Backend backend, long seed) {
        GraphBuilder b = new GraphBuilder("tiny", Shape.of(1, 6, 6), backend, seed);
        String x = b.maxPool("pool", b.relu("relu", b.conv("conv", Graph.INPUT, 4, 3, 1, 1, true)), 2);
        return b.build(b.linear("fc", b.flatten("flatten", x), 3));
    }

    /** conv(1->2, 3x3), flatten, linear 72 -> 3: no ReLU or max-pool, so the loss is smooth for finite differences. */
    static Graph smooth(Backend backend, long seed) {
        GraphBuilder b = new GraphBuilder("smooth", Shape.of(1, 6, 6), backend, seed);
        return b.build(b.linear("fc", b.flatten("flatten", b.conv("conv", Graph.INPUT, 2, 3, 1, 1, true)), 3));
    }

    /** The shared toy task ({@link ToyDatasets#columns}). */
    static Dataset columns(int n, long seed) { return ToyDatasets.columns(n, seed); }
}

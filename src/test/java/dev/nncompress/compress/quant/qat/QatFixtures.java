package dev.nncompress.compress.quant.qat;

import dev.nncompress.backend.Backend;
import dev.nncompress.compress.prepare.GraphPreparation;
import dev.nncompress.data.Dataset;
import dev.nncompress.data.ToyDatasets;
import dev.nncompress.graph.Graph;
import dev.nncompress.models.GraphBuilder;
import dev.nncompress.tensor.Shape;


/** A tiny prepared graph and a learnable task for it (no dataset needed, fast on the reference backend). */
public final class QatFixtures {
    private QatFixtures() {}

    /** conv(1->4, 3x3) + ReLU (fused), 2x2 max-pool, flatten, linear -> 3 classes, on 1x6x6 images. */
    public static Graph tinyPrepared(Backend backend, long seed) {
        GraphBuilder b = new GraphBuilder("tiny", Shape.of(1, 6, 6), backend, seed);
        String x = b.maxPool("pool", b.relu("relu", b.conv("conv", Graph.INPUT, 4, 3, 1, 1, true)), 2);
        Graph g = b.build(b.linear("fc", b.flatten("flatten", x), 3));
        Graph prepared = GraphPreparation.forInference(g).graph();
        for (var p : g.params().values()) p.value().close();
        return prepared;
    }

    /** The shared toy task ({@link ToyDatasets#columns}). */
    public static Dataset columns(int n, long seed) { return ToyDatasets.columns(n, seed); }
}

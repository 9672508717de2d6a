package dev.nncompress.compress.quant.qat;

import dev.nncompress.backend.Backend;
import dev.nncompress.compress.prepare.GraphPreparation;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.models.GraphBuilder;
import dev.nncompress.tensor.Shape;

import java.util.SplittableRandom;

/** A tiny prepared graph and a learnable task for it (no dataset needed, fast on the reference backend). */
final class QatFixtures {
    private QatFixtures() {}

    /** conv(1->4, 3x3) + ReLU (fused), 2x2 max-pool, flatten, linear -> 3 classes, on 1x6x6 images. */
    static Graph tinyPrepared(Backend backend, long seed) {
        GraphBuilder b = new GraphBuilder("tiny", Shape.of(1, 6, 6), backend, seed);
        String x = b.maxPool("pool", b.relu("relu", b.conv("conv", Graph.INPUT, 4, 3, 1, 1, true)), 2);
        Graph g = b.build(b.linear("fc", b.flatten("flatten", x), 3));
        Graph prepared = GraphPreparation.forInference(g).graph();
        for (var p : g.params().values()) p.value().close();
        return prepared;
    }

    /** n noise images 1x6x6; the label is the brightest of the three column pairs (a task the tiny graph can learn). */
    static Dataset columns(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] img = new float[n * 36];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            double[] sums = new double[3];
            for (int p = 0; p < 36; p++) {
                float v = (float) (r.nextDouble() * 2 - 1);
                img[i * 36 + p] = v;
                sums[(p % 6) / 2] += v;
            }
            int best = 0;
            for (int k = 1; k < 3; k++) if (sums[k] > sums[best]) best = k;
            labels[i] = best;
        }
        return new Dataset(img, labels, 1, 6, 6, 3);
    }
}

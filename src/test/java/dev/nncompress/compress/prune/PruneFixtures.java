package dev.nncompress.compress.prune;

import dev.nncompress.backend.Backend;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.models.GraphBuilder;
import dev.nncompress.tensor.Shape;

import java.util.SplittableRandom;

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

    /** n noise images 1x6x6; the label is the brightest of the three column pairs. */
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

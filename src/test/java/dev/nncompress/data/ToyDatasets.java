package dev.nncompress.data;

import java.util.SplittableRandom;

/** Generated datasets small graphs can learn in a few steps, shared by the training-level tests. */
public final class ToyDatasets {
    private ToyDatasets() {}

    /** n noise images 1x6x6 in [-1, 1); the label is the brightest of the three column pairs (3 classes). */
    public static Dataset columns(int n, long seed) {
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

package dev.nncompress.compress.quant;

import java.util.SplittableRandom;

/** Seeded synthetic distributions for the observer tests. */
final class Samples {
    private Samples() {}

    static float[] uniform(long seed, int n, double lo, double hi) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (lo + (hi - lo) * r.nextDouble());
        return x;
    }

    static float[] gaussian(long seed, int n, double sigma) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (sigma * r.nextGaussian());
        return x;
    }

    /** N(0, 1) with {@code outliers} values at +-{@code at} (alternating signs) spread through the array. */
    static float[] gaussianWithOutliers(long seed, int n, int outliers, float at) {
        float[] x = gaussian(seed, n, 1);
        for (int k = 0; k < outliers; k++) x[(int) ((long) k * n / outliers)] = k % 2 == 0 ? at : -at;
        return x;
    }

    /** Laplace(0, b) by inversion: -b sign(u) ln(1 - 2|u|), u uniform in (-1/2, 1/2). */
    static float[] laplace(long seed, int n, double b) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            double u = r.nextDouble() - 0.5;
            x[i] = (float) (-b * Math.signum(u) * Math.log(1 - 2 * Math.abs(u)));
        }
        return x;
    }

    static float[] slice(float[] x, int from, int to) { return java.util.Arrays.copyOfRange(x, from, to); }
}

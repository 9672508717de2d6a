package dev.nncompress.compress.quant;

import dev.nncompress.quant.QParams;
import dev.nncompress.quant.QRange;
import dev.nncompress.quant.QScheme;

/**
 * Chooses the clipping range that minimises the quantisation MSE of the observed distribution, as
 * evaluated on the histogram: every bin's count sits at the bin's centre c, and the error of a
 * candidate range is sum(count * (c - fakeQuantize(c))^2) with the very {@link QParams} that range would
 * give (clipping and rounding error together, through the kernels' fake-quantise twin).
 *
 * <p>Candidates are bin edges, the last one replaced by the observed extreme (so plain min/max is always
 * a candidate). Symmetric schemes search t over every edge of the |x| histogram, range [-t, t]
 * (O(bins^2), about 4M evaluations at 2048 bins); affine ones search (lo, hi) pairs of edges of the
 * signed histogram, each side thinned evenly to at most {@code gridPerSide} edges (ends kept). Ties go
 * to the narrower range. Same idea as torch's HistogramObserver (which minimises an L2 norm over the
 * histogram with a greedy search) and the "mse" calibrator of NVIDIA pytorch-quantization, here an
 * exhaustive search so that the result is the grid's optimum.
 */
public final class MseObserver extends HistogramObserver {
    public static final int DEFAULT_GRID_PER_SIDE = 128;

    private final int gridPerSide;

    public MseObserver(QScheme scheme, int bins, int gridPerSide) {
        super("mse", scheme, bins, scheme.symmetric());
        if (gridPerSide < 2) throw error("gridPerSide must be >= 2, got " + gridPerSide);
        this.gridPerSide = gridPerSide;
    }

    public MseObserver(QScheme scheme) { this(scheme, DEFAULT_BINS, DEFAULT_GRID_PER_SIDE); }

    @Override QRange clip(float observedMin, float observedMax) {
        Centers h = centers();
        int used = histogram.usedBins();
        long first = histogram.firstBin();
        double w = histogram.width();
        if (histogram.absolute()) {
            float maxAbs = Math.max(-observedMin, observedMax);
            double best = Double.POSITIVE_INFINITY;
            float bestT = maxAbs;
            for (int j = 1; j <= used; j++) {
                float t = Math.min((float) (j * w), maxAbs);
                double e = error(QParams.fromRange(scheme, -t, t), h);
                if (e < best) {
                    best = e;
                    bestT = t;
                }
            }
            return HistogramObserver.symmetricClip(bestT, observedMin, observedMax);
        }
        long[] lows = thinned(first, 0, gridPerSide);            // edges k*w with k in [first, 0]
        long[] highs = thinned(0, first + used, gridPerSide);   // edges up to the top of the last used bin
        double best = Double.POSITIVE_INFINITY;
        float bestLo = observedMin, bestHi = observedMax;
        for (int a = lows.length - 1; a >= 0; a--) {        // narrowest first, so ties keep the narrower range
            float lo = Math.max((float) (lows[a] * w), observedMin);
            for (long kh : highs) {
                float hi = Math.min((float) (kh * w), observedMax);
                if (hi < lo || (lo == 0 && hi == 0)) continue; // an all-positive tensor: edges below its minimum clamp above hi
                double e = error(QParams.fromRange(scheme, lo, hi), h);
                if (e < best) {
                    best = e;
                    bestLo = lo;
                    bestHi = hi;
                }
            }
        }
        return QRange.of(bestLo, bestHi);
    }

    /** The objective: weighted squared error of the bin centres under {@code p}. Package-private for tests. */
    static double error(QParams p, Centers h) {
        float[] y = p.fakeQuantize(h.values);
        double e = 0;
        for (int i = 0; i < y.length; i++) {
            double d = (double) h.values[i] - y[i];
            e += h.weights[i] * d * d;
        }
        return e;
    }

    /** Centres (as floats, what a quantiser would see) and counts of the non-empty bins. */
    record Centers(float[] values, double[] weights) {}

    Centers centers() {
        int n = 0;
        for (int i = 0; i < histogram.bins(); i++) if (histogram.count(i) > 0) n++;
        float[] v = new float[n];
        double[] c = new double[n];
        double w = histogram.width();
        for (int i = 0, j = 0; i < histogram.bins(); i++) {
            if (histogram.count(i) == 0) continue;
            v[j] = (float) ((histogram.firstBin() + i + 0.5) * w);
            c[j++] = histogram.count(i);
        }
        return new Centers(v, c);
    }

    /** At most {@code max} integers from {@code from} to {@code to} inclusive, evenly spaced, both ends kept. */
    static long[] thinned(long from, long to, int max) {
        long n = to - from + 1;
        if (n <= max) {
            long[] r = new long[(int) n];
            for (int i = 0; i < n; i++) r[i] = from + i;
            return r;
        }
        long[] r = new long[max];
        for (int i = 0; i < max; i++) r[i] = from + Math.round((double) i * (n - 1) / (max - 1));
        return r;
    }
}

package dev.nncompress.compress.quant;

import java.util.Arrays;

/**
 * TensorRT's entropy calibration (S. Migacz, "8-bit Inference with TensorRT", GTC 2017, slides 29-38),
 * on a histogram of |x|: for every candidate i from {@code levels} bins up to all used bins,
 * <ul>
 *   <li>P = the first i bins, with the counts of all later bins (the values that would be clipped)
 *       added to bin i-1;</li>
 *   <li>Q = the first i bins (without the outliers) merged into {@code levels} groups, bin j in group
 *       floor(j * levels / i) (groups differ in size by at most one, as NVIDIA pytorch-quantization's
 *       {@code np.digitize} over {@code linspace(0, i, levels + 1)}), then expanded back: each bin that was
 *       non-zero gets its group's sum divided by the group's number of non-zero bins, empty bins stay 0;</li>
 *   <li>both smoothed as MXNet's / TVM's {@code _smooth_distribution} (eps = 1e-4 on the counts: empty
 *       bins get eps, non-empty ones give up eps * zeros / nonzeros, so that KL stays finite), normalised,
 *       and KL(P || Q) = sum p ln(p / q).</li>
 * </ul>
 * The candidate with the smallest divergence wins (the first one on ties); the threshold is its upper
 * bin edge i * width (pytorch-quantization's {@code calib_bin_edges[i]}; the slides' (i + 0.5) * width
 * differs by half a bin). PyTorch's own HistogramObserver does not use KL (it minimises an L2 norm).
 */
final class EntropyCalibration {
    static final double SMOOTHING_EPS = 1e-4;

    private EntropyCalibration() {}

    /** Number of bins to keep (the threshold is that many bin widths); {@code used} if fewer than {@code levels + 1}. */
    static int bestBinCount(long[] counts, int used, int levels) {
        if (used <= levels) return used;
        double[] p = new double[used];
        double[] q = new double[used];
        double[] groupSum = new double[levels];
        int[] groupNonZero = new int[levels];
        long[] tail = new long[used + 1];   // tail[i] = sum of counts[i..used-1]
        for (int i = used - 1; i >= 0; i--) tail[i] = tail[i + 1] + counts[i];
        double best = Double.POSITIVE_INFINITY;
        int bestI = used;
        for (int i = levels; i <= used; i++) {
            Arrays.fill(groupSum, 0);
            Arrays.fill(groupNonZero, 0);
            for (int j = 0; j < i; j++) {
                p[j] = counts[j];
                int g = (int) ((long) j * levels / i);
                groupSum[g] += counts[j];
                if (counts[j] != 0) groupNonZero[g]++;
            }
            p[i - 1] += tail[i];
            boolean qEmpty = true;
            for (int j = 0; j < i; j++) {
                int g = (int) ((long) j * levels / i);
                q[j] = counts[j] != 0 ? groupSum[g] / groupNonZero[g] : 0;
                if (q[j] != 0) qEmpty = false;
            }
            if (qEmpty) continue;          // everything would be clipped: infinitely bad
            double d = divergence(p, q, i);
            if (d < best) {
                best = d;
                bestI = i;
            }
        }
        return bestI;
    }

    /** KL(P || Q) over the first n entries after smoothing and normalising both. */
    static double divergence(double[] p, double[] q, int n) {
        smooth(p, n);
        smooth(q, n);
        double sp = 0, sq = 0;
        for (int j = 0; j < n; j++) {
            sp += p[j];
            sq += q[j];
        }
        double kl = 0;
        for (int j = 0; j < n; j++) {
            if (p[j] == 0) continue;
            kl += p[j] / sp * Math.log((p[j] / sp) / (q[j] / sq));
        }
        return kl;
    }

    private static void smooth(double[] h, int n) {
        int zeros = 0;
        for (int j = 0; j < n; j++) if (h[j] == 0) zeros++;
        if (zeros == 0 || zeros == n) return;
        double take = SMOOTHING_EPS * zeros / (n - zeros);
        for (int j = 0; j < n; j++) h[j] = h[j] == 0 ? SMOOTHING_EPS : h[j] - take;
    }
}

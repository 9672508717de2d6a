package dev.nncompress.compress.share;

import java.util.Arrays;

/**
 * Lloyd's k-means on scalars, with the linear initialisation Han et al. (Deep Compression, ICLR 2016) found
 * best for weight sharing: k centroids evenly spaced over [min, max], so that the few large weights, which
 * matter most, keep centroids of their own (density-based or random initialisation puts almost all centroids
 * near zero).
 *
 * <p>In one dimension every cluster is an interval between the midpoints of neighbouring centroids, so on the
 * sorted values with prefix sums one iteration costs O(k log n) instead of O(n k). An empty cluster keeps its
 * centroid (it lies between its neighbours' intervals, so the order holds) and is dropped from the result.
 */
public final class KMeans1d {
    /** Lloyd iterations at most; the teacher's layers settle in 20-60. */
    static final int MAX_ITERATIONS = 300;

    private KMeans1d() {}

    /**
     * The clustering of {@code values} into at most {@code k} clusters: ascending distinct centroids (empty
     * clusters dropped) and each value's centroid index (the nearest centroid; a value halfway between two goes to the upper one).
     */
    public record Result(float[] centroids, int[] assignment, int iterations) {}

    public static Result cluster(float[] values, int k) {
        if (k < 1) throw new IllegalArgumentException("k must be >= 1, got " + k);
        if (values.length == 0) return new Result(new float[0], new int[0], 0);
        float[] sorted = values.clone();
        Arrays.sort(sorted);
        double[] prefix = new double[sorted.length + 1];
        for (int i = 0; i < sorted.length; i++) prefix[i + 1] = prefix[i] + sorted[i];
        double min = sorted[0], max = sorted[sorted.length - 1];
        double[] c = new double[k];
        for (int j = 0; j < k; j++) c[j] = k == 1 ? (min + max) / 2 : min + (max - min) * j / (k - 1);
        int[] start = new int[k + 1]; // cluster j is sorted[start[j] .. start[j+1])
        int it = 0;
        boolean moved = true;
        while (moved && it < MAX_ITERATIONS) {
            it++;
            bounds(sorted, c, start);
            moved = false;
            for (int j = 0; j < k; j++) {
                int count = start[j + 1] - start[j];
                if (count == 0) continue;
                double mean = (prefix[start[j + 1]] - prefix[start[j]]) / count;
                if (mean != c[j]) {
                    c[j] = mean;
                    moved = true;
                }
            }
        }
        bounds(sorted, c, start);
        // the final centroids as floats, the empty clusters dropped; members are nearest by the same midpoints
        float[] kept = new float[k];
        double[] keptMid = new double[k];
        int m = 0;
        for (int j = 0; j < k; j++) {
            if (start[j + 1] == start[j]) continue;
            kept[m++] = (float) c[j];
        }
        float[] centroids = Arrays.copyOf(kept, m);
        for (int j = 0; j + 1 < m; j++) keptMid[j] = ((double) centroids[j] + centroids[j + 1]) / 2;
        int[] assignment = new int[values.length];
        for (int i = 0; i < values.length; i++) assignment[i] = nearest(keptMid, m, values[i]);
        return new Result(centroids, assignment, it);
    }

    /** start[j]: the first sorted index of cluster j (values below the midpoint to centroid j+1, at or above the one to j-1). */
    private static void bounds(float[] sorted, double[] c, int[] start) {
        int k = c.length;
        start[0] = 0;
        for (int j = 1; j < k; j++) start[j] = Math.max(start[j - 1], firstAtLeast(sorted, (c[j - 1] + c[j]) / 2));
        start[k] = sorted.length;
    }

    /** Index of the first value >= x in ascending {@code sorted} (its length if none). */
    private static int firstAtLeast(float[] sorted, double x) {
        int lo = 0, hi = sorted.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] < x) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /** The cluster of {@code v}: the number of midpoints at or below it. */
    private static int nearest(double[] mid, int m, float v) {
        int lo = 0, hi = m - 1;
        while (lo < hi) {
            int j = (lo + hi) >>> 1;
            if (v < mid[j]) hi = j;
            else lo = j + 1;
        }
        return lo;
    }
}

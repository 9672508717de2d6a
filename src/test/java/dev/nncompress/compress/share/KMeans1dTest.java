package dev.nncompress.compress.share;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KMeans1dTest {
    /**
     * By hand: k = 4 starts at 1, 4.67, 8.33, 12 (linear over [1, 12]); midpoints 2.83, 6.5, 10.17 give
     * {1, 2} {3} {10} {11, 12}, means 1.5, 3, 10, 11.5; the new midpoints 2.25, 6.5, 10.75 keep the same clusters.
     */
    @Test
    void fourClustersOfSixValuesByHand() {
        float[] v = {12, 1, 10, 3, 2, 11};
        KMeans1d.Result r = KMeans1d.cluster(v, 4);
        assertArrayEquals(new float[] {1.5f, 3f, 10f, 11.5f}, r.centroids());
        assertArrayEquals(new int[] {3, 0, 2, 1, 0, 3}, r.assignment());
        assertEquals(2, r.iterations(), "one move, then one pass that moves nothing");
    }

    /** k = 2 on the same values: start at the ends 1 and 12, split at 6.5, means 2 and 11. */
    @Test
    void twoClustersAreTheTwoGroupsMeans() {
        KMeans1d.Result r = KMeans1d.cluster(new float[] {12, 1, 10, 3, 2, 11}, 2);
        assertArrayEquals(new float[] {2f, 11f}, r.centroids());
        assertArrayEquals(new int[] {1, 0, 1, 0, 0, 1}, r.assignment());
    }

    /** Linear initialisation keeps a centroid for the one large value; empty clusters are dropped. */
    @Test
    void outliersKeepTheirOwnCentroidAndEmptyClustersAreDropped() {
        float[] v = new float[101];
        for (int i = 0; i < 100; i++) v[i] = (i % 10) * 0.01f; // 0 .. 0.09
        v[100] = 5f;
        KMeans1d.Result r = KMeans1d.cluster(v, 8);
        float[] c = r.centroids();
        assertEquals(5f, c[c.length - 1], "the outlier is its own cluster");
        assertEquals(c.length - 1, r.assignment()[100]);
        assertTrue(c.length < 8, "clusters between 0.09 and 5 are empty and dropped: " + c.length);
        for (int i = 1; i < c.length; i++) assertTrue(c[i - 1] < c[i], "ascending");
        for (int i = 0; i < 100; i++) assertTrue(r.assignment()[i] < c.length - 1);
    }

    @Test
    void eachValueGoesToItsNearestCentroid() {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(3);
        float[] v = new float[500];
        for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextGaussian();
        KMeans1d.Result r = KMeans1d.cluster(v, 16);
        int k = r.centroids().length;
        assertTrue(k <= 16 && k >= 12, "linear initialisation over a Gaussian's range leaves a few tail clusters empty: " + k);
        for (int i = 0; i < v.length; i++) {
            float d = Math.abs(v[i] - r.centroids()[r.assignment()[i]]);
            for (float c : r.centroids()) assertTrue(d <= Math.abs(v[i] - c), "value " + v[i] + " is nearer " + c);
        }
        // a fixed point of Lloyd: each centroid is its members' mean
        for (int c = 0; c < k; c++) {
            double s = 0;
            int n = 0;
            for (int i = 0; i < v.length; i++) if (r.assignment()[i] == c) { s += v[i]; n++; }
            assertEquals(s / n, r.centroids()[c], 1e-6);
        }
    }

    @Test
    void fewerDistinctValuesThanClusters() {
        KMeans1d.Result r = KMeans1d.cluster(new float[] {0.5f, 0.5f, -1f}, 4);
        assertArrayEquals(new float[] {-1f, 0.5f}, r.centroids());
        assertArrayEquals(new int[] {1, 1, 0}, r.assignment());
        assertEquals(0, KMeans1d.cluster(new float[0], 4).centroids().length);
    }
}

package dev.nncompress.train;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphRunner;
import dev.nncompress.graph.Node;
import dev.nncompress.models.GraphBuilder;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Adaptive BN: the running statistics after recalibration are the statistics of what each BN saw, computed here
 * directly in double from the BN inputs of the same training-mode passes; nothing else in the graph moves.
 */
class BatchNormRecalibrationTest {
    private static final Backend B = new ReferenceBackend();
    /** Float sums over up to 40 x 8 x 8 values against double: relative 1e-4 of the statistic's scale. */
    private static final double TOL = 1e-4;

    /** conv -> BN -> ReLU -> conv -> BN -> ReLU -> GAP -> linear; BN stats far from the inputs' (stale, as after surgery). */
    private static Graph graph() {
        GraphBuilder b = new GraphBuilder("bn", Shape.of(2, 8, 8), B, 7);
        String x = b.relu("relu1", b.batchNorm("bn1", b.conv("conv1", Graph.INPUT, 4, 3, 1, 1, true)));
        x = b.relu("relu2", b.batchNorm("bn2", b.conv("conv2", x, 3, 3, 1, 1, false)));
        Graph g = b.build(b.linear("fc", b.flatten("flat", b.globalAvgPool("gap", x)), 5));
        for (String p : new String[] {"bn1", "bn2"}) {
            fill(g, p + ".running_mean", 3f);
            fill(g, p + ".running_var", 9f);
        }
        return g;
    }

    private static void fill(Graph g, String param, float v) {
        Tensor t = g.param(param).value();
        float[] a = new float[t.numel()];
        java.util.Arrays.fill(a, v);
        g.param(param).setValue(B.fromFloats(a, t.shape()));
    }

    private static Dataset images(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] v = new float[n * 2 * 8 * 8];
        for (int i = 0; i < v.length; i++) v[i] = (float) (rng.nextGaussian() * 2 + 0.5);
        return new Dataset(v, new int[n], 2, 8, 8, 5);
    }

    /** Per channel: {sum, sum of squares, count} of node {@code input}'s output in a training-mode pass over images [from, to). */
    private static double[][] batchMoments(Graph g, Dataset d, int from, int to, String input) {
        Dataset s = d.slice(from, to);
        try (Tensor x = B.fromFloats(s.images(), Shape.of(s.count(), 2, 8, 8)); GraphRunner run = new GraphRunner(g, B, true, 0)) {
            run.forward(x);
            Tensor t = run.output(input);
            float[] v = t.toFloatArray();
            int c = t.shape().dim(1), hw = t.shape().dim(2) * t.shape().dim(3);
            double[][] m = new double[c][3];
            for (int n = 0; n < s.count(); n++) {
                for (int ch = 0; ch < c; ch++) {
                    for (int i = 0; i < hw; i++) {
                        double e = v[(n * c + ch) * hw + i];
                        m[ch][0] += e;
                        m[ch][1] += e * e;
                        m[ch][2]++;
                    }
                }
            }
            return m;
        }
    }

    /** Expected running {mean, var}: image-weighted averages of each batch's mean and unbiased variance. */
    private static double[][] expected(Graph fresh, Dataset d, int batch, String input) {
        double[][] out = null;
        for (int from = 0; from < d.count(); from += batch) {
            int to = Math.min(d.count(), from + batch);
            double[][] m = batchMoments(fresh, d, from, to, input);
            if (out == null) out = new double[2][m.length];
            double w = (double) (to - from) / d.count();
            for (int ch = 0; ch < m.length; ch++) {
                double mean = m[ch][0] / m[ch][2];
                double var = (m[ch][1] - m[ch][2] * mean * mean) / (m[ch][2] - 1);
                out[0][ch] += w * mean;
                out[1][ch] += w * var;
            }
        }
        return out;
    }

    private static void assertStats(double[][] want, Graph g, String bn) {
        float[] mean = g.param(bn + ".running_mean").value().toFloatArray();
        float[] var = g.param(bn + ".running_var").value().toFloatArray();
        double scale = 0;
        for (int ch = 0; ch < mean.length; ch++) scale = Math.max(scale, Math.max(Math.abs(want[0][ch]), want[1][ch]));
        assertTrue(scale > 0.01, bn + ": statistics too small to compare");
        for (int ch = 0; ch < mean.length; ch++) {
            assertEquals(want[0][ch], mean[ch], TOL * scale, bn + " running_mean[" + ch + "]");
            assertEquals(want[1][ch], var[ch], TOL * scale, bn + " running_var[" + ch + "]");
        }
    }

    @Test
    void oneBatchGivesTheBatchStatisticsOfEveryBn() {
        Dataset d = images(40, 1);
        Graph g = graph();
        // bn2's input depends on bn1's normalisation, which in a training pass uses batch statistics, not the running ones
        double[][] bn1 = expected(graph(), d, 40, "conv1");
        double[][] bn2 = expected(graph(), d, 40, "conv2");
        assertEquals(40, BatchNormRecalibration.recalibrate(g, B, d, 64));
        assertStats(bn1, g, "bn1");
        assertStats(bn2, g, "bn2");
    }

    @Test
    void severalBatchesAverageByImages() {
        Dataset d = images(40, 2);
        Graph g = graph();
        double[][] bn1 = expected(graph(), d, 16, "conv1"); // batches of 16, 16, 8
        double[][] bn2 = expected(graph(), d, 16, "conv2");
        assertEquals(40, BatchNormRecalibration.recalibrate(g, B, d, 16));
        assertStats(bn1, g, "bn1");
        assertStats(bn2, g, "bn2");
        // conv1 does not depend on the mode: bn1's mean is the plain mean over all 40 images
        double[][] all = batchMoments(graph(), d, 0, 40, "conv1");
        float[] mean = g.param("bn1.running_mean").value().toFloatArray();
        for (int ch = 0; ch < mean.length; ch++) assertEquals(all[ch][0] / all[ch][2], mean[ch], 1e-4);
    }

    @Test
    void changesOnlyTheRunningStatisticsAndKeepsTheMomentum() {
        Graph g = graph();
        Map<String, float[]> before = new HashMap<>();
        g.params().forEach((k, p) -> before.put(k, p.value().toFloatArray()));
        BatchNormRecalibration.recalibrate(g, B, images(30, 3), 8);
        for (var e : before.entrySet()) {
            float[] now = g.param(e.getKey()).value().toFloatArray();
            if (e.getKey().endsWith(".running_mean") || e.getKey().endsWith(".running_var")) {
                assertFalse(java.util.Arrays.equals(e.getValue(), now), e.getKey() + " was not re-estimated");
            } else {
                assertArrayEquals(e.getValue(), now, 0f, e.getKey() + " changed");
            }
        }
        for (Node n : g.nodes()) assertEquals(graph().node(n.name()).attrs(), n.attrs(), n.name() + "'s attributes");
    }

    @Test
    void refusesFewerThanTwoImagesAndSkipsGraphsWithoutBn() {
        assertThrows(IllegalArgumentException.class, () -> BatchNormRecalibration.recalibrate(graph(), B, images(1, 4), 8));
        GraphBuilder b = new GraphBuilder("nobn", Shape.of(2, 8, 8), B, 1);
        Graph plain = b.build(b.linear("fc", b.flatten("flat", b.globalAvgPool("gap", b.conv("c", Graph.INPUT, 3, 3, 1, 1, true))), 5));
        assertEquals(0, BatchNormRecalibration.recalibrate(plain, B, images(10, 5), 8));
    }
}

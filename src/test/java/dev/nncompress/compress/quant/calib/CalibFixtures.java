package dev.nncompress.compress.quant.calib;

import dev.nncompress.compress.prepare.GraphPreparation;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;

import java.util.SplittableRandom;

/** Generated data and prepared built-in models for the calibration tests (no dataset needed). */
public final class CalibFixtures {
    private CalibFixtures() {}

    /** n images 1x28x28 of N(0,1) noise (the scale of normalised Fashion-MNIST), labels uniform in 0..9. */
    public static Dataset noise(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] img = new float[n * 28 * 28];
        int[] labels = new int[n];
        for (int i = 0; i < img.length; i++) img[i] = (float) gaussian(r);
        for (int i = 0; i < n; i++) labels[i] = r.nextInt(10);
        return new Dataset(img, labels, 1, 28, 28, 10);
    }

    public static Graph prepared(Graph g) { return GraphPreparation.forInference(g).graph(); }

    private static double gaussian(SplittableRandom r) {
        double u = 1 - r.nextDouble(), v = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
}

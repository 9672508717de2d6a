package dev.nncompress.compress.distill;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.LossResult;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Hinton loss: its value against a direct evaluation of the formula, its gradient against central differences. */
class ResponseDistillationTest {
    private final Backend backend = new ReferenceBackend();

    @Test
    void gradientMatchesCentralDifferences() {
        int n = 5;
        int k = 7;
        SplittableRandom r = new SplittableRandom(3);
        float[] s = randomLogits(r, n * k, 3);
        float[] t = randomLogits(r, n * k, 3);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) labels[i] = r.nextInt(k);
        for (double temperature : new double[] {1, 4, 10}) {
            for (double alpha : new double[] {0, 0.5, 0.9, 1}) {
                ResponseDistillation kd = new ResponseDistillation(temperature, alpha);
                float[] grad = gradient(kd, s, t, labels, n, k);
                // central differences of the float loss; h = 1e-2 balances truncation (O(h^2)) against float rounding
                // of a loss of order 1 (~1e-7 / h); measured error stays below 1e-4, tolerance 5e-4 absolute + 1% relative
                double h = 1e-2;
                for (int i = 0; i < n * k; i++) {
                    float[] plus = s.clone();
                    float[] minus = s.clone();
                    plus[i] += (float) h;
                    minus[i] -= (float) h;
                    double fd = (loss(kd, plus, t, labels, n, k) - loss(kd, minus, t, labels, n, k)) / ((double) plus[i] - minus[i]);
                    assertEquals(fd, grad[i], 5e-4 + 0.01 * Math.abs(fd), "T=" + temperature + " alpha=" + alpha + " logit " + i);
                }
            }
        }
    }

    @Test
    void valueIsTheFormulaEvaluatedDirectly() {
        // one sample, three classes: KL(softmax(t/T) || softmax(s/T)) and CE written out term by term
        float[] s = {2f, -1f, 0.5f};
        float[] t = {1f, 0f, 3f};
        int[] y = {2};
        double temp = 2;
        double alpha = 0.7;
        double[] ps = softmax(s, temp);
        double[] pt = softmax(t, temp);
        double kl = 0;
        for (int j = 0; j < 3; j++) kl += pt[j] * Math.log(pt[j] / ps[j]);
        double ce = -Math.log(softmax(s, 1)[2]);
        double expected = alpha * temp * temp * kl + (1 - alpha) * ce;
        assertEquals(expected, loss(new ResponseDistillation(temp, alpha), s, t, y, 1, 3), 1e-5);
    }

    @Test
    void studentEqualToTeacherHasNoSoftLossOrGradient() {
        float[] l = {0.3f, -2f, 1f, 4f, 4f, 0f};
        ResponseDistillation kd = new ResponseDistillation(4, 1);
        assertEquals(0, loss(kd, l, l, new int[] {0, 1}, 2, 3), 1e-6);
        for (float g : gradient(kd, l, l, new int[] {0, 1}, 2, 3)) assertEquals(0, g, 1e-7);
    }

    @Test
    void badSettingsAndShapesAreClearErrors() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new ResponseDistillation(0, 0.5)).getMessage().contains("temperature"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new ResponseDistillation(4, 1.5)).getMessage().contains("alpha"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> loss(new ResponseDistillation(4, 0.9), new float[6], new float[4], new int[] {0, 0}, 2, 3));
        assertTrue(e.getMessage().contains("teacher logits"), e.getMessage());
    }

    private float loss(ResponseDistillation kd, float[] s, float[] t, int[] labels, int n, int k) {
        try (Tensor x = backend.fromFloats(s, Shape.of(n, k))) {
            LossResult r = kd.compute(backend, x, t, labels);
            r.gradLogits().close();
            return r.loss();
        }
    }

    private float[] gradient(ResponseDistillation kd, float[] s, float[] t, int[] labels, int n, int k) {
        try (Tensor x = backend.fromFloats(s, Shape.of(n, k))) {
            LossResult r = kd.compute(backend, x, t, labels);
            try (Tensor g = r.gradLogits()) {
                return g.toFloatArray();
            }
        }
    }

    private static float[] randomLogits(SplittableRandom r, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
        return v;
    }

    private static double[] softmax(float[] x, double temp) {
        double z = 0;
        double[] p = new double[x.length];
        for (int j = 0; j < x.length; j++) z += Math.exp(x[j] / temp);
        for (int j = 0; j < x.length; j++) p[j] = Math.exp(x[j] / temp) / z;
        return p;
    }
}

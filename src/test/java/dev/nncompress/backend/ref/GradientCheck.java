package dev.nncompress.backend.ref;

import dev.nncompress.tensor.Tensor;

import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Central finite differences for backward checks, with the tolerance of {@link ReferenceGradientTest}:
 * |analytic - numeric| <= 1e-2 max(|analytic|, |numeric|) + 2e-3, and a check that is not vacuous
 * (some numeric gradient of magnitude >= 1e-2).
 */
final class GradientCheck {
    static final double RTOL = 1e-2;
    static final double ATOL = 2e-3;

    private GradientCheck() {}

    /** sum(y * r) in double: a scalar loss whose gradient w.r.t. y is r. */
    static double weightedSum(Tensor y, float[] r) {
        float[] v = y.toFloatArray();
        assertEquals(r.length, v.length, "output size");
        double s = 0;
        for (int i = 0; i < v.length; i++) s += (double) v[i] * r[i];
        return s;
    }

    /** Central-difference gradient of {@code loss} w.r.t. every element of {@code x} (perturbed in place and restored). */
    static double[] numeric(float[] x, Function<float[], Double> loss, float eps) {
        double[] g = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            float orig = x[i];
            x[i] = orig + eps;
            double plus = loss.apply(x);
            x[i] = orig - eps;
            double minus = loss.apply(x);
            x[i] = orig;
            g[i] = (plus - minus) / ((double) (orig + eps) - (double) (orig - eps)); // the step taken in float
        }
        return g;
    }

    static void assertClose(String what, Tensor analytic, double[] numeric) {
        float[] a = analytic.toFloatArray();
        assertEquals(numeric.length, a.length, what + ": gradient size");
        double maxAbs = 0;
        for (int i = 0; i < a.length; i++) {
            double diff = Math.abs(a[i] - numeric[i]);
            double tol = RTOL * Math.max(Math.abs(a[i]), Math.abs(numeric[i])) + ATOL;
            if (!(diff <= tol)) fail(what + ": element " + i + " analytic " + a[i] + " vs numeric " + numeric[i] + " (diff " + diff + " > tol " + tol + ")");
            maxAbs = Math.max(maxAbs, Math.abs(numeric[i]));
        }
        if (maxAbs < 1e-2) fail(what + ": numeric gradient is all ~0 (max " + maxAbs + "), test is not informative");
    }
}

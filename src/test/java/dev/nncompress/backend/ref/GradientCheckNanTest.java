package dev.nncompress.backend.ref;

import dev.nncompress.tensor.Shape;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@link GradientCheck#assertClose} must fail on a planted NaN (analytic or numeric, first or last element) and on a
 * gradient that was dropped (zeros), and pass on a clean one: a comparison that a backward pass writing NaN gets
 * through proves nothing (issue 20, "Checks that can fail").
 */
class GradientCheckNanTest {
    private final ReferenceBackend backend = new ReferenceBackend();
    private final double[] numeric = {0.5, -0.25, 0.125, 1.0};

    private void check(float[] analytic, double[] numeric) {
        GradientCheck.assertClose("planted", backend.fromFloats(analytic, Shape.of(analytic.length)), numeric);
    }

    private static float[] floats(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        return f;
    }

    @Test
    void cleanGradientPasses() {
        check(floats(numeric), numeric);
    }

    @Test
    void nanInTheAnalyticGradientFails() {
        for (int at : new int[] {0, numeric.length - 1}) {
            float[] a = floats(numeric);
            a[at] = Float.NaN;
            assertThrows(AssertionError.class, () -> check(a, numeric), "NaN at " + at);
        }
    }

    @Test
    void nanInTheNumericGradientFails() {
        for (int at : new int[] {0, numeric.length - 1}) {
            double[] n = numeric.clone();
            n[at] = Double.NaN;
            assertThrows(AssertionError.class, () -> check(floats(numeric), n), "NaN at " + at);
        }
    }

    @Test
    void droppedGradientFails() {
        assertThrows(AssertionError.class, () -> check(new float[numeric.length], numeric));
    }
}

package dev.nncompress.io.onnx;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * {@link OnnxFixtures#maxRelativeError}, the measure behind {@link OrtAssert} and every ONNX Runtime comparison, stays
 * NaN when a NaN is planted anywhere in our output (first or last value, first or last image), so that the callers'
 * {@code err <= tol} fails; a clean copy measures 0.
 */
class ComparisonNanTest {
    private static final float[][] REFERENCE = {{1f, -2f, 0.5f}, {3f, 0.25f, -1f}};

    private static float[] flat() {
        float[] f = new float[6];
        for (int i = 0; i < 2; i++) System.arraycopy(REFERENCE[i], 0, f, i * 3, 3);
        return f;
    }

    @Test
    void aCleanCopyMeasuresZero() {
        assertEquals(0.0, OnnxFixtures.maxRelativeError(flat(), REFERENCE));
    }

    @Test
    void aPlantedNanAnywhereFailsTheTolerance() {
        for (int at = 0; at < 6; at++) {
            float[] ours = flat();
            ours[at] = Float.NaN;
            ours[(at + 3) % 6] += 1e-6f; // a small finite error elsewhere must not hide it
            double err = OnnxFixtures.maxRelativeError(ours, REFERENCE);
            assertFalse(err <= OrtAssert.TOLERANCE, "NaN at " + at + " measured " + err);
        }
    }

    @Test
    void anAllZeroReferenceCannotPassVacuously() {
        assertFalse(OnnxFixtures.maxRelativeError(new float[3], new float[][] {{0f, 0f, 0f}}) <= OrtAssert.TOLERANCE);
    }
}

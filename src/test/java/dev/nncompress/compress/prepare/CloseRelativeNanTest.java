package dev.nncompress.compress.prepare;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link PrepareFixtures#assertCloseRelative} (the folding, fusion and structured-pruning comparisons) fails on a
 * planted NaN in either output, first or last, and on an all-zero reference; passes within the tolerance.
 */
class CloseRelativeNanTest {
    private static final float[] EXPECTED = {1f, -2f, 0.5f, 4f};

    @Test
    void withinToleranceAndNaNsAnywhereFail() {
        float[] close = EXPECTED.clone();
        close[1] += 1e-6f;
        PrepareFixtures.assertCloseRelative(EXPECTED, close, 1e-5, "close");
        for (int at : new int[] {0, EXPECTED.length - 1}) {
            float[] nan = EXPECTED.clone();
            nan[at] = Float.NaN;
            assertThrows(AssertionError.class, () -> PrepareFixtures.assertCloseRelative(EXPECTED, nan, 1e-5, "ours NaN"), "NaN at " + at);
            assertThrows(AssertionError.class, () -> PrepareFixtures.assertCloseRelative(nan, EXPECTED, 1e-5, "reference NaN"), "NaN at " + at);
        }
        assertTrue(Double.isNaN(PrepareFixtures.maxAbsDiff(new float[] {Float.NaN, 5f}, new float[] {0f, 0f})), "maxAbsDiff keeps the NaN");
        assertThrows(AssertionError.class, () -> PrepareFixtures.assertCloseRelative(new float[2], new float[2], 1e-5, "all zero"));
    }
}

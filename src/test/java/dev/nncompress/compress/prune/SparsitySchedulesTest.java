package dev.nncompress.compress.prune;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SparsitySchedulesTest {
    @Test
    void cubicMatchesZhuAndGuptasFormula() {
        // s_t = s_f + (s_i - s_f)(1 - t/T)^3, values worked out by hand
        assertEquals(0.0, SparsitySchedules.cubic(0, 0.9, 0, 100), 0);
        assertEquals(0.9 - 0.9 * 0.125, SparsitySchedules.cubic(0, 0.9, 50, 100), 1e-15); // (1/2)^3
        assertEquals(0.9 - 0.9 * 0.015625, SparsitySchedules.cubic(0, 0.9, 75, 100), 1e-15); // (1/4)^3
        assertEquals(0.5 + (0.2 - 0.5) * 0.729, SparsitySchedules.cubic(0.2, 0.5, 10, 100), 1e-15); // (9/10)^3
        assertEquals(0.9, SparsitySchedules.cubic(0, 0.9, 100, 100), 0);
        assertEquals(0.9, SparsitySchedules.cubic(0, 0.9, 1000, 100), 0);
    }

    @Test
    void cubicRisesMonotonicallyAndFastestEarly() {
        double prev = -1, prevStep = Double.MAX_VALUE;
        for (int t = 0; t <= 100; t += 10) {
            double s = SparsitySchedules.cubic(0, 0.95, t, 100);
            assertTrue(s > prev);
            if (t > 0) {
                assertTrue(s - prev < prevStep, "increments shrink");
                prevStep = s - prev;
            }
            prev = s;
        }
    }

    @Test
    void iterativeTargetsPruneTheSameFractionOfWhatIsLeftAndEndAtTheTarget() {
        double[] s = SparsitySchedules.iterative(0.9, 3);
        assertEquals(3, s.length);
        assertEquals(0.9, s[2], 0);
        double keep = Math.cbrt(0.1); // fraction kept per round
        assertEquals(1 - keep, s[0], 1e-12);
        assertEquals(1 - keep * keep, s[1], 1e-12);
        assertEquals(0.5, SparsitySchedules.iterative(0.5, 1)[0], 0);
    }

    @Test
    void badArgumentsAreClearErrors() {
        assertThrows(IllegalArgumentException.class, () -> SparsitySchedules.cubic(0, 1.0, 0, 10));
        assertThrows(IllegalArgumentException.class, () -> SparsitySchedules.cubic(0.5, 0.2, 0, 10));
        assertThrows(IllegalArgumentException.class, () -> SparsitySchedules.cubic(0, 0.5, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> SparsitySchedules.iterative(0.5, 0));
    }
}

package dev.nncompress.tensor;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NmPatternTest {
    @Test
    void parsesAndRejectsPatternsOutsideOneToMMinusOneOverMUpToEight() {
        assertEquals(new NmPattern(2, 4), NmPattern.parse("2:4"));
        assertEquals(new NmPattern(3, 8), NmPattern.parse(" 3 : 8 "));
        for (String bad : new String[] {"5:4", "4:4", "0:4", "2:9", "1:1", "-1:4"}) {
            var e = assertThrows(IllegalArgumentException.class, () -> NmPattern.parse(bad), bad);
            assertTrue(e.getMessage().startsWith("N:M sparsity needs 1 <= N < M <= 8, got "), e.getMessage());
        }
        for (String bad : new String[] {"2-4", "2:4:8", "a:4", "", "2:"}) {
            var e = assertThrows(IllegalArgumentException.class, () -> NmPattern.parse(bad), bad);
            assertEquals("N:M pattern must look like 2:4, got '" + bad + "'", e.getMessage());
        }
    }

    @Test
    void tailGroupsKeepMinOfNAndTheirLength() {
        NmPattern p = new NmPattern(2, 4);
        assertEquals(3, p.groups(9)); // 4 + 4 + 1
        assertEquals(1, p.groupLength(9, 2));
        assertEquals(2 + 2 + 1, p.keptPerRow(9)); // a tail of 1 is kept, as in a zero-padded group
        assertEquals(2 + 2 + 2, p.keptPerRow(10)); // a tail of 2 keeps both
        assertEquals(2 + 2 + 2, p.keptPerRow(11)); // a tail of 3 keeps 2
        assertEquals(3 + 1, new NmPattern(3, 8).keptPerRow(9));
        assertEquals(0.5, p.nominalSparsity());
        assertEquals(1, new NmPattern(1, 2).indexBits());
        assertEquals(2, p.indexBits());
        assertEquals(2, new NmPattern(1, 3).indexBits());
        assertEquals(3, new NmPattern(2, 8).indexBits());
        assertEquals(72, NmPattern.rowLength(new long[] {16, 8, 3, 3}));
        assertThrows(IllegalArgumentException.class, () -> NmPattern.rowLength(new long[] {16}));
    }

    @Test
    void holdsCountsNegativeZeroAsAValue() {
        NmPattern p = new NmPattern(2, 4);
        assertTrue(p.holds(new float[] {1, 0, 2, 0, 0, 0, 0, 3, 5}, 9));
        assertFalse(p.holds(new float[] {1, -0f, 2, 0, 0, 0, 0, 3, 5}, 9));
        assertFalse(p.holds(new float[] {1, 0, 0, 0, 1, 2, 3, 0}, 8));
        assertTrue(p.holds(new float[] {0, 0, 7, 0, 0, 9}, 3)); // rows of 3: one tail group each, keeps 2
    }
}

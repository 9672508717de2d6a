package dev.nncompress.int8;

import dev.nncompress.tensor.Shape;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QuantizedWeightTest {
    @Test
    void dequantizeScalesEachOutputChannel() {
        QuantizedWeight q = new QuantizedWeight(new byte[] {1, -2, 3, 4, 5, -6}, Shape.of(2, 3), new float[] {0.5f, 2f});
        assertArrayEquals(new float[] {0.5f, -1f, 1.5f, 8f, 10f, -12f}, q.dequantize());
    }

    /** Fuzzing finding of the 2026-12-06 campaign: a file's weight of shape [0, 2, 3, 3] divided by zero in rowLength. */
    @Test
    void anEmptyDimensionIsRejectedBeforeUse() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new QuantizedWeight(new byte[0], Shape.of(0, 2, 3, 3), new float[0]));
        assertTrue(e.getMessage().contains("empty dimension"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new QuantizedWeight(new byte[0], Shape.of(4, 0), new float[4]));
    }
}

package dev.nncompress.int8;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

class Int32BiasTest {
    @Test
    void codesRoundHalfToEvenPerChannel() {
        float[] scales = {0.5f, 0.25f, 2f, 1f};
        // 1.25 / 0.5 = 2.5 -> 2 (even), 0.375 / 0.25 = 1.5 -> 2, -3 / 2 = -1.5 -> -2, 0.49 -> 0
        assertArrayEquals(new int[] {2, 2, -2, 0}, Int32Bias.codes(new float[] {1.25f, 0.375f, -3f, 0.49f}, scales));
    }

    @Test
    void onGridIsTheCodeTimesTheScale() {
        float[] scales = {0.5f, 0.1f};
        float[] grid = Int32Bias.onGrid(new float[] {1.3f, -0.26f}, scales);
        assertArrayEquals(new float[] {1.5f, (float) (-3 * (double) 0.1f)}, grid);
        assertArrayEquals(new int[] {3, -3}, Int32Bias.codes(grid, scales), "on the grid: its own codes");
    }

    @Test
    void aCodeOutsideInt32KeepsTheFloatBias() {
        float[] bias = {1f, 1e10f};
        float[] scales = {1f, 1e-3f};
        assertNull(Int32Bias.codes(bias, scales));
        assertSame(bias, Int32Bias.onGrid(bias, scales));
        assertNull(Int32Bias.onGrid(null, scales));
        assertThrows(IllegalArgumentException.class, () -> Int32Bias.codes(new float[2], new float[3]));
    }
}

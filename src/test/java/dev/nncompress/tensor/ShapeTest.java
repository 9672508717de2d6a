package dev.nncompress.tensor;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Shapes whose element count would wrap an int are refused when made, so numel and rowSize never wrap. */
class ShapeTest {
    @Test
    void productsThatWrapAnIntAreRefusedNamingTheShape() {
        for (int[] dims : new int[][] {{65536, 65536, 1}, {46341, 46341}, {0, 65536, 65536}, {Integer.MAX_VALUE, 2}, {1 << 16, 1 << 16, 1 << 16, 1 << 16}}) {
            String msg = assertThrows(IllegalArgumentException.class, () -> Shape.of(dims)).getMessage();
            assertTrue(msg.contains(java.util.Arrays.toString(dims)) && msg.contains("2147483647"), msg);
        }
    }

    @Test
    void sizeAfterIsTheRunOfOneIndexOfTheAxis() {
        Shape s = Shape.of(2, 3, 4, 5);
        assertEquals(60, s.sizeAfter(0));
        assertEquals(20, s.sizeAfter(1));
        assertEquals(5, s.sizeAfter(2));
        assertEquals(1, s.sizeAfter(3));
        assertEquals(0, Shape.of(3, 0, 2).sizeAfter(0));
    }

    @Test
    void numelAndRowSizeAreExact() {
        assertEquals(Integer.MAX_VALUE, Shape.of(Integer.MAX_VALUE).numel());
        assertEquals(46340 * 46340, Shape.of(46340, 46340).numel());
        assertEquals(784, Shape.of(0, 1, 28, 28).rowSize()); // an empty batch keeps its row length
        assertEquals(0, Shape.of(0, 1, 28, 28).numel());
        assertEquals(1, Shape.of().numel());
        assertThrows(IllegalArgumentException.class, () -> Shape.of(3, -1));
    }
}

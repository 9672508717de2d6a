package dev.nncompress.backend;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Geometry in long: paddings and sizes near 2^31 are refused instead of wrapping into a plausible output size. */
class GeometryOverflowTest {
    @Test
    void paddingThatWrapsTheInputSizeIsRefused() {
        // in int, 28 + 2 * (2^31 - 1) wraps to 26 and gave a 24-wide output (issue 16)
        String msg = assertThrows(IllegalArgumentException.class, () -> new Conv2dSpec(1, 1, 1, Integer.MAX_VALUE).outW(28, 3)).getMessage();
        assertTrue(msg.contains("overflow"), msg);
        assertThrows(IllegalArgumentException.class, () -> Conv2dSpec.of(1, 1 << 30).outH(28, 3));
        assertEquals(Integer.MAX_VALUE - 2, Conv2dSpec.of(1, 0).outW(Integer.MAX_VALUE, 3)); // the largest that fits
        // pool padding check no longer overflows: 2 * 2^30 was negative in int
        assertThrows(IllegalArgumentException.class, () -> new Pool2dSpec(3, 3, 1, 1, 1 << 30, 0));
    }

    @Test
    void dilationsAndAsymmetricPadsThatWouldOverflowAreRefused() {
        // Conv2dSpec(strideH, strideW, top, left, bottom, right, dilationH, dilationW, groups)
        Conv2dSpec dilated = new Conv2dSpec(1, 1, 0, 0, 0, 0, Integer.MAX_VALUE, 1, 1);
        assertEquals(2L * Integer.MAX_VALUE + 1, dilated.extentH(3)); // in long: in int it wraps to -1
        assertThrows(IllegalArgumentException.class, () -> dilated.outH(28, 3));
        assertThrows(IllegalArgumentException.class, () -> new Conv2dSpec(1, 1, Integer.MAX_VALUE, 0, 1, 0, 1, 1, 1).outH(28, 3));
        assertEquals(27, new Conv2dSpec(1, 1, 0, 0, 1, 0, 1, 1, 1).outH(28, 3)); // 28 + 0 + 1 - 3 + 1
        assertThrows(IllegalArgumentException.class, () -> new ConvGeometry(1, 6, 8, 8, 6, 3, 3, 8, 8,
                new Conv2dSpec(1, 1, 1, 1, 1, 1, 1, 1, 4))); // 4 groups do not divide 6 channels
        assertThrows(IllegalArgumentException.class, () -> new ConvGeometry(1, 4, 8, 8, 4, 3, 3, 8, 8,
                new Conv2dSpec(1, 1, 1, 1, 1, 1, 2, 1, 4))); // the dilated window's last row lies past the padding
    }

    @Test
    void geometriesWhoseIndicesWouldOverflowAreRefused() {
        Conv2dSpec s = Conv2dSpec.of(1, 1);
        new ConvGeometry(2, 3, 28, 28, 8, 3, 3, 28, 28, s);
        assertThrows(IllegalArgumentException.class, () -> new ConvGeometry(2, 3, 28, 28, 8, 3, 3, 28, 29, s)); // last window past the padding
        assertThrows(IllegalArgumentException.class, () -> new ConvGeometry(2, 3, 28, 28, 8, 0, 3, 28, 28, s));
        assertThrows(IllegalArgumentException.class, () -> new ConvGeometry(65536, 256, 256, 1, 8, 1, 1, 256, 1, Conv2dSpec.of(1, 0))); // 2^32 inputs
        assertThrows(IllegalArgumentException.class, () -> new ConvGeometry(1, 1, 28, 28, 8, 3, 3, 28, 24, new Conv2dSpec(1, 1, 1, Integer.MAX_VALUE)));
        assertThrows(IllegalArgumentException.class, () -> new PoolGeometry(4, 28, 28, 14, 15, Pool2dSpec.square(2)));
    }
}

package dev.nncompress.compress.share;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ShareConfigTest {
    @Test
    void aNamedLayerTakesItsOwnBitsTheOthersTheirKinds() {
        ShareConfig c = new ShareConfig(5, 8, Map.of("conv1", 4, "fc2", 3));
        assertEquals(4, c.bits("conv1", true));
        assertEquals(8, c.bits("conv2", true));
        assertEquals(3, c.bits("fc2", false));
        assertEquals(5, c.bits("fc1", false));
        c.checkLayers(List.of("conv1", "conv2", "fc1", "fc2"));
        var e = assertThrows(IllegalArgumentException.class, () -> c.checkLayers(List.of("conv1", "fc1")));
        assertEquals("fc2 is no conv/linear layer of the model (its layers: conv1, fc1)", e.getMessage());
    }

    @Test
    void bitsOutsideTwoToEightAreRefusedNamingTheLayer() {
        var e = assertThrows(IllegalArgumentException.class, () -> new ShareConfig(5, 8, Map.of("fc1", 1)));
        assertTrue(e.getMessage().equals("layerBits of fc1 must be in [2, 8], got 1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ShareConfig(9, 8));
        assertEquals("biasBits must be in [2, 8], got 9", assertThrows(IllegalArgumentException.class, () -> new ShareConfig(5, 8, Map.of(), 9)).getMessage());
        assertEquals(ShareConfig.FLOAT_BIASES, new ShareConfig(5, 8).biasBits(), "biases stay float unless asked");
    }
}

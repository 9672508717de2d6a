package dev.nncompress.backend.cuda.kernels;

import dev.nncompress.backend.cuda.driver.CudaDriver;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sparse conv launcher's choices, checked without a GPU: every tile it can pick exists as a
 * kernel of the fatbin (a wrong name would only show as CUDA_ERROR_NOT_FOUND on a GPU machine), and
 * the tile rule covers the rows with the narrowest tile and halves it only when blocks are few.
 */
class SparseConvLaunchTest {
    @Test
    void everyKernelTheLauncherCanNameIsInTheFatbin() throws IOException {
        String fatbin;
        try (InputStream in = CudaDriver.class.getResourceAsStream(CudaDriver.FATBIN_RESOURCE)) {
            Assumptions.assumeTrue(in != null, "no fatbin in this build (nvcc absent)");
            fatbin = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);  // kernel names are plain ASCII in it
        }
        Set<String> tiles = new LinkedHashSet<>();
        for (int sms : new int[] {1, 40, 132, 1000}) {
            for (int rows = 1; rows <= 200; rows++) {
                for (long cols : new long[] {1, 100, 4096, 50_176, 200_704}) {
                    tiles.add(SparseConv.Tile.of(rows, cols, true, sms).toString());
                    tiles.add(SparseConv.Tile.of(rows, cols, false, sms).toString());
                }
            }
        }
        assertEquals(Set.of("16x512", "32x256", "64x128", "16x256", "32x128"), tiles);
        List<String> names = new ArrayList<>(List.of(SparseConv.FWD_CSR, SparseConv.BWD_INPUT_CSR, SparseConv.BWD_WEIGHT_CSR,
                SparseConv.BWD_BIAS, SparseConv.ZERO_PLANES));
        for (String t : tiles) {
            names.add(SparseConv.FWD_STRUCTURED + t);
            names.add(SparseConv.BWD_INPUT_STRUCTURED + t);
            names.add(SparseConv.BWD_WEIGHT_STRUCTURED + t);
        }
        for (String name : names) assertTrue(fatbin.contains(name + "\0"), "fatbin has no kernel " + name);
    }

    @Test
    void tileCoversTheRowsAndHalvesOnlyWhenBlocksAreFew() {
        assertEquals("16x512", SparseConv.Tile.of(13, 200_704, true, 132).toString());  // 392 blocks: enough
        assertEquals("32x128", SparseConv.Tile.of(26, 50_176, true, 132).toString());   // 196 blocks < 2 per SM
        assertEquals("32x256", SparseConv.Tile.of(26, 50_176, false, 132).toString());  // weight gradient: split instead
        assertEquals("64x128", SparseConv.Tile.of(128, 100, true, 132).toString());     // 64-row tiles are never halved
        for (int rows = 1; rows <= 64; rows++) {
            SparseConv.Tile t = SparseConv.Tile.of(rows, 1000, true, 132);
            assertTrue(t.tm() >= rows && (t.tm() == 16 || t.tm() / 2 < rows), "rows " + rows + " -> " + t);
            assertTrue(t.tm() * t.tn() == 8192 || t.tm() * t.tn() == 4096, t.toString());
        }
    }
}

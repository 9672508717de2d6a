package dev.nncompress.data;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Raw images before normalisation: statistics, normalising, channel conversion, selection; and Normalization's checks. */
class RawImagesTest {
    /** Two 1x1x2 RGB-free images: pixels 0, 255 and 51, 102. */
    private static RawImages gray() {
        return RawImages.ofBytes(new byte[] {0, (byte) 255, 51, 102}, new int[] {1, 0}, 1, 1, 2);
    }

    @Test
    void statisticsOfBytesAreTheMeanAndPopulationStdOfPixelOver255() {
        Normalization n = gray().statistics();
        double[] v = {0, 1, 0.2, 0.4};
        double m = (0 + 1 + 0.2 + 0.4) / 4;
        double var = 0;
        for (double x : v) var += (x - m) * (x - m) / 4;
        assertEquals((float) m, n.mean()[0], 1e-7f);
        assertEquals((float) Math.sqrt(var), n.std()[0], 1e-7f);
    }

    @Test
    void statisticsPerChannelAndOfFloats() {
        // one 3x1x1 image twice: each channel constant, so std falls back to 1
        RawImages rgb = RawImages.ofBytes(new byte[] {10, 20, 30, 10, 20, 30}, new int[] {0, 0}, 3, 1, 1);
        Normalization n = rgb.statistics();
        assertArrayEquals(new float[] {10 / 255f, 20 / 255f, 30 / 255f}, n.mean(), 1e-7f);
        assertArrayEquals(new float[] {1, 1, 1}, n.std());
        RawImages f = RawImages.ofFloats(new float[] {-1, 3, 1, 1}, new int[] {0, 0}, 1, 1, 2);
        assertEquals(1f, f.statistics().mean()[0]);
        assertEquals((float) Math.sqrt(2), f.statistics().std()[0], 1e-6f);
    }

    @Test
    void normalisingBytesMatchesFashionMnistBitForBit() {
        byte[] all = new byte[256];
        for (int i = 0; i < 256; i++) all[i] = (byte) i;
        Dataset d = RawImages.ofBytes(all, new int[] {3}, 1, 16, 16).normalise(Normalization.FASHION_MNIST, 10);
        for (int v = 0; v < 256; v++) assertEquals(FashionMnist.normalise(v), d.images()[v], "pixel " + v);
        assertEquals(10, d.numClasses());
    }

    @Test
    void normalisingAppliesEachChannelsMeanAndStd() {
        RawImages rgb = RawImages.ofBytes(new byte[] {(byte) 255, 0, 51}, new int[] {0}, 3, 1, 1);
        Dataset d = rgb.normalise(new Normalization(new float[] {0.5f, 0f, 0.2f}, new float[] {0.5f, 2f, 0.1f}), 2);
        assertArrayEquals(new float[] {(1f - 0.5f) / 0.5f, 0f, (51 / 255f - 0.2f) / 0.1f}, d.images());
        Dataset f = RawImages.ofFloats(new float[] {3f}, new int[] {1}, 1, 1, 1).normalise(new Normalization(new float[] {1}, new float[] {2}), 2);
        assertEquals(1f, f.images()[0]);
    }

    @Test
    void channelConversionRepeatsGrayAndTakesLumaOfRgb() {
        RawImages three = gray().withChannels(3);
        assertEquals(3, three.channels());
        Dataset d = three.normalise(Normalization.IDENTITY, 2);
        assertArrayEquals(new float[] {0, 1, 0, 1, 0, 1}, java.util.Arrays.copyOf(d.images(), 6));
        RawImages rgb = RawImages.ofBytes(new byte[] {(byte) 200, 100, 50}, new int[] {0}, 3, 1, 1);
        int luma = (299 * 200 + 587 * 100 + 114 * 50 + 500) / 1000; // 124
        assertEquals(luma / 255f, rgb.withChannels(1).normalise(Normalization.IDENTITY, 1).images()[0]);
    }

    @Test
    void selectAndFirstKeepLabelsWithTheirImages() {
        RawImages r = gray().select(new int[] {1, 0, 1});
        assertArrayEquals(new int[] {0, 1, 0}, r.labels());
        assertEquals(51 / 255f, r.normalise(Normalization.IDENTITY, 2).images()[0]);
        assertEquals(1, gray().first(1).count());
        assertEquals(2, gray().first(5).count());
    }

    @Test
    void constructionChecksItsNumbers() {
        assertThrows(IllegalArgumentException.class, () -> RawImages.ofBytes(new byte[3], new int[] {0}, 2, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> RawImages.ofBytes(new byte[3], new int[] {0}, 1, 1, 2));
        assertThrows(IllegalArgumentException.class, () -> RawImages.ofBytes(new byte[1], new int[] {-1}, 1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> RawImages.ofBytes(new byte[1], new int[] {65536}, 1, 1, 1));
    }

    @Test
    void normalizationRefusesWhatWouldOverflowOrDivideByZero() {
        for (float[][] bad : new float[][][] {{{0}, {0}}, {{0}, {1e-7f}}, {{Float.NaN}, {1}}, {{0}, {Float.POSITIVE_INFINITY}}, {{2e6f}, {1}},
                {{0, 0}, {1}}, {{0, 0, 0, 0}, {1, 1, 1, 1}}}) {
            assertThrows(IllegalArgumentException.class, () -> new Normalization(bad[0], bad[1]));
        }
        Normalization one = new Normalization(new float[] {0.5f}, new float[] {0.25f});
        assertArrayEquals(new float[] {0.5f, 0.5f, 0.5f}, one.forChannels(3).mean());
        assertTrue(one.sameFor(one.forChannels(3), 3));
        Normalization rgb = new Normalization(new float[] {0.1f, 0.2f, 0.3f}, new float[] {1, 1, 1});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> rgb.forChannels(1));
        assertTrue(e.getMessage().contains("has 3 channels but the images have 1"), e.getMessage());
    }
}

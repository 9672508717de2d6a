package dev.nncompress.data;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Resize-and-crop against Pillow 9.4's {@code Image.resize(..., BILINEAR)} + torchvision's centre-crop arithmetic on the
 * same images, values printed by {@code src/test/resources/data/make_fixtures.py}. Pillow rounds between its two passes
 * in fixed point and we do not, so the tolerance is 1 (of 255).
 */
class ResamplerTest {
    /** The script's gray ramp {@code (i * 37) % 256}, row-major, as bytes. */
    private static byte[] ramp(int w, int h) {
        byte[] b = new byte[w * h];
        for (int i = 0; i < b.length; i++) b[i] = (byte) ((i * 37) % 256);
        return b;
    }

    private static void matchesPillow(int w, int h, int size, int[] pillow) {
        byte[] ours = Resampler.coverAndCrop(ramp(w, h), h, w, size, size);
        assertEquals(pillow.length, ours.length);
        int worst = 0;
        for (int i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs((ours[i] & 0xff) - pillow[i]));
        assertTrue(worst <= 1, w + "x" + h + " -> " + size + ": differs from Pillow by " + worst);
    }

    @Test
    void downscalingAWideImageMatchesPillow() {
        matchesPillow(7, 5, 3, new int[] {20, 78, 146, 25, 83, 151, 30, 88, 156});
        matchesPillow(13, 10, 4, new int[] {91, 97, 157, 84, 166, 110, 123, 161, 116, 177, 101, 140, 71, 132, 142, 84});
    }

    @Test
    void halvingASquareImageMatchesPillow() {
        matchesPillow(16, 16, 8, new int[] {83, 132, 133, 97, 112, 144, 118, 90, 139, 117, 123, 145, 131, 117, 139, 144, 126, 153, 143, 125,
                127, 121, 135, 126, 107, 125, 139, 121, 107, 129, 135, 112, 149, 133, 119, 141, 147, 125, 119, 153, 121, 129, 123, 137, 131, 125,
                103, 121, 117, 109, 131, 137, 115, 121, 143, 135, 145, 157, 121, 122, 164, 142, 116, 141});
    }

    @Test
    void upscalingATallImageAndCroppingItsMiddleMatchesPillow() {
        matchesPillow(5, 7, 9, new int[] {177, 189, 210, 122, 6, 27, 47, 68, 80, 147, 159, 180, 148, 103, 124, 129, 73, 39, 105, 117, 138, 158, 179,
                200, 196, 92, 29, 64, 76, 97, 117, 138, 159, 171, 150, 137, 97, 84, 63, 75, 96, 117, 137, 158, 170, 205, 143, 38, 34, 55, 76, 96, 117,
                129, 195, 161, 105, 110, 131, 86, 54, 75, 87, 154, 166, 187, 207, 228, 112, 24, 45, 57, 113, 125, 146, 166, 187, 154, 132, 153, 165});
    }

    @Test
    void aConstantImageStaysConstantAtAnySize() {
        byte[] c = new byte[31 * 17];
        java.util.Arrays.fill(c, (byte) 200);
        for (int s : new int[] {1, 5, 16, 64}) {
            for (byte v : Resampler.coverAndCrop(c, 17, 31, s, s)) assertEquals(200, v & 0xff);
        }
    }
}

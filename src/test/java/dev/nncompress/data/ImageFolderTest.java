package dev.nncompress.data;

import dev.nncompress.util.ThreadAllocation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Image folders of PNG and JPEG files written here: layout, split, channels, resizing, and hostile files. */
class ImageFolderTest {
    @TempDir Path tmp;

    /** A w x h image of one colour; a grayscale image of its blue byte when {@code gray}. */
    static byte[] encode(String format, int w, int h, int rgb, boolean gray) {
        BufferedImage img = new BufferedImage(w, h, gray ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_3BYTE_BGR);
        // written into the raster's bytes (BGR order): setRGB on TYPE_BYTE_GRAY would convert sRGB to linear gray
        byte[] data = ((java.awt.image.DataBufferByte) img.getRaster().getDataBuffer()).getData();
        for (int i = 0; i < data.length; i++) data[i] = (byte) (gray ? rgb : rgb >> (8 * (i % 3)));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(img, format, out)) throw new IllegalStateException("no writer for " + format);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static Path put(Path file, byte[] bytes) {
        try {
            Files.createDirectories(file.getParent());
            return Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Class c's images are gray level 40 * (c + 1). */
    private Path grayFolder(String name, List<String> classes, int perClass) {
        Path root = tmp.resolve(name);
        for (int c = 0; c < classes.size(); c++) {
            int v = 40 * (c + 1);
            for (int i = 0; i < perClass; i++) put(root.resolve(classes.get(c)).resolve("img" + i + ".png"), encode("png", 6, 4, v << 16 | v << 8 | v, true));
        }
        return root;
    }

    private static float first(RawImages r, int image) {
        int per = r.channels() * r.height() * r.width();
        return r.normalise(Normalization.IDENTITY, 65536).images()[image * per];
    }

    @Test
    void classesAreSortedFolderNamesAndTheSplitIsSeededAndDisjoint() {
        Path root = grayFolder("g", List.of("zebra", "apple", "mango"), 10);
        put(root.resolve("apple/notes.txt"), new byte[] {1});
        put(root.resolve("apple/.hidden.png"), new byte[] {1});
        DataSplits s = DataSource.load(DataRequest.of(root).withImageSize(8, 8));
        assertEquals("image-folder", s.format());
        assertEquals(List.of("apple", "mango", "zebra"), s.classNames());
        assertEquals("1x8x8", s.shape(), "all gray: one channel");
        assertEquals(24, s.train().count());
        assertEquals(6, s.test().count());
        assertTrue(s.split().contains("1 non-PNG/JPEG files skipped"), s.split());
        for (RawImages r : List.of(s.train(), s.test())) {
            for (int i = 0; i < r.count(); i++) {
                int made = List.of("zebra", "apple", "mango").indexOf(s.classNames().get(r.label(i))); // grayFolder's level order
                assertEquals(40 * (made + 1) / 255f, first(r, i), "the label follows its folder");
            }
        }
        DataSplits again = DataSource.load(DataRequest.of(root).withImageSize(8, 8));
        assertArrayEquals(s.test().labels(), again.test().labels());
        DataSplits limited = DataSource.load(DataRequest.of(root).withImageSize(8, 8).withLimits(5, 0));
        assertArrayEquals(Arrays.copyOf(s.train().labels(), 5), limited.train().labels(), "--train-limit reads the shuffled order's first images");
        assertTrue(Arrays.stream(limited.train().labels()).distinct().count() > 1, "a limit samples classes, not the first folder");
    }

    @Test
    void oneColourImageMakesEveryImageRgbUnlessChannelsSaysOtherwise() {
        Path root = grayFolder("mix", List.of("a", "b"), 3);
        put(root.resolve("b/red.jpg"), encode("jpeg", 8, 8, 0xC80000, false));
        DataSplits rgb = DataSource.load(DataRequest.of(root).withImageSize(4, 4).withSplit(0.4, 1));
        assertEquals(3, rgb.channels());
        RawImages all = rgb.train();
        for (int i = 0; i < all.count(); i++) {
            float[] px = all.select(new int[] {i}).normalise(Normalization.IDENTITY, 2).images();
            boolean red = px[0] > 0.7f && px[16] < 0.1f;
            if (!red) assertEquals(px[0], px[16], "a gray image repeated into R, G and B");
        }
        DataSplits one = DataSource.load(DataRequest.of(root).withImageSize(4, 4).withChannels(1).withSplit(0.4, 1));
        assertEquals(1, one.channels());
    }

    @Test
    void trainAndTestFoldersClassesOptionAndMissingClasses() {
        Path root = tmp.resolve("split");
        grayFolder("split/train", List.of("cat", "dog", "owl"), 2);
        grayFolder("split/test", List.of("dog", "cat"), 1);
        DataSplits s = DataSource.load(DataRequest.of(root).withImageSize(4, 4));
        assertEquals(6, s.train().count());
        assertEquals(2, s.test().count(), "a test split may lack a class");
        assertTrue(s.split().startsWith("train/ and test/ folders"), s.split());
        assertThrows(IllegalArgumentException.class, () -> DataSource.load(DataRequest.of(root).withSplit(0.2, 0)));

        DataSplits picked = DataSource.load(DataRequest.of(root).withImageSize(4, 4).withClasses(List.of("owl", "cat")));
        assertEquals(List.of("owl", "cat"), picked.classNames());
        assertEquals(4, picked.train().count());
        assertEquals(1, picked.test().count());

        DatasetException missing = assertThrows(DatasetException.class,
                () -> DataSource.load(DataRequest.of(root).withClasses(List.of("cat", "emu"))));
        assertTrue(missing.getMessage().contains("emu: class folder not found"), missing.getMessage());
        grayFolder("split/test", List.of("yak"), 1);
        DatasetException stray = assertThrows(DatasetException.class, () -> DataSource.load(DataRequest.of(root)));
        assertTrue(stray.getMessage().contains("yak: class folder with no counterpart"), stray.getMessage());
    }

    @Test
    void imagesAreResizedAndCroppedAndLargeOnesSubsampled() {
        Path root = tmp.resolve("sizes");
        put(root.resolve("a/wide.png"), encode("png", 64, 16, 0x102030, false));
        put(root.resolve("b/big.png"), encode("png", 2100, 2100, 0x304050, false)); // 4.4 megapixels: decoded every 2nd pixel
        DataSplits s = DataSource.load(DataRequest.of(root).withImageSize(5, 5).withSplit(0.5, 0));
        assertEquals("3x5x5", s.shape());
        for (RawImages r : List.of(s.train(), s.test())) {
            float[] px = r.normalise(Normalization.IDENTITY, 2).images();
            int rgb = r.label(0) == 0 ? 0x102030 : 0x304050;
            for (int c = 0; c < 3; c++) for (int p = 0; p < 25; p++) assertEquals(((rgb >> (16 - 8 * c)) & 0xff) / 255f, px[c * 25 + p]);
        }
        assertEquals(2, ImageDecoder.subsampling(2100, 2100));
        assertEquals(1, ImageDecoder.subsampling(2048, 2048));
    }

    private static void refused(Path root, String... parts) {
        DatasetException e = assertThrows(DatasetException.class, () -> DataSource.load(DataRequest.of(root).withSplit(0.5, 0)));
        for (String p : parts) assertTrue(e.getMessage().contains(p), "'" + p + "' not in: " + e.getMessage());
    }

    /** A PNG of only a signature, an IHDR claiming {@code w x h} and IEND: no pixel data at all. */
    static byte[] pngHeader(int w, int h) {
        ByteBuffer b = ByteBuffer.allocate(8 + 25 + 12);
        b.put(new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10});
        byte[] ihdr = ByteBuffer.allocate(17).put("IHDR".getBytes()).putInt(w).putInt(h).put(new byte[] {8, 2, 0, 0, 0}).array();
        CRC32 crc = new CRC32();
        crc.update(ihdr);
        b.putInt(13).put(ihdr).putInt((int) crc.getValue());
        crc.reset();
        crc.update("IEND".getBytes());
        return b.putInt(0).put("IEND".getBytes()).putInt((int) crc.getValue()).array();
    }

    @Test
    void hostileFilesAreRefusedNamingThem() {
        Path ok = grayFolder("h", List.of("a", "b"), 2);
        put(ok.resolve("a/garbage.png"), "definitely not an image".getBytes());
        refused(ok, "garbage.png: not a PNG or JPEG image");

        Path empty = grayFolder("e", List.of("a", "b"), 2);
        put(empty.resolve("b/zero.jpg"), new byte[0]);
        refused(empty, "zero.jpg: empty file");

        Path cut = grayFolder("c", List.of("a", "b"), 2);
        byte[] png = encode("png", 40, 40, 0x123456, false);
        put(cut.resolve("a/cut.png"), Arrays.copyOf(png, png.length - 30));
        refused(cut, "cut.png: cannot decode");

        Path gif = grayFolder("gif", List.of("a", "b"), 2);
        put(gif.resolve("a/anim.png"), encode("gif", 4, 4, 0xffffff, false));
        refused(gif, "anim.png: is a GIF image");

        Path none = tmp.resolve("none");
        put(none.resolve("a/readme.txt"), new byte[1]);
        put(none.resolve("b/x.png"), encode("png", 2, 2, 0, true));
        refused(none, "class folder holds no PNG or JPEG files");
    }

    @Test
    void hugeClaimedDimensionsAreRefusedBeforeDecoding() {
        Path png = grayFolder("bomb", List.of("a", "b"), 2);
        put(png.resolve("a/huge.png"), pngHeader(30_000, 30_000));
        long allocated = ThreadAllocation.during(() -> refused(png, "huge.png: header claims 30000x30000 pixels"));
        assertTrue(allocated < (32 << 20), "refused after allocating " + allocated + " bytes");

        Path jpg = grayFolder("jbomb", List.of("a", "b"), 2);
        byte[] j = encode("jpeg", 16, 16, 0x808080, false);
        for (int i = 0; i + 8 < j.length; i++) {
            if ((j[i] & 0xff) == 0xFF && (j[i + 1] & 0xff) == 0xC0) { // SOF0: length, precision, height, width
                j[i + 5] = (byte) 0xEA;
                j[i + 6] = 0x60;
                j[i + 7] = (byte) 0xEA;
                j[i + 8] = 0x60;
                break;
            }
        }
        put(jpg.resolve("b/huge.jpg"), j);
        refused(jpg, "huge.jpg: header claims 60000x60000 pixels");
    }
}

package dev.nncompress.fuzz;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static dev.nncompress.data.NumpyTestFiles.dict;
import static dev.nncompress.data.NumpyTestFiles.floats;
import static dev.nncompress.data.NumpyTestFiles.int64s;
import static dev.nncompress.data.NumpyTestFiles.npy;
import static dev.nncompress.data.NumpyTestFiles.zip;

/**
 * Seeds of the dataset targets: small valid inputs of every layout each reader takes, a few hundred bytes each
 * (libFuzzer sizes its inputs to the largest seed). Deterministic, as {@link SeedCorpus} requires.
 */
final class DataSeeds {
    private static final Path NUMPY_FIXTURES = Path.of("src/test/resources/data");

    private DataSeeds() {}

    /** {@code .npz} files: the numpy-made fixtures (NHWC uint8 deflated, NCHW float32 stored) and hand-built N,H,W and x/y-only ones. */
    static Map<String, byte[]> npz() throws IOException {
        Map<String, byte[]> s = new LinkedHashMap<>();
        s.put("keras_nhwc.npz", Files.readAllBytes(NUMPY_FIXTURES.resolve("keras_nhwc.npz")));
        s.put("torch_nchw.npz", Files.readAllBytes(NUMPY_FIXTURES.resolve("torch_nchw.npz")));
        Map<String, byte[]> e = new LinkedHashMap<>();
        e.put("x.npy", npy(dict("|u1", "(5, 3, 4)"), ramp(60)));
        e.put("y.npy", npy(dict("<i8", "(5,)"), int64s(0, 1, 2, 1, 0)));
        s.put("gray_nhw_stored.npz", zip(e, false));
        s.put("gray_nhw_deflated.npz", zip(e, true));
        return s;
    }

    /** x.npy and y.npy pairs ({@link FilePair}): the numpy-made N,H,W uint8 with big-endian int16 labels, NCHW float32, NHWC uint8 (N, 1) labels, version 2.0; at least 3 examples, so that the seeded split holds one out. */
    static Map<String, byte[]> npyPairs() throws IOException {
        Map<String, byte[]> s = new LinkedHashMap<>();
        Path dir = NUMPY_FIXTURES.resolve("npy");
        s.put("numpy_nhw_be_labels", new FilePair(0, Files.readAllBytes(dir.resolve("x.npy")), Files.readAllBytes(dir.resolve("y.npy"))).encode());
        float[] x = new float[3 * 3 * 2 * 2];
        for (int i = 0; i < x.length; i++) x[i] = i / 4f - 2;
        s.put("nchw_float32", new FilePair(0, npy(dict("<f4", "(3, 3, 2, 2)"), floats(x)), npy(dict("<i8", "(3,)"), int64s(2, 0, 1))).encode());
        s.put("nhwc_uint8_column_labels", new FilePair(0, npy(dict("|u1", "(4, 2, 3, 1)"), ramp(24)),
                npy(dict("|u1", "(4, 1)"), new byte[] {1, 0, 1, 3})).encode());
        s.put("version2_header", new FilePair(0, npy(2, dict("|u1", "(3, 2, 2)"), ramp(12)),
                npy(2, dict("<u2", "(3,)"), new byte[] {1, 0, 0, 0, 2, 0})).encode());
        return s;
    }

    /** PNG and JPEG files of a few pixels, one per colour model the decoder tells apart. */
    static Map<String, byte[]> images() {
        Map<String, byte[]> s = new LinkedHashMap<>();
        s.put("rgb.png", encode(pattern(new BufferedImage(5, 4, BufferedImage.TYPE_INT_RGB)), "png"));
        s.put("argb.png", encode(pattern(new BufferedImage(3, 5, BufferedImage.TYPE_INT_ARGB)), "png"));
        s.put("gray.png", grayPng());
        s.put("gray16.png", encode(pattern(new BufferedImage(4, 4, BufferedImage.TYPE_USHORT_GRAY)), "png"));
        s.put("palette.png", encode(pattern(new BufferedImage(6, 3, BufferedImage.TYPE_BYTE_INDEXED)), "png"));
        s.put("bits1.png", encode(pattern(new BufferedImage(9, 2, BufferedImage.TYPE_BYTE_BINARY)), "png"));
        s.put("rgb.jpg", encode(pattern(new BufferedImage(8, 8, BufferedImage.TYPE_3BYTE_BGR)), "jpeg"));
        s.put("gray.jpg", encode(pattern(new BufferedImage(8, 5, BufferedImage.TYPE_BYTE_GRAY)), "jpeg"));
        return s;
    }

    /** The 4x3 grayscale PNG: an image seed, and the fixed images of the image-folder target's second class. */
    static byte[] grayPng() { return encode(pattern(new BufferedImage(4, 3, BufferedImage.TYPE_BYTE_GRAY)), "png"); }

    /** CIFAR inputs ({@link FilePair}: names file, then a batch of two records): CIFAR-10, CIFAR-100 fine (flags 1) and coarse (flags 3). */
    static Map<String, byte[]> cifar() {
        Map<String, byte[]> s = new LinkedHashMap<>();
        s.put("cifar10", new FilePair(0, names("class", 10), records(1, 7, 3)).encode());
        s.put("cifar100_fine", new FilePair(1, names("fine", 100), records(2, 19, 99)).encode());
        s.put("cifar100_coarse", new FilePair(3, names("coarse", 20), records(2, 4, 17)).encode());
        return s;
    }

    private static byte[] names(String prefix, int n) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) b.append(prefix).append(i).append('\n');
        return b.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    /** Two records with {@code labelBytes} label bytes (the first record's labels a, the second's b) and ramp pixels. */
    private static byte[] records(int labelBytes, int a, int b) {
        int rec = labelBytes + 3072;
        byte[] r = new byte[2 * rec];
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < labelBytes; j++) r[i * rec + j] = (byte) (i == 0 ? a : b);
            for (int k = labelBytes; k < rec; k++) r[i * rec + k] = (byte) (k * 7 + i);
        }
        return r;
    }

    private static byte[] ramp(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (i * 37);
        return b;
    }

    private static BufferedImage pattern(BufferedImage img) {
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) img.setRGB(x, y, 0x80000000 | ((x * 97 + y * 31) * 0x010305 & 0xffffff));
        }
        return img;
    }

    private static byte[] encode(BufferedImage img, String format) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(img, format, out)) throw new IllegalStateException("no " + format + " writer for image type " + img.getType());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}

package dev.nncompress.cli;

import dev.nncompress.data.FashionMnist;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A Fashion-MNIST directory of {@code n} train and {@code n} test images (ramp pixels, labels 0..9 in
 * turn), so that forked {@code eval} and {@code bench} runs need neither the installed dataset nor the
 * time to read 60,000 images.
 */
final class TinyFashionMnist {
    private TinyFashionMnist() {}

    static Path write(Path dir, int n) {
        try {
            Files.createDirectories(dir);
            byte[] pixels = new byte[n * 28 * 28];
            for (int i = 0; i < pixels.length; i++) pixels[i] = (byte) (i * 7);
            byte[] labels = new byte[n];
            for (int i = 0; i < n; i++) labels[i] = (byte) (i % 10);
            for (String[] f : new String[][] {{FashionMnist.TRAIN_IMAGES, FashionMnist.TRAIN_LABELS}, {FashionMnist.TEST_IMAGES, FashionMnist.TEST_LABELS}}) {
                Files.write(dir.resolve(f[0]), idx(new int[] {n, 28, 28}, pixels));
                Files.write(dir.resolve(f[1]), idx(new int[] {n}, labels));
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An unsigned-byte IDX file: magic {@code 00 00 08 ndims}, big-endian dims, then {@code data}. */
    static byte[] idx(int[] dims, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length);
        b.put((byte) 0).put((byte) 0).put((byte) 0x08).put((byte) dims.length);
        for (int d : dims) b.putInt(d);
        return b.put(data).array();
    }
}

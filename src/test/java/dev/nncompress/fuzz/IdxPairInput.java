package dev.nncompress.fuzz;

import java.util.LinkedHashMap;
import java.util.Map;

import static dev.nncompress.data.IdxTestFiles.gzip;
import static dev.nncompress.data.IdxTestFiles.ubyte;

/**
 * One input of the IDX target: a label file and an image file, framed as a {@link FilePair} (the label file
 * first). Flags: bit 0 gzip the image file, bit 1 gzip the label file (the harness compresses, so the
 * fuzzer mutates IDX contents rather than deflate streams; a seed whose bytes are gzip already covers
 * corrupt streams, since the reader detects gzip by its magic), bit 2 read only the first {@value #LIMIT}
 * images (as {@code eval --test-limit} does).
 */
record IdxPairInput(int flags, byte[] labels, byte[] images) {
    static final int LIMIT = 2;

    /** The label file as the loader gets it: compressed when the flag says so. */
    byte[] labelFile() { return gzipLabels() ? gzip(labels) : labels; }

    byte[] imageFile() { return gzipImages() ? gzip(images) : images; }

    static IdxPairInput decode(byte[] in) {
        FilePair p = FilePair.decode(in);
        return new IdxPairInput(p.flags(), p.first(), p.second());
    }

    byte[] encode() { return new FilePair(flags, labels, images).encode(); }

    boolean gzipImages() { return (flags & 1) != 0; }

    boolean gzipLabels() { return (flags & 2) != 0; }

    int limit() { return (flags & 4) != 0 ? LIMIT : Integer.MAX_VALUE; }

    /** Seeds: small valid pairs (28x28 and other sizes, plain, gzip by flag and gzip in the bytes, limited, many classes). */
    static Map<String, byte[]> seeds() {
        Map<String, byte[]> s = new LinkedHashMap<>();
        s.put("plain-4x28x28", pair(0, 4, 28, 28, 10).encode());
        s.put("gzip-flags-3x28x28", pair(3, 3, 28, 28, 10).encode());
        s.put("limited-5x28x28", pair(4, 5, 28, 28, 10).encode());
        s.put("12-classes-3x28x28", pair(0, 3, 28, 28, 12).encode());
        s.put("small-images-6x7x5", pair(0, 6, 7, 5, 10).encode());
        IdxPairInput p = pair(0, 2, 28, 28, 10);
        s.put("gzip-bytes-2x28x28", new IdxPairInput(0, gzip(p.labels()), gzip(p.images())).encode());
        return s;
    }

    /** n images of h x w with a deterministic pattern, labels cycling through 0..classes-1 (so the largest is classes-1 when n allows). */
    private static IdxPairInput pair(int flags, int n, int h, int w, int classes) {
        byte[] pixels = new byte[n * h * w];
        for (int i = 0; i < pixels.length; i++) pixels[i] = (byte) (i * 37 + i / w * 11);
        byte[] labels = new byte[n];
        for (int i = 0; i < n; i++) labels[i] = (byte) (i == n - 1 ? classes - 1 : i % classes);
        return new IdxPairInput(flags, ubyte(new int[] {n}, labels), ubyte(new int[] {n, h, w}, pixels));
    }
}

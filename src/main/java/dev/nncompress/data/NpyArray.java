package dev.nncompress.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The data of a {@code .npy} array after its {@link NpyHeader}, read as images ({@code x}) or labels ({@code y}).
 *
 * <p>Layout rule for {@code x} (docs/data.md): rank 3 is {@code N, H, W} (grayscale); rank 4 is {@code N, C, H, W}
 * (PyTorch's layout) when axis 1 is 1 or 3, else {@code N, H, W, C} (NumPy/TensorFlow's) when axis 3 is 1 or 3,
 * else refused. Values are uint8 pixels (divided by 255 before normalisation) or float32 values, finite and within +-1e6 (normalised as
 * they are). {@code y} is {@code N} or {@code N, 1} integers (any width, either byte order) in [0, 65535].
 *
 * <p>The data must be exactly as long as the header's shape says ({@code payload}, the file's or zip entry's size
 * after the header); bytes are read as they arrive (never allocated on the header's word alone, because a zip entry's
 * size is itself a claim), and a stream that ends early or runs on is refused.
 */
final class NpyArray {
    private NpyArray() {}

    /** The first {@code limit} images of {@code x}, NCHW, with the labels given. */
    static RawImages images(InputStream in, NpyHeader h, long payload, String where, int limit, int[] labels) throws IOException {
        checkPayload(h, payload, where);
        long[] s = h.shape();
        int n = (int) Math.min(limit, s[0]);
        if (labels.length != n) throw new IllegalStateException("labels for " + labels.length + " images, reading " + n);
        int c;
        int height;
        int width;
        boolean channelsLast = false;
        if (s.length == 3) {
            c = 1;
            height = (int) s[1];
            width = (int) s[2];
        } else if (s.length == 4 && (s[1] == 1 || s[1] == 3)) {
            c = (int) s[1];
            height = (int) s[2];
            width = (int) s[3];
        } else if (s.length == 4 && (s[3] == 1 || s[3] == 3)) {
            c = (int) s[3];
            height = (int) s[1];
            width = (int) s[2];
            channelsLast = true;
        } else {
            throw new DatasetException(where + ": x is " + h.describe() + "; images are N,H,W or N,C,H,W / N,H,W,C with C = 1 or 3");
        }
        if (height < 1 || width < 1 || (long) c * height * width > DataLimits.MAX_IMAGE_VALUES) {
            throw new DatasetException(where + ": x is " + h.describe() + "; images need 1 to " + DataLimits.MAX_IMAGE_VALUES + " values each");
        }
        boolean isFloat = h.kind() == 'f' && h.itemSize() == 4;
        if (!isFloat && !(h.kind() == 'u' && h.itemSize() == 1)) {
            throw new DatasetException(where + ": x has dtype '" + h.descr() + "'; images are uint8 or float32 (x.astype(np.float32))");
        }
        int per = c * height * width;
        DataLimits.checkMemory(where, n, per, h.itemSize());
        byte[] raw = readExactly(in, (long) n * per * h.itemSize(), where, n == s[0]);
        if (!isFloat) {
            return RawImages.ofBytes(channelsLast ? toChannelsFirst(raw, n, height, width, c) : raw, labels, c, height, width);
        }
        float[] v = new float[n * per];
        ByteBuffer.wrap(raw).order(h.bigEndian() ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        for (int i = 0; i < v.length; i++) {
            // within the range a normalisation may have, so that the training split's mean and std are one (a fuzz finding)
            if (!(Math.abs(v[i]) <= Normalization.MAX_ABS_MEAN)) {
                throw new DatasetException(where + ": x holds " + v[i] + " at element " + i + "; values must be finite and within +-1e6");
            }
        }
        if (channelsLast) {
            float[] t = new float[v.length];
            int plane = height * width;
            for (int i = 0; i < n; i++) {
                for (int p = 0; p < plane; p++) for (int k = 0; k < c; k++) t[(i * c + k) * plane + p] = v[(i * plane + p) * c + k];
            }
            v = t;
        }
        return RawImages.ofFloats(v, labels, c, height, width);
    }

    /** The first {@code limit} labels of {@code y}. */
    static int[] labels(InputStream in, NpyHeader h, long payload, String where, int limit) throws IOException {
        checkPayload(h, payload, where);
        long[] s = h.shape();
        if (!(s.length == 1 || (s.length == 2 && s[1] == 1))) throw new DatasetException(where + ": y is " + h.describe() + "; labels are N or N,1");
        if (h.kind() != 'i' && h.kind() != 'u') {
            throw new DatasetException(where + ": y has dtype '" + h.descr() + "'; labels are integers (y.astype(np.int64))");
        }
        int n = (int) Math.min(limit, s[0]);
        DataLimits.checkMemory(where, n, 1, h.itemSize());
        ByteBuffer b = ByteBuffer.wrap(readExactly(in, (long) n * h.itemSize(), where, n == s[0]))
                .order(h.bigEndian() ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            long v = switch (h.itemSize()) {
                case 1 -> h.kind() == 'u' ? b.get() & 0xff : b.get();
                case 2 -> h.kind() == 'u' ? b.getShort() & 0xffff : b.getShort();
                case 4 -> h.kind() == 'u' ? b.getInt() & 0xffffffffL : b.getInt();
                default -> b.getLong(); // an unsigned 8-byte value >= 2^63 reads negative: refused below as it should be
            };
            if (v < 0 || v > RawImages.MAX_LABEL) {
                throw new DatasetException(where + ": y holds label " + v + " at index " + i + "; labels are in [0, " + RawImages.MAX_LABEL + "]");
            }
            out[i] = (int) v;
        }
        return out;
    }

    private static void checkPayload(NpyHeader h, long payload, String where) {
        if (payload != h.dataBytes()) {
            throw new DatasetException(where + ": " + (payload < h.dataBytes() ? "truncated: " : "") + "the header declares " + h.describe() + " = "
                    + h.dataBytes() + " bytes of data but " + payload + " follow it");
        }
    }

    /** {@code bytes} bytes, grown as they arrive; with {@code whole}, the stream must end right after them. */
    private static byte[] readExactly(InputStream in, long bytes, String where, boolean whole) throws IOException {
        if (bytes > Integer.MAX_VALUE - 8) throw new DatasetException(where + ": " + bytes + " bytes of data do not fit in one Java array; use --train-limit/--test-limit");
        byte[] data = IdxReader.readGrowing(in, (int) bytes);
        if (data.length < bytes) throw new DatasetException(where + ": truncated: the data end after " + data.length + " of " + bytes + " bytes");
        if (whole && in.read() != -1) throw new DatasetException(where + ": has bytes after the data its header declares");
        return data;
    }

    private static byte[] toChannelsFirst(byte[] v, int n, int h, int w, int c) {
        if (c == 1) return v; // N,H,W,1 is already N,1,H,W in memory
        byte[] t = new byte[v.length];
        int plane = h * w;
        for (int i = 0; i < n; i++) {
            for (int p = 0; p < plane; p++) for (int k = 0; k < c; k++) t[(i * c + k) * plane + p] = v[(i * plane + p) * c + k];
        }
        return t;
    }
}

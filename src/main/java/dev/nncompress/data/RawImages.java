package dev.nncompress.data;

import java.util.Arrays;

/**
 * Images as a reader found them, before normalisation: 8-bit pixels (IDX, PNG/JPEG, CIFAR, uint8 arrays) or float32
 * values (float arrays), NCHW, with integer labels. Every reader produces one; {@link #normalise} turns it into the
 * {@link Dataset} training and evaluation use, {@link #statistics()} gives the per-channel mean and std a dataset
 * without a stated normalisation is normalised with.
 *
 * <p>Immutable: the factories take ownership of the arrays they are given (readers that just built them), and
 * every operation returns a new instance.
 */
public final class RawImages {
    /** Images have 1 (grayscale) or 3 (RGB) channels; every layout rule and conversion is stated for those. */
    public static final int MAX_CHANNELS = 3;

    /** Labels are class indices in [0, 65535]. */
    public static final int MAX_LABEL = 65_535;

    private final byte[] bytes;   // 8-bit pixels, or null
    private final float[] floats; // float32 values, or null
    private final int[] labels;
    private final int channels;
    private final int height;
    private final int width;

    private RawImages(byte[] bytes, float[] floats, int[] labels, int channels, int height, int width) {
        if (channels != 1 && channels != 3) throw new IllegalArgumentException("images have " + channels + " channels; expected 1 or 3");
        if (height <= 0 || width <= 0) throw new IllegalArgumentException("images of " + height + "x" + width + " pixels");
        long expected = (long) labels.length * channels * height * width;
        int actual = bytes != null ? bytes.length : floats.length;
        if (actual != expected) {
            throw new IllegalArgumentException(actual + " values for " + labels.length + " images of " + channels + "x" + height + "x" + width);
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] > MAX_LABEL) throw new IllegalArgumentException("label " + labels[i] + " of image " + i + " is outside 0.." + MAX_LABEL);
        }
        this.bytes = bytes;
        this.floats = floats;
        this.labels = labels;
        this.channels = channels;
        this.height = height;
        this.width = width;
    }

    /** 8-bit pixels, NCHW; takes ownership of both arrays. */
    public static RawImages ofBytes(byte[] pixels, int[] labels, int channels, int height, int width) {
        return new RawImages(pixels, null, labels, channels, height, width);
    }

    /** float32 values, NCHW (finite: the readers check); takes ownership of both arrays. */
    public static RawImages ofFloats(float[] values, int[] labels, int channels, int height, int width) {
        return new RawImages(null, values, labels, channels, height, width);
    }

    public int count() { return labels.length; }

    public int channels() { return channels; }

    public int height() { return height; }

    public int width() { return width; }

    /** True for float32 values, false for 8-bit pixels. */
    public boolean isFloat() { return floats != null; }

    public int label(int i) { return labels[i]; }

    /** A copy of the labels. */
    public int[] labels() { return labels.clone(); }

    /** The largest label, or -1 when there are no images. */
    public int maxLabel() {
        int m = -1;
        for (int l : labels) m = Math.max(m, l);
        return m;
    }

    /** The first {@code n} images (all if there are fewer). */
    public RawImages first(int n) {
        if (n >= count()) return this;
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        return select(idx);
    }

    /** The images at {@code indices}, in that order. */
    public RawImages select(int[] indices) {
        int size = channels * height * width;
        int[] l = new int[indices.length];
        byte[] b = bytes == null ? null : new byte[indices.length * size];
        float[] f = floats == null ? null : new float[indices.length * size];
        for (int i = 0; i < indices.length; i++) {
            int src = indices[i];
            l[i] = labels[src];
            if (b != null) System.arraycopy(bytes, src * size, b, i * size, size);
            else System.arraycopy(floats, src * size, f, i * size, size);
        }
        return new RawImages(b, f, l, channels, height, width);
    }

    /**
     * The same images with {@code c} channels: grayscale to RGB repeats the plane; RGB to grayscale takes the
     * luma of ITU-R BT.601 as Pillow's {@code convert("L")} does ({@code (299 R + 587 G + 114 B + 500) / 1000}
     * for bytes, {@code 0.299 R + 0.587 G + 0.114 B} for floats).
     */
    public RawImages withChannels(int c) {
        if (c == channels) return this;
        if (c != 1 && c != 3) throw new IllegalArgumentException("images can be converted to 1 or 3 channels, not " + c);
        int plane = height * width;
        int n = count();
        byte[] b = bytes == null ? null : new byte[n * c * plane];
        float[] f = floats == null ? null : new float[n * c * plane];
        for (int i = 0; i < n; i++) {
            int in = i * channels * plane;
            int out = i * c * plane;
            if (c == 3) {
                for (int k = 0; k < 3; k++) {
                    if (b != null) System.arraycopy(bytes, in, b, out + k * plane, plane);
                    else System.arraycopy(floats, in, f, out + k * plane, plane);
                }
            } else {
                for (int p = 0; p < plane; p++) {
                    if (b != null) {
                        int r = bytes[in + p] & 0xff, g = bytes[in + plane + p] & 0xff, bl = bytes[in + 2 * plane + p] & 0xff;
                        b[out + p] = (byte) luma(r, g, bl);
                    } else {
                        f[out + p] = 0.299f * floats[in + p] + 0.587f * floats[in + plane + p] + 0.114f * floats[in + 2 * plane + p];
                    }
                }
            }
        }
        return new RawImages(b, f, labels, c, height, width);
    }

    /** ITU-R BT.601 luma of 8-bit R, G, B, rounded as Pillow's {@code convert("L")}. */
    static int luma(int r, int g, int b) {
        return (299 * r + 587 * g + 114 * b + 500) / 1000;
    }

    /**
     * Mean and (population) standard deviation of each channel over all images, of the values normalisation
     * starts from (bytes / 255, or the floats). A channel with no spread (std below 10^-6) gets std 1, so that
     * normalising it subtracts the mean and divides by nothing dangerous.
     */
    public Normalization statistics() {
        if (count() == 0) throw new IllegalArgumentException("no images to compute a mean and std from");
        int plane = height * width;
        float[] mean = new float[channels];
        float[] std = new float[channels];
        double n = (double) count() * plane;
        for (int c = 0; c < channels; c++) {
            double m;
            double var;
            if (bytes != null) { // integer sums are exact, so the result does not depend on summation order
                long[] hist = new long[256];
                for (int i = 0; i < count(); i++) {
                    int off = (i * channels + c) * plane;
                    for (int p = 0; p < plane; p++) hist[bytes[off + p] & 0xff]++;
                }
                double s = 0;
                double s2 = 0;
                for (int v = 0; v < 256; v++) {
                    s += (double) v * hist[v];
                    s2 += (double) v * v * hist[v];
                }
                m = s / n / 255;
                var = Math.max(0, s2 / n / (255.0 * 255) - m * m);
            } else { // two passes in double: a float mean first, then the squared deviations from it
                double s = 0;
                for (int i = 0; i < count(); i++) {
                    int off = (i * channels + c) * plane;
                    for (int p = 0; p < plane; p++) s += floats[off + p];
                }
                m = s / n;
                double d2 = 0;
                for (int i = 0; i < count(); i++) {
                    int off = (i * channels + c) * plane;
                    for (int p = 0; p < plane; p++) {
                        double d = floats[off + p] - m;
                        d2 += d * d;
                    }
                }
                var = d2 / n;
            }
            mean[c] = (float) m;
            float sd = (float) Math.sqrt(var);
            std[c] = sd < Normalization.MIN_STD ? 1f : sd;
        }
        return new Normalization(mean, std);
    }

    /**
     * The normalised dataset: {@code (v - mean[c]) / std[c]} in float arithmetic, {@code v = byte / 255f} for 8-bit
     * pixels (so Fashion-MNIST's values are bit for bit those {@link FashionMnist} has always produced).
     */
    public Dataset normalise(Normalization norm, int numClasses) {
        Normalization n = norm.forChannels(channels);
        float[] mean = n.mean();
        float[] std = n.std();
        int plane = height * width;
        float[] out = new float[count() * channels * plane];
        float[][] lut = new float[channels][256];
        for (int c = 0; c < channels; c++) {
            for (int v = 0; v < 256; v++) lut[c][v] = (v / 255f - mean[c]) / std[c];
        }
        for (int i = 0; i < count(); i++) {
            for (int c = 0; c < channels; c++) {
                int off = (i * channels + c) * plane;
                if (bytes != null) {
                    float[] t = lut[c];
                    for (int p = 0; p < plane; p++) out[off + p] = t[bytes[off + p] & 0xff];
                } else {
                    for (int p = 0; p < plane; p++) out[off + p] = (floats[off + p] - mean[c]) / std[c];
                }
            }
        }
        return Dataset.wrap(out, labels.clone(), channels, height, width, numClasses);
    }

    @Override
    public String toString() {
        return "RawImages[" + count() + " x " + channels + "x" + height + "x" + width + (isFloat() ? " float32" : " uint8") + ", labels " + Arrays.stream(labels).max().orElse(-1) + " max]";
    }
}

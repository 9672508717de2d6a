package dev.nncompress.data;

import java.util.Arrays;
import java.util.Locale;

/**
 * Per-channel input normalisation: a pixel of channel {@code c} becomes {@code (v - mean[c]) / std[c]}, where
 * {@code v} is the byte divided by 255 for 8-bit sources (IDX, images, CIFAR, uint8 arrays) and the value itself
 * for float32 arrays. One value may stand for every channel ({@link #forChannels}).
 *
 * <p>Validated on construction because values also come from model files and options: finite, {@code |mean| <=
 * 10^6}, {@code std} in {@code [10^-6, 10^6]} (a smaller std turns 8-bit inputs into values near the float range's
 * end, and a network fed those overflows), at most {@link RawImages#MAX_CHANNELS} channels.
 */
public record Normalization(float[] mean, float[] std) {
    static final double MAX_ABS_MEAN = 1e6;
    static final double MIN_STD = 1e-6;
    static final double MAX_STD = 1e6;

    /** What {@code train} has always used on Fashion-MNIST: the training pixels' mean and std. */
    public static final Normalization FASHION_MNIST = new Normalization(new float[] {FashionMnist.MEAN}, new float[] {FashionMnist.STD});

    /** Leaves values as they are (mean 0, std 1). */
    public static final Normalization IDENTITY = new Normalization(new float[] {0f}, new float[] {1f});

    public Normalization {
        if (mean == null || std == null) throw new IllegalArgumentException("normalisation needs both mean and std");
        if (mean.length != std.length) {
            throw new IllegalArgumentException("normalisation has " + mean.length + " mean values but " + std.length + " std values");
        }
        if (mean.length < 1 || mean.length > RawImages.MAX_CHANNELS) {
            throw new IllegalArgumentException("normalisation has " + mean.length + " channels; expected 1 to " + RawImages.MAX_CHANNELS);
        }
        for (int c = 0; c < mean.length; c++) {
            if (!Float.isFinite(mean[c]) || Math.abs(mean[c]) > MAX_ABS_MEAN) {
                throw new IllegalArgumentException("normalisation mean " + mean[c] + " (channel " + c + ") is not a finite value within +-1e6");
            }
            if (!Float.isFinite(std[c]) || std[c] < MIN_STD || std[c] > MAX_STD) {
                throw new IllegalArgumentException("normalisation std " + std[c] + " (channel " + c + ") is outside [1e-6, 1e6]");
            }
        }
        mean = mean.clone();
        std = std.clone();
    }

    @Override
    public float[] mean() { return mean.clone(); }

    @Override
    public float[] std() { return std.clone(); }

    public int channels() { return mean.length; }

    /** This normalisation for {@code channels} channels: itself, or its single value repeated; otherwise an error. */
    public Normalization forChannels(int channels) {
        if (mean.length == channels) return this;
        if (mean.length == 1) {
            float[] m = new float[channels];
            float[] s = new float[channels];
            Arrays.fill(m, mean[0]);
            Arrays.fill(s, std[0]);
            return new Normalization(m, s);
        }
        throw new IllegalArgumentException("normalisation " + this + " has " + mean.length + " channels but the images have " + channels);
    }

    /** Whether both give every channel of {@code channels}-channel images the same mean and std. */
    public boolean sameFor(Normalization other, int channels) {
        if (!fits(channels) || !other.fits(channels)) return equals(other);
        return forChannels(channels).equals(other.forChannels(channels));
    }

    private boolean fits(int channels) { return mean.length == 1 || mean.length == channels; }

    @Override
    public boolean equals(Object o) {
        return o instanceof Normalization n && Arrays.equals(mean, n.mean) && Arrays.equals(std, n.std);
    }

    @Override
    public int hashCode() { return 31 * Arrays.hashCode(mean) + Arrays.hashCode(std); }

    /** "mean [0.4914, 0.4822, 0.4465], std [0.2470, 0.2435, 0.2616]" */
    @Override
    public String toString() { return "mean " + list(mean) + ", std " + list(std); }

    private static String list(float[] v) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < v.length; i++) sb.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.4f", v[i]));
        return sb.append(']').toString();
    }
}

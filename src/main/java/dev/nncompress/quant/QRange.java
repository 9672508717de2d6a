package dev.nncompress.quant;

import java.util.Arrays;

/** The float range an observer chose, one [min, max] per channel (one entry per tensor). */
public record QRange(float[] mins, float[] maxs) {
    public QRange {
        if (mins.length == 0 || mins.length != maxs.length) {
            throw new IllegalArgumentException("QRange: need as many maxima as minima (>= 1), got " + mins.length + " and " + maxs.length);
        }
        mins = mins.clone();
        maxs = maxs.clone();
    }

    public static QRange of(float min, float max) { return new QRange(new float[] {min}, new float[] {max}); }

    public float min() { return mins[0]; }

    public float max() { return maxs[0]; }

    @Override public float[] mins() { return mins.clone(); }

    @Override public float[] maxs() { return maxs.clone(); }

    @Override public boolean equals(Object o) { return o instanceof QRange r && Arrays.equals(mins, r.mins) && Arrays.equals(maxs, r.maxs); }

    @Override public int hashCode() { return 31 * Arrays.hashCode(mins) + Arrays.hashCode(maxs); }

    @Override public String toString() { return "QRange" + Arrays.toString(mins) + ".." + Arrays.toString(maxs); }
}

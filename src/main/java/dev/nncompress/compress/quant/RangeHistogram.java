package dev.nncompress.compress.quant;

import java.util.Arrays;

/**
 * A fixed number of equal-width bins whose range grows as batches arrive, with memory bounded by the bin
 * count and without approximating earlier counts.
 *
 * <p>Bin edges lie on the grid {@code k * width} anchored at 0 (bin k holds [k*width, (k+1)*width)), and
 * the window of bins always contains 0 (a quantisation range always does). When a batch falls outside
 * the window, the width doubles until the whole range fits: bin k of the old grid lies entirely inside
 * bin floor(k / 2^d) of the new one, so merging is exact, and because x / (width * 2^d) is x / width
 * scaled by a power of two (no extra rounding), every earlier value ends up in the very bin a single
 * pass over all data at the final width would put it in (tested). The price is resolution: after a
 * growth the data spans at least half of the bins. PyTorch's HistogramObserver instead interpolates
 * when re-binning, which spreads earlier counts approximately.
 *
 * <p>In absolute mode the histogram is of |x| (TensorRT's entropy calibration); window and grid then
 * start at 0.
 */
final class RangeHistogram {
    private final int bins;
    private final boolean absolute;
    private final long[] counts;
    private double width;     // 0 until the first batch
    private long firstBin;    // grid index k of counts[0]
    private double lo = Double.POSITIVE_INFINITY;   // smallest value seen (|x| in absolute mode), 0 included
    private double hi = Double.NEGATIVE_INFINITY;
    private long total;
    private long zeros;   // values exactly 0 (of either sign)

    RangeHistogram(int bins, boolean absolute) {
        if (bins < 2) throw new IllegalArgumentException("a histogram needs at least 2 bins, got " + bins);
        this.bins = bins;
        this.absolute = absolute;
        this.counts = new long[bins];
    }

    /** Adds finite values (the observers check finiteness first). */
    void add(float[] values) {
        double bmin = 0, bmax = 0;
        for (float f : values) {
            double v = absolute ? Math.abs(f) : f;
            if (v < bmin) bmin = v;
            if (v > bmax) bmax = v;
        }
        if (width == 0) {
            initialWidth(bmin, bmax);
        }
        lo = Math.min(lo, bmin);
        hi = Math.max(hi, bmax);
        fit(lo, hi);
        for (float f : values) {
            double v = absolute ? Math.abs(f) : f;
            long i = (long) Math.floor(v / width) - firstBin;
            if (i < 0 || i >= bins) throw new IllegalStateException("value " + v + " fell outside the histogram window (bug)");
            counts[(int) i]++;
            if (v == 0) zeros++;
        }
        total += values.length;
    }

    /** First width: the batch's range spread over the bins with room for the grid's alignment. */
    private void initialWidth(double bmin, double bmax) {
        double span = bmax - bmin;
        if (span == 0) {
            width = Float.MIN_NORMAL; // all zeros: any positive width; later growth doubles it as needed
        } else {
            width = absolute ? span / (bins - 0.5) : span / (bins - 2);
        }
        firstBin = (long) Math.floor(bmin / width);
    }

    /** Widens the grid (doubling) and moves the window until [lo, hi] fits, merging bins exactly. */
    private void fit(double lo, double hi) {
        double w = width;
        int doublings = 0;
        while (Math.floor(hi / w) - Math.floor(lo / w) + 1 > bins) {
            w *= 2;
            doublings++;
        }
        long newFirst = (long) Math.floor(lo / w);
        if (doublings == 0 && newFirst >= firstBin && (long) Math.floor(hi / w) < firstBin + bins) return;
        long[] old = counts.clone();
        Arrays.fill(counts, 0);
        // old grid indices lie within +-bins of 0 (the window holds 0), so a shift of 40 already maps them to 0 or -1
        long divisor = 1L << Math.min(doublings, 40);
        for (int i = 0; i < bins; i++) {
            if (old[i] == 0) continue;
            long k = Math.floorDiv(firstBin + i, divisor);
            counts[(int) (k - newFirst)] += old[i];
        }
        width = w;
        firstBin = newFirst;
    }

    int bins() { return bins; }

    boolean absolute() { return absolute; }

    long total() { return total; }

    double width() { return width; }

    long firstBin() { return firstBin; }

    long count(int i) { return counts[i]; }

    long[] counts() { return counts.clone(); }

    /**
     * The counts with the exact zeros taken out of the bin holding 0. A ReLU output is often half
     * zeros; every scale represents 0 exactly, but the spike dominates a KL comparison of
     * distributions and drags the threshold far down (NVIDIA pytorch-quantization's {@code skip_zeros}).
     */
    long[] countsWithoutZeros() {
        long[] c = counts.clone();
        if (zeros > 0) c[(int) -firstBin] -= zeros; // floor(0 / width) - firstBin: the bin of 0, always in the window
        return c;
    }

    /** Smallest and largest value seen (of |x| in absolute mode), widened to include 0. */
    double low() { return lo; }

    double high() { return hi; }

    /** Number of bins from counts[0] up to the last bin that can hold data (the one holding {@link #high()}). */
    int usedBins() { return (int) ((long) Math.floor(hi / width) - firstBin + 1); }

    double lowerEdge(int i) { return (firstBin + i) * width; }

    /** Value below which {@code fraction} of the counts lie, linear inside the bin, clamped to [low, high]. */
    double quantile(double fraction) {
        if (total == 0) throw new IllegalStateException("empty histogram");
        double target = fraction * total;
        long cum = 0;
        for (int i = 0; i < bins; i++) {
            long c = counts[i];
            if (c > 0 && cum + c >= target) {
                double v = lowerEdge(i) + width * Math.max(0, target - cum) / c;
                return Math.max(lo, Math.min(hi, v));
            }
            cum += c;
        }
        return hi;
    }
}

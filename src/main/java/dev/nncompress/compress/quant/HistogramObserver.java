package dev.nncompress.compress.quant;

import dev.nncompress.quant.ChannelLayout;
import dev.nncompress.quant.QRange;
import dev.nncompress.quant.QScheme;

/**
 * Base of the observers that choose a clipping range from a histogram of everything they have seen
 * (percentile, MSE, KL): the exact minimum and maximum are kept beside a {@link RangeHistogram}, so that
 * memory stays bounded by the bin count whatever the number of batches. Per tensor only, like torch's
 * HistogramObserver; per-channel weights use {@link MinMaxObserver}.
 */
abstract class HistogramObserver extends AbstractObserver {
    public static final int DEFAULT_BINS = 2048;
    public static final int MIN_BINS = 256;
    static final int MAX_BINS = 1 << 20;

    final RangeHistogram histogram;
    private float min = Float.POSITIVE_INFINITY;
    private float max = Float.NEGATIVE_INFINITY;

    HistogramObserver(String name, QScheme scheme, int bins, boolean absoluteHistogram) {
        super(name, scheme);
        if (scheme.perChannel()) throw error("works per tensor only, got " + scheme + "; use minmax or ema for per-channel ranges");
        if (bins < MIN_BINS || bins > MAX_BINS) throw error("bins must be in [" + MIN_BINS + ", " + MAX_BINS + "], got " + bins);
        this.histogram = new RangeHistogram(bins, absoluteHistogram);
    }

    @Override final void accept(float[] values, ChannelLayout layout) {
        float[][] b = batchMinMax(values, layout);
        min = Math.min(min, b[0][0]);
        max = Math.max(max, b[1][0]);
        histogram.add(values);
    }

    @Override public final QRange range() {
        if (!seen()) throw nothingSeen();
        return clip(min, max);
    }

    /** The chosen range given the exact observed extremes; never wider than them. */
    abstract QRange clip(float observedMin, float observedMax);

    /** [-t, t] cut to the observed extremes (so that non-negative data keeps a range starting at 0). */
    static QRange symmetricClip(double t, float observedMin, float observedMax) {
        float tf = (float) t;
        return QRange.of(Math.max(observedMin, -tf), Math.min(observedMax, tf));
    }
}

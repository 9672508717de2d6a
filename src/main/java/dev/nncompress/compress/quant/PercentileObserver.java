package dev.nncompress.compress.quant;

import dev.nncompress.quant.QRange;
import dev.nncompress.quant.QScheme;

/**
 * Clips at a percentile of the observed values (e.g. 99.99), read from the histogram with linear
 * interpolation inside a bin (error at most one bin width). Symmetric schemes take the percentile of
 * |x| (NVIDIA pytorch-quantization's percentile calibrator); affine ones cut both tails of x by
 * (100 - p)% each.
 */
public final class PercentileObserver extends HistogramObserver {
    public static final double DEFAULT_PERCENTILE = 99.99;

    private final double percentile;

    public PercentileObserver(QScheme scheme, double percentile, int bins) {
        super("percentile", scheme, bins, scheme.symmetric());
        if (!(percentile >= 50 && percentile <= 100)) throw error("percentile must be in [50, 100], got " + percentile);
        this.percentile = percentile;
    }

    public PercentileObserver(QScheme scheme) { this(scheme, DEFAULT_PERCENTILE, DEFAULT_BINS); }

    public double percentile() { return percentile; }

    @Override QRange clip(float observedMin, float observedMax) {
        double p = percentile / 100;
        if (histogram.absolute()) return symmetricClip(histogram.quantile(p), observedMin, observedMax);
        float lo = (float) histogram.quantile(1 - p);
        float hi = (float) histogram.quantile(p);
        return QRange.of(Math.max(observedMin, lo), Math.min(observedMax, hi));
    }
}

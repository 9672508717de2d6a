package dev.nncompress.compress.quant;

import dev.nncompress.quant.QDType;
import dev.nncompress.quant.QRange;
import dev.nncompress.quant.QScheme;

/**
 * Entropy (KL divergence) calibration as TensorRT's: a histogram of |x| (2048 bins by default), the
 * threshold t minimising KL between the clipped reference distribution and its quantised version (see
 * {@link EntropyCalibration}), range [-t, t] cut to the observed extremes. The number of quantisation
 * levels over [0, t] is 128 (int8's positive half) unless the scheme is affine and all data are
 * non-negative (ReLU outputs into an affine range [0, t]), where all 256 levels cover [0, t]. Exact
 * zeros are left out of the histogram it compares ({@link RangeHistogram#countsWithoutZeros()}): with
 * them, ReLU outputs were clipped to about a quarter of their range (10-12 dB SQNR).
 */
public final class KlDivergenceObserver extends HistogramObserver {
    public KlDivergenceObserver(QScheme scheme, int bins) { super("kl", scheme, bins, true); }

    public KlDivergenceObserver(QScheme scheme) { this(scheme, DEFAULT_BINS); }

    @Override QRange clip(float observedMin, float observedMax) {
        QDType t = scheme.dtype();
        int levels = !scheme.symmetric() && observedMin >= 0 ? t.steps() + 1 : (t.steps() + 1) / 2;
        int keep = EntropyCalibration.bestBinCount(histogram.countsWithoutZeros(), histogram.usedBins(), levels);
        return symmetricClip(keep * histogram.width(), observedMin, observedMax);
    }
}

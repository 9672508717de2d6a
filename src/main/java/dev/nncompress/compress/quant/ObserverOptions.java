package dev.nncompress.compress.quant;

/**
 * Tuning knobs of the observers a factory name may create, validated on construction (each observer
 * re-checks the ones it uses): percentile in [50, 100] (the upper percentile kept), histogram bins,
 * the moving average's averaging constant in (0, 1], the affine MSE search's edges per side.
 */
public record ObserverOptions(double percentile, int bins, double averagingConstant, int mseGridPerSide) {
    public static final ObserverOptions DEFAULTS = new ObserverOptions(PercentileObserver.DEFAULT_PERCENTILE,
            HistogramObserver.DEFAULT_BINS, MovingAverageMinMaxObserver.DEFAULT_AVERAGING_CONSTANT, MseObserver.DEFAULT_GRID_PER_SIDE);

    public ObserverOptions {
        if (!(percentile >= 50 && percentile <= 100)) throw new IllegalArgumentException("ObserverOptions.percentile must be in [50, 100], got " + percentile);
        if (bins < HistogramObserver.MIN_BINS || bins > HistogramObserver.MAX_BINS) {
            throw new IllegalArgumentException("ObserverOptions.bins must be in [" + HistogramObserver.MIN_BINS + ", " + HistogramObserver.MAX_BINS + "], got " + bins);
        }
        if (!(averagingConstant > 0 && averagingConstant <= 1)) throw new IllegalArgumentException("ObserverOptions.averagingConstant must be in (0, 1], got " + averagingConstant);
        if (mseGridPerSide < 2) throw new IllegalArgumentException("ObserverOptions.mseGridPerSide must be >= 2, got " + mseGridPerSide);
    }

    public ObserverOptions withPercentile(double p) { return new ObserverOptions(p, bins, averagingConstant, mseGridPerSide); }

    public ObserverOptions withBins(int b) { return new ObserverOptions(percentile, b, averagingConstant, mseGridPerSide); }
}

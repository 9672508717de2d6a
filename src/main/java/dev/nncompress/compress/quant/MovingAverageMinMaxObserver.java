package dev.nncompress.compress.quant;

/**
 * Exponential moving average of each batch's minimum and maximum, as torch's
 * MovingAverageMinMaxObserver (and its per-channel sibling): the first batch sets the range, each later
 * one moves it by {@code m += c * (batch - m)} with averaging constant c (torch's default 0.01), so a
 * rare outlier batch shifts the range by only c of its excess.
 */
public final class MovingAverageMinMaxObserver extends AbstractObserver {
    public static final double DEFAULT_AVERAGING_CONSTANT = 0.01;

    private final float averagingConstant;
    private float[] min;
    private float[] max;

    public MovingAverageMinMaxObserver(QScheme scheme, double averagingConstant) {
        super("ema", scheme);
        if (!(averagingConstant > 0 && averagingConstant <= 1)) throw error("averaging constant must be in (0, 1], got " + averagingConstant);
        this.averagingConstant = (float) averagingConstant;
    }

    public MovingAverageMinMaxObserver(QScheme scheme) { this(scheme, DEFAULT_AVERAGING_CONSTANT); }

    @Override void accept(float[] values, ChannelLayout layout) {
        float[][] b = batchMinMax(values, layout);
        if (min == null) {
            min = b[0];
            max = b[1];
            return;
        }
        // float32 arithmetic in torch's order: min_val + averaging_constant * (min_val_cur - min_val)
        for (int c = 0; c < min.length; c++) {
            min[c] = min[c] + averagingConstant * (b[0][c] - min[c]);
            max[c] = max[c] + averagingConstant * (b[1][c] - max[c]);
        }
    }

    @Override public QRange range() {
        if (!seen()) throw nothingSeen();
        return new QRange(min, max);
    }
}

package dev.nncompress.compress.quant;

import dev.nncompress.quant.ChannelLayout;
import dev.nncompress.quant.QRange;
import dev.nncompress.quant.QScheme;

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

    /**
     * Starts from {@code start} as if it were the average so far (QAT seeds it with the PTQ calibration, so
     * that the first training steps quantise with calibrated ranges rather than one batch's); every batch
     * then moves it by c. The batches must have as many channels as {@code start}.
     */
    public MovingAverageMinMaxObserver(QScheme scheme, double averagingConstant, QRange start) {
        this(scheme, averagingConstant);
        if (start == null) throw error("start range must not be null");
        float[] lo = start.mins(), hi = start.maxs();
        if (!scheme.perChannel() && lo.length != 1) throw error("a per-tensor scheme starts from one range, got " + lo.length);
        for (int c = 0; c < lo.length; c++) {
            if (!Float.isFinite(lo[c]) || !Float.isFinite(hi[c]) || lo[c] > hi[c]) {
                throw error("start range of channel " + c + " [" + lo[c] + ", " + hi[c] + "] must be finite with min <= max");
            }
        }
        min = lo;
        max = hi;
    }

    @Override void accept(float[] values, ChannelLayout layout) {
        if (min != null && min.length != layout.channels()) throw error("batch has " + layout.channels() + " channels, the range has " + min.length);
        accept(batchMinMax(values, layout));
    }

    /**
     * A per-tensor batch given as its minimum and maximum, exactly what {@link #observe} would find in its values (the
     * backend's {@code finiteMinMax}: QAT observes every activation of every step without copying it to the heap).
     */
    public void observeMinMax(float batchMin, float batchMax) {
        if (scheme.perChannel()) throw error("a per-channel scheme needs the values, not one min and max");
        if (min != null && min.length != 1) throw error("batch has 1 channel, the range has " + min.length);
        float[] lo = {batchMin}, hi = {batchMax};
        checkReduced(lo, hi);
        accept(new float[][] {lo, hi});
    }

    private void accept(float[][] b) {
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
        if (min == null) throw nothingSeen();
        return new QRange(min, max);
    }
}

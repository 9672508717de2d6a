package dev.nncompress.compress.quant;

import dev.nncompress.quant.ChannelLayout;
import dev.nncompress.quant.QRange;
import dev.nncompress.quant.QScheme;

/**
 * Running minimum and maximum, per tensor or per channel, as torch's MinMaxObserver and
 * PerChannelMinMaxObserver. With {@link QScheme#perChannelSymmetric} on axis 0 it is the weight observer.
 */
public final class MinMaxObserver extends AbstractObserver {
    private float[] min;
    private float[] max;

    public MinMaxObserver(QScheme scheme) { super("minmax", scheme); }

    @Override void accept(float[] values, ChannelLayout layout) {
        float[][] b = batchMinMax(values, layout);
        if (min == null) {
            min = b[0];
            max = b[1];
            return;
        }
        for (int c = 0; c < min.length; c++) {
            min[c] = Math.min(min[c], b[0][c]);
            max[c] = Math.max(max[c], b[1][c]);
        }
    }

    @Override public QRange range() {
        if (!seen()) throw nothingSeen();
        return new QRange(min, max);
    }
}

package dev.nncompress.compress.quant;

import dev.nncompress.quant.ChannelLayout;
import dev.nncompress.quant.QScheme;
import dev.nncompress.tensor.Shape;

import java.util.Arrays;

/** The checks every observer applies to a batch, so that all of them reject bad input with the same messages. */
abstract class AbstractObserver implements Observer {
    private final String name;
    protected final QScheme scheme;
    private int channels = -1;

    AbstractObserver(String name, QScheme scheme) {
        if (scheme == null) throw new IllegalArgumentException("observer '" + name + "': scheme must not be null");
        this.name = name;
        this.scheme = scheme;
    }

    @Override public final String name() { return name; }

    @Override public final QScheme scheme() { return scheme; }

    @Override public final void observe(float[] values, Shape shape) {
        if (values == null || shape == null) throw error("values and shape must not be null");
        if (values.length == 0) throw error("empty batch (shape " + shape + ")");
        if (shape.numel() != values.length) throw error("shape " + shape + " has " + shape.numel() + " elements, the batch has " + values.length);
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) throw error((Float.isNaN(values[i]) ? "NaN" : "infinite value " + values[i]) + " at index " + i + " of the batch");
        }
        ChannelLayout layout;
        try {
            layout = ChannelLayout.of(scheme, shape);
        } catch (IllegalArgumentException e) {
            throw error(e.getMessage());
        }
        if (channels >= 0 && layout.channels() != channels) throw error("batch has " + layout.channels() + " channels, earlier batches had " + channels);
        channels = layout.channels();
        accept(values, layout);
    }

    /**
     * The batch-level checks of {@link #observe} for a batch already reduced per channel (its values seen elsewhere:
     * QAT's observers on the backend's {@code finiteMinMax}): finite, min <= max, the same channel count as before.
     */
    final void checkReduced(float[] min, float[] max) {
        for (int c = 0; c < min.length; c++) {
            if (!Float.isFinite(min[c]) || !Float.isFinite(max[c]) || min[c] > max[c]) {
                throw error("batch range of channel " + c + " [" + min[c] + ", " + max[c] + "] must be finite with min <= max");
            }
        }
        if (channels >= 0 && min.length != channels) throw error("batch has " + min.length + " channels, earlier batches had " + channels);
        channels = min.length;
    }

    /** Adds a validated batch. */
    abstract void accept(float[] values, ChannelLayout layout);

    final boolean seen() { return channels >= 0; }

    final IllegalStateException nothingSeen() { return new IllegalStateException("observer '" + name + "' has seen no data yet"); }

    final IllegalArgumentException error(String message) { return new IllegalArgumentException("observer '" + name + "': " + message); }

    /** Per-channel minimum ([0]) and maximum ([1]) of one batch. */
    static float[][] batchMinMax(float[] v, ChannelLayout l) {
        int channels = l.channels();
        int inner = l.inner();
        float[] min = new float[channels];
        float[] max = new float[channels];
        Arrays.fill(min, Float.POSITIVE_INFINITY);
        Arrays.fill(max, Float.NEGATIVE_INFINITY);
        int block = channels * inner;
        for (int base = 0; base < v.length; base += block) {
            for (int c = 0; c < channels; c++) {
                float lo = min[c], hi = max[c];
                for (int i = base + c * inner, end = i + inner; i < end; i++) {
                    float x = v[i];
                    if (x < lo) lo = x;
                    if (x > hi) hi = x;
                }
                min[c] = lo;
                max[c] = hi;
            }
        }
        return new float[][] {min, max};
    }
}

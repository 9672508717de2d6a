package dev.nncompress.backend;

import dev.nncompress.tensor.Shape;

/**
 * An int8 weight prepared by one backend for its int8 conv/linear ops ({@link Backend#prepareQWeight}): symmetric
 * codes (zero point 0) of a conv weight [O, C / groups, kH, kW] or a Linear weight [O, F], one scale per output
 * channel (per tensor: all equal), in whatever layout the backend's kernels want (packed, on the device). Immutable
 * and shared: calls from several threads read it at once. Belongs to the backend that made it.
 */
public interface QWeight {
    /** The weight's logical shape (OIHW or [out, in]). */
    Shape shape();

    /** The groups of the conv it was prepared for (1 for a Linear or a plain conv). */
    int groups();

    /** Per output channel scales (callers must not modify the array). */
    float[] scales();

    default int outChannels() { return shape().dim(0); }
}

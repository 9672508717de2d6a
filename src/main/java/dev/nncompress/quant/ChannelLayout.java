package dev.nncompress.quant;

import dev.nncompress.tensor.Shape;

/**
 * The element-to-channel map shared with {@link QuantArithmetic} and the quantise kernels: element i of a
 * row-major tensor belongs to channel {@code (i / inner) % channels}, where channels is the size of the
 * quantisation axis and inner the product of the dimensions after it. Per tensor is channels = 1.
 */
public record ChannelLayout(int channels, int inner) {
    public static ChannelLayout of(QScheme scheme, Shape shape) {
        if (!scheme.perChannel()) return new ChannelLayout(1, Math.max(1, shape.numel()));
        if (scheme.axis() >= shape.rank()) {
            throw new IllegalArgumentException("axis " + scheme.axis() + " of " + scheme + " does not exist in shape " + shape);
        }
        int inner = shape.sizeAfter(scheme.axis());
        int channels = shape.dim(scheme.axis());
        if (channels == 0 || inner == 0) throw new IllegalArgumentException("shape " + shape + " has no elements");
        return new ChannelLayout(channels, inner);
    }
}

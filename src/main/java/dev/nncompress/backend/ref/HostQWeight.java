package dev.nncompress.backend.ref;

import dev.nncompress.backend.Int8Kernels;
import dev.nncompress.backend.QWeight;
import dev.nncompress.tensor.Shape;

/**
 * The {@link QWeight} of the host backends: a plain conv's or Linear's codes packed by the backend's
 * {@link Int8Kernels} (a conv's rows in the NHWC im2col's column order [O, kH, kW, C]), or a depthwise conv's taps
 * ({@link Int8Depthwise}).
 */
record HostQWeight(Shape shape, int groups, float[] scales, Int8Kernels kernels, Int8Kernels.PackedS8 packed, Int8Depthwise depthwise)
        implements QWeight {
    static HostQWeight of(Int8Kernels kernels, byte[] codes, Shape shape, float[] scales, int groups) {
        if (codes == null || shape == null || scales == null) throw new IllegalArgumentException("prepareQWeight: codes, shape and scales must not be null");
        if (shape.rank() != 2 && shape.rank() != 4) throw new IllegalArgumentException("prepareQWeight: weight " + shape + " is neither [O, F] nor [O, C, kH, kW]");
        if (codes.length != shape.numel()) throw new IllegalArgumentException("prepareQWeight: " + codes.length + " codes for weight " + shape);
        if (scales.length != shape.dim(0)) throw new IllegalArgumentException("prepareQWeight: " + scales.length + " scales for " + shape.dim(0) + " output channels");
        for (float s : scales) if (!(s > 0) || Float.isInfinite(s)) throw new IllegalArgumentException("prepareQWeight: weight scales must be > 0 and finite, got " + s);
        if (groups < 1 || shape.rank() == 2 && groups != 1) throw new IllegalArgumentException("prepareQWeight: " + groups + " groups for weight " + shape);
        if (groups > 1) {
            if (!Int8Depthwise.accepts(shape, groups)) throw new IllegalArgumentException("prepareQWeight: int8 convs take 1 group or depthwise ones, not " + groups + " groups of " + shape);
            return new HostQWeight(shape, groups, scales.clone(), kernels, null, new Int8Depthwise(codes, shape, groups));
        }
        int o = shape.dim(0), k = shape.numel() / o;
        byte[] rows = shape.rank() == 4 ? Layouts.oihwToOhwi(codes, shape) : codes;
        return new HostQWeight(shape, 1, scales.clone(), kernels, kernels.pack(rows, o, k), null);
    }
}

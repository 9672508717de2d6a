package dev.nncompress.backend.ref;

import dev.nncompress.quant.QParams;
import dev.nncompress.backend.GemmS8Epilogue;
import dev.nncompress.backend.Int8Kernels;
import dev.nncompress.backend.QWeight;
import dev.nncompress.tensor.Shape;

/**
 * The {@link QWeight} of the host backends: a plain conv's or Linear's codes packed by the backend's
 * {@link Int8Kernels} (a conv's rows in the NHWC im2col's column order [O, kH, kW, C]), or a depthwise conv's taps
 * ({@link Int8Depthwise}).
 */
final class HostQWeight implements QWeight {
    private final Shape shape;
    private final int groups;
    private final float[] scales;
    private final Int8Kernels kernels;
    private final Int8Kernels.PackedS8 packed;
    private final Int8Depthwise depthwise;
    /**
     * The epilogue of the last call and what it was made from: a layer is called with the same input parameters,
     * bias, ReLU and output parameters every time, and building and checking the epilogue (scales times the input
     * scale, per channel) cost a tenth of a small model's batch-1 call.
     */
    private volatile Cached last;

    private record Cached(float inScale, int inZp, float[] bias, boolean relu, Object out, float[] combined, GemmS8Epilogue epilogue) {}

    private HostQWeight(Shape shape, int groups, float[] scales, Int8Kernels kernels, Int8Kernels.PackedS8 packed, Int8Depthwise depthwise) {
        this.shape = shape;
        this.groups = groups;
        this.scales = scales;
        this.kernels = kernels;
        this.packed = packed;
        this.depthwise = depthwise;
    }

    @Override public Shape shape() { return shape; }

    @Override public int groups() { return groups; }

    @Override public float[] scales() { return scales; }

    Int8Kernels kernels() { return kernels; }

    Int8Kernels.PackedS8 packed() { return packed; }

    Int8Depthwise depthwise() { return depthwise; }

    /** {@code scaleX * scaleW[o]} ({@link GemmS8Epilogue#combinedScales}) for input scale {@code inScale}. */
    float[] combinedScales(float inScale) {
        Cached c = last;
        return c != null && c.inScale == inScale ? c.combined : GemmS8Epilogue.combinedScales(inScale, scales);
    }

    /**
     * The GEMM epilogue for input parameters (inScale, inZp), {@code bias}, {@code relu} and output parameters
     * {@code out} (null: float output): {@code make} builds it from the combined scales, unless the last call's fits.
     */
    GemmS8Epilogue epilogue(float inScale, int inZp, float[] bias, boolean relu, QParams out,
                            java.util.function.Function<float[], GemmS8Epilogue> make) {
        Cached c = last;
        if (c != null && c.inScale == inScale && c.inZp == inZp && c.bias == bias && c.relu == relu && c.out == out) return c.epilogue;
        float[] combined = GemmS8Epilogue.combinedScales(inScale, scales);
        GemmS8Epilogue e = make.apply(combined);
        last = new Cached(inScale, inZp, bias, relu, out, combined, e);
        return e;
    }

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

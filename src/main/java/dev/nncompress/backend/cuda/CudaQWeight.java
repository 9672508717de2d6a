package dev.nncompress.backend.cuda;

import dev.nncompress.quant.QParams;
import dev.nncompress.backend.GemmS8Epilogue;
import dev.nncompress.backend.QWeight;
import dev.nncompress.backend.cuda.driver.DeviceBuffer;
import dev.nncompress.backend.cuda.driver.DeviceMemoryPool;
import dev.nncompress.backend.cuda.kernels.GemmS8;
import dev.nncompress.tensor.Shape;

import java.util.function.Function;

/**
 * The {@link QWeight} of the CUDA backend: a plain conv's or Linear's codes on the device as the GEMM's B [O, K] (a
 * conv's rows in the NHWC im2col's column order [O, kH, kW, C]), uploaded once when prepared, with their row sums
 * (the zero-point term of the epilogue); or a depthwise conv's taps [kH * kW, O] ({@code nnc_q8_depthwise_nhwc}'s layout,
 * no row sums: that kernel subtracts the input's zero point per tap). The epilogue's vectors (combined scales, bias, row sums) go up on a layer's first
 * call and stay while its parameters do (a layer is called with the same ones every time), so a batch moves no
 * weight data.
 */
final class CudaQWeight implements QWeight {
    private final Shape shape;
    private final int groups;
    private final float[] scales;
    private final CudaBackend backend;
    private final DeviceBuffer rows;
    private final int[] rowSums;     // null for a depthwise weight
    private volatile Cached last;

    private record Cached(float inScale, int inZp, float[] bias, boolean relu, QParams out, GemmS8.DeviceEpilogue epilogue) {}

    CudaQWeight(Shape shape, int groups, float[] scales, CudaBackend backend, DeviceBuffer rows, int[] rowSums) {
        this.shape = shape;
        this.groups = groups;
        this.scales = scales;
        this.backend = backend;
        this.rows = rows;
        this.rowSums = rowSums;
    }

    @Override public Shape shape() { return shape; }

    @Override public int groups() { return groups; }

    @Override public float[] scales() { return scales; }

    CudaBackend backend() { return backend; }

    /** B [O, K] on the device, or a depthwise weight's taps [kH * kW, O]. */
    DeviceBuffer rows() { return rows; }

    int[] rowSums() { return rowSums; }

    /** Whether this is a depthwise conv's weight (groups = input channels; the reference's checks allow no other grouping). */
    boolean depthwise() { return groups > 1; }

    /**
     * The epilogue on the device for input parameters (inScale, inZp), {@code bias}, {@code relu} and output parameters
     * {@code out} (null: float output): {@code make} builds it from the combined scales, unless the last call's fits.
     * Its vectors are blocks of {@code pool}; a replaced one goes back to it (our kernels run in order on one stream,
     * so a GEMM launched with it still reads it before the block is written again).
     */
    GemmS8.DeviceEpilogue epilogue(float inScale, int inZp, float[] bias, boolean relu, QParams out, DeviceMemoryPool pool,
                                   Function<float[], GemmS8Epilogue> make) {
        synchronized (this) {
            Cached c = last;
            if (c != null && c.inScale == inScale && c.inZp == inZp && c.bias == bias && c.relu == relu && c.out == out) return c.epilogue;
            GemmS8.DeviceEpilogue e = GemmS8.DeviceEpilogue.upload(make.apply(GemmS8Epilogue.combinedScales(inScale, scales)), pool);
            if (c != null) c.epilogue.close();
            last = new Cached(inScale, inZp, bias, relu, out, e);
            return e;
        }
    }
}

package dev.nncompress.backend.cuda;

import dev.nncompress.backend.GemmS8Epilogue;
import dev.nncompress.backend.QWeight;
import dev.nncompress.backend.QuantParams;
import dev.nncompress.backend.cuda.driver.DeviceBuffer;
import dev.nncompress.backend.cuda.driver.DeviceMemoryPool;
import dev.nncompress.backend.cuda.kernels.GemmS8;
import dev.nncompress.tensor.Shape;

import java.util.function.Function;

/**
 * The {@link QWeight} of the CUDA backend: a plain conv's or Linear's codes on the device as the GEMM's B [O, K] (a
 * conv's rows in the NHWC im2col's column order [O, kH, kW, C]), uploaded once when prepared, with their row sums
 * (the zero-point term of the epilogue); or, for a depthwise conv, which has no device kernel yet, the reference
 * backend's weight ({@code host}). The epilogue's vectors (combined scales, bias, row sums) go up on a layer's first
 * call and stay while its parameters do (a layer is called with the same ones every time), so a batch moves no
 * weight data.
 */
final class CudaQWeight implements QWeight {
    private final Shape shape;
    private final int groups;
    private final float[] scales;
    private final CudaBackend backend;
    private final DeviceBuffer rows; // null for a depthwise weight
    private final int[] rowSums;
    private final QWeight host;      // the reference backend's weight for a depthwise conv, else null
    private volatile Cached last;

    private record Cached(float inScale, int inZp, float[] bias, boolean relu, QuantParams out, GemmS8.DeviceEpilogue epilogue) {}

    CudaQWeight(Shape shape, int groups, float[] scales, CudaBackend backend, DeviceBuffer rows, int[] rowSums, QWeight host) {
        this.shape = shape;
        this.groups = groups;
        this.scales = scales;
        this.backend = backend;
        this.rows = rows;
        this.rowSums = rowSums;
        this.host = host;
    }

    @Override public Shape shape() { return shape; }

    @Override public int groups() { return groups; }

    @Override public float[] scales() { return scales; }

    CudaBackend backend() { return backend; }

    /** B [O, K] on the device. */
    DeviceBuffer rows() { return rows; }

    int[] rowSums() { return rowSums; }

    /** The reference backend's weight (depthwise convs), or null. */
    QWeight host() { return host; }

    /**
     * The epilogue on the device for input parameters (inScale, inZp), {@code bias}, {@code relu} and output parameters
     * {@code out} (null: float output): {@code make} builds it from the combined scales, unless the last call's fits.
     * Its vectors are blocks of {@code pool}; a replaced one goes back to it (our kernels run in order on one stream,
     * so a GEMM launched with it still reads it before the block is written again).
     */
    GemmS8.DeviceEpilogue epilogue(float inScale, int inZp, float[] bias, boolean relu, QuantParams out, DeviceMemoryPool pool,
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

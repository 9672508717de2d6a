package dev.nncompress.backend.cuda;

import dev.nncompress.backend.ConvGeometry;

/**
 * Convolution on device buffers (NCHW input, OIHW weight, NCHW output, float): either cuDNN
 * ({@link CudnnConv}) or our im2col kernels with a {@link Blas} ({@link CudaConv}); {@link VendorStack}
 * decides which per process. Bias and its gradient are not here: {@link CudaBackend} adds them with
 * our kernels on either route, so the two routes differ only where the vendor is faster.
 * Backward data and backward filter are one call because our im2col route shares one column buffer
 * between them; cuDNN runs them as its two calls.
 */
interface Dnn extends AutoCloseable {
    /** "cuDNN 9.19.0" or "own im2col + cuBLAS 13.1.0". */
    String name();

    /** y = conv(x, w), overwriting y. */
    void convForward(ConvGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer y);

    /** dw (always) and dx (when not null) from x, w and the output gradient gy, overwriting both. */
    void convBackward(ConvGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer gy, DeviceBuffer dx, DeviceBuffer dw);

    /** Frees what the route holds beyond the pool's memory (cuDNN descriptors); idempotent. */
    @Override default void close() {}
}

package dev.nncompress.backend.cuda;

/**
 * Float matrix products on device buffers, row-major as the rest of the backend: either cuBLAS
 * ({@link CublasBlas}) or our own {@code gemm_f32} kernel ({@link OwnBlas}); {@link VendorStack} picks
 * one per process. One call is a strided batch:
 * C[z] = alpha * op(A[z]) op(B[z]) + beta * C[z] for z in [0, batch), matrix z of X at element
 * offX + z * strideX (stride 0 broadcasts one matrix); op(A) is m x k, op(B) k x n; the leading
 * dimensions are the stored row lengths. With beta == 0, C is not read. Offsets and strides count
 * floats. Asynchronous on the driver's stream, like our kernels.
 */
interface Blas {
    /** What this is, for logs and {@code info --devices}: "cuBLAS 13.1.0" or "own gemm_f32". */
    String name();

    void gemm(DeviceBuffer a, long offA, long strideA, int lda, boolean transA,
              DeviceBuffer b, long offB, long strideB, int ldb, boolean transB,
              DeviceBuffer c, long offC, long strideC, int ldc, int m, int n, int k, int batch, float alpha, float beta);
}

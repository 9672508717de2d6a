package dev.nncompress.backend.cuda.kernels;

import dev.nncompress.backend.cuda.driver.DeviceBuffer;

/** {@link Blas} on our {@code gemm_f32} kernel: the fallback when cuBLAS does not load. */
public final class OwnBlas implements Blas {
    private final CudaOps ops;

    public OwnBlas(CudaOps ops) { this.ops = ops; }

    @Override public String name() { return "own gemm_f32"; }

    @Override public void gemm(DeviceBuffer a, long offA, long strideA, int lda, boolean transA,
                               DeviceBuffer b, long offB, long strideB, int ldb, boolean transB,
                               DeviceBuffer c, long offC, long strideC, int ldc, int m, int n, int k, int batch, float alpha, float beta) {
        ops.gemm(a, offA, strideA, lda, transA, b, offB, strideB, ldb, transB, c, offC, strideC, ldc, m, n, k, batch, alpha, beta);
    }
}

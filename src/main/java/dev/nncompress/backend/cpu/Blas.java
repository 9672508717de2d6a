package dev.nncompress.backend.cpu;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * Row-major sgemm on raw addresses, straight into the OpenBLAS that ND4J itself loaded (the
 * "nolapack" build, so no second OpenBLAS thread pool). Skips {@code Nd4j.gemm}'s per-call view
 * and order checks, which matter for the small matrices of a student network.
 */
final class Blas {
    private static final int ROW_MAJOR = 101;
    private static final int NO_TRANS = 111;
    private static final int TRANS = 112;

    private Blas() {}

    /** A JavaCPP pointer at an address we own (no deallocator: the tensor frees the memory). */
    private static final class Address extends FloatPointer {
        Address(long a) {
            super((Pointer) null);
            this.address = a;
        }
    }

    /** C[m, n] = alpha * op(A) op(B) + beta * C, all row-major with the given leading dimensions. */
    static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long b, int ldb,
                      float beta, long c, int ldc) {
        if (m == 0 || n == 0) return;
        if (k == 0) {
            if (beta == 0f) {
                for (int i = 0; i < m; i++) Mem.zero(c + 4L * i * ldc, n);
                return;
            }
        }
        openblas_nolapack.cblas_sgemm(ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS, m, n, k, alpha,
                new Address(a), lda, new Address(b), ldb, beta, new Address(c), ldc);
    }
}

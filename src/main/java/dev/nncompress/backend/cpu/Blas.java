package dev.nncompress.backend.cpu;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * Row-major sgemm on raw addresses, straight into the OpenBLAS that ND4J itself loaded (the
 * "nolapack" build, so no second OpenBLAS thread pool). Skips {@code Nd4j.gemm}'s per-call view
 * and order checks, which matter for the small matrices of a student network.
 *
 * <p>Products below {@link #small} multiply-adds run on one OpenBLAS thread: waking OpenBLAS's
 * second worker costs more than such a product, and on a loaded machine it waits for a free core.
 * Measured A/B in one JVM, the student's three linear-layer products (64x784x64): 2 threads 40 ms,
 * 1 thread 0.4 ms with a training run busy on the other core; in a quiet machine student training
 * linear layers 2.3 -> 0.9 ms per step. The thread count is process-wide and setting it costs
 * ~0.5 ms (OpenBLAS resizes its per-thread buffers), so it changes only when a product on the other
 * side of {@link #small} comes; products up to {@link BlasThreads#ANY_COUNT} (which OpenBLAS runs on
 * one thread by itself) never change it, so teacher training (large products and ones under 262k)
 * never switches. The count depends on the product's size alone (a product's last bits depend on
 * it) and never changes under a running product of another thread: {@link BlasThreads}.
 * Why the size alone: a count left over from an earlier product once made a training step's bits
 * depend on what ran before it (an evaluation at batch 256), which broke bit-identical resume
 * ({@code CpuBackendTest.smallProductBitsDoNotDependOnThePreviousProduct}).
 */
final class Blas {
    private static final int ROW_MAJOR = 101;
    private static final int NO_TRANS = 111;
    private static final int TRANS = 112;

    /** m*n*k below which a product runs on one OpenBLAS thread: student training (64x784x64 = 3.2M) single, student inference at batch 256 (12.8M; 1 thread measured 10% slower there on a quiet machine) and teacher linear (103M) threaded. */
    static volatile long small = Long.getLong("nncompress.cpu.blasSmall", 1L << 23);

    private Blas() {}

    /** A JavaCPP pointer at an address we own (no deallocator: the tensor frees the memory). */
    private static final class Address extends FloatPointer {
        Address(long a) {
            super((Pointer) null);
            this.address = a;
        }
    }

    /** Caps the threads of every later product at {@code threads} (at most the count OpenBLAS started with). */
    static void capThreads(int threads) {
        if (threads < 1) throw new IllegalArgumentException("BLAS threads must be >= 1, got " + threads);
        BlasThreads.cap(threads);
    }

    /**
     * C[m, n] = A[m, k] B[n, k]^T on one OpenBLAS thread, for callers that split the rows over their own threads
     * ({@link CpuLinear}): any number of these run side by side.
     */
    static void sgemmOneThread(int m, int n, int k, long a, int lda, long b, int ldb, long c, int ldc) {
        if (m == 0 || n == 0) return;
        if (k == 0) {
            for (int i = 0; i < m; i++) Mem.zero(c + 4L * i * ldc, n);
            return;
        }
        BlasThreads.enter((long) m * n * k, Long.MAX_VALUE);
        try {
            openblas_nolapack.cblas_sgemm(ROW_MAJOR, NO_TRANS, TRANS, m, n, k, 1f, new Address(a), lda, new Address(b), ldb, 0f, new Address(c), ldc);
        } finally {
            BlasThreads.exit();
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
        BlasThreads.enter((long) m * n * k, small);
        try {
            openblas_nolapack.cblas_sgemm(ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS, m, n, k, alpha,
                    new Address(a), lda, new Address(b), ldb, beta, new Address(c), ldc);
        } finally {
            BlasThreads.exit();
        }
    }
}

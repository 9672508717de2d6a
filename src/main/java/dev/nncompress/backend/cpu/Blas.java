package dev.nncompress.backend.cpu;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * Row-major sgemm on raw addresses, straight into the OpenBLAS that ND4J itself loaded (the
 * "nolapack" build, so no second OpenBLAS thread pool). Skips {@code Nd4j.gemm}'s per-call view
 * and order checks, which matter for the small matrices of a student network.
 *
 * <p>Products below {@link #small} multiply-adds run on one OpenBLAS thread, larger ones on all: waking
 * OpenBLAS's second worker costs more than such a product, and on a loaded machine it waits for a
 * free core. Measured A/B in one JVM, the student's three linear-layer products (64x784x64): 2
 * threads 40 ms, 1 thread 0.4 ms with a training run busy on the other core; in a quiet machine
 * student training linear layers 2.3 -> 0.9 ms per step. The thread count is process-wide and
 * setting it costs ~0.5 ms (OpenBLAS resizes its per-thread buffers), so it is only set when it
 * changes.
 *
 * <p>The count is a function of the product's size alone, never of the products before it: OpenBLAS's
 * result depends on its thread count in the last bits (the split changes which micro-kernel handles
 * the edges), so a count left over from an earlier product made a training step's result depend on
 * what ran before it. That broke bit-identical resume: the uninterrupted run evaluated after epoch 1
 * (batch-256 products set 1 thread) while the resumed one started fresh (2 threads) for its 16x784x64
 * products. Products under 2^20 once kept whatever count was set, to save the teacher two
 * switches per step; determinism is worth more than that ~1 ms in a ~200 ms step. Products run from
 * several Java threads at once still race for the one process-wide count: a large gemm started while a
 * small one holds it at 1 runs on one thread, slower and with the 1-thread bits.
 */
final class Blas {
    private static final int ROW_MAJOR = 101;
    private static final int NO_TRANS = 111;
    private static final int TRANS = 112;

    /** m*n*k below which a product runs on one OpenBLAS thread: student training (64x784x64 = 3.2M) single, student inference at batch 256 (12.8M; 1 thread measured 10% slower there on a quiet machine) and teacher linear (103M) threaded. */
    static volatile long small = Long.getLong("nncompress.cpu.blasSmall", 1L << 23);

    private static final int THREADS = Math.max(1, openblas_nolapack.blas_get_num_threads());

    /** The OpenBLAS thread count last set here (process-wide in OpenBLAS; see the class comment on races). */
    private static volatile int current = THREADS;

    /** Most OpenBLAS threads any product may use (benchmarks on one core); process-wide. */
    private static volatile int cap = THREADS;

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
        cap = Math.min(threads, THREADS);
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
        long mnk = (long) m * n * k;
        int want = Math.min(cap, mnk < small ? 1 : THREADS); // the size alone decides: see the class comment
        if (want != current) { // openblas_set_num_threads also resizes per-thread buffers, so only on a change
            current = want;
            openblas_nolapack.blas_set_num_threads(want);
        }
        openblas_nolapack.cblas_sgemm(ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS, m, n, k, alpha,
                new Address(a), lda, new Address(b), ldb, beta, new Address(c), ldc);
    }
}

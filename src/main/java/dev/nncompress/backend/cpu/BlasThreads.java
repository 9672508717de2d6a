package dev.nncompress.backend.cpu;

import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * The OpenBLAS thread count each product runs under, and when it may change. OpenBLAS has one
 * process-wide count, and {@code openblas_set_num_threads} frees the per-thread buffers of the threads
 * it drops (OpenBLAS 0.3.31 {@code adjust_thread_buffers}): changed while another Java thread's product
 * runs, it pulls memory from under it. And a product's rounding depends on the count (the work is split
 * into different edge tiles: a 32x784x64 product differs in the last bit on 1 and 2 threads, measured).
 * So here the count is a function of the product's size alone, and it changes only while no product
 * runs; products of other threads that need the current count go ahead, those that need another wait
 * for the switch, and a waiting switch holds back new products so that it is not starved.
 */
final class BlasThreads {
    /**
     * Products up to this many multiply-adds run on one thread whatever the count (OpenBLAS's
     * {@code SMP_THRESHOLD_MIN * GEMM_MULTITHREAD_THRESHOLD}, interface/gemm.c), so they never switch it.
     */
    static final long ANY_COUNT = 65536L * 4;

    private static final int STARTED = Math.max(1, openblas_nolapack.blas_get_num_threads());
    private static final Object LOCK = new Object();

    // all guarded by LOCK
    private static int current = STARTED;
    private static int running;
    private static int switching;
    private static int cap = STARTED;

    private BlasThreads() {}

    /** The count OpenBLAS started with (all cores unless OPENBLAS_NUM_THREADS says otherwise). */
    static int started() { return STARTED; }

    /** The cap of {@link #cap(int)}: the most threads a later product runs on. */
    static int cap() {
        synchronized (LOCK) {
            return cap;
        }
    }

    /** Caps the threads of every later product (at most the count OpenBLAS started with). */
    static void cap(int threads) {
        synchronized (LOCK) {
            cap = Math.min(threads, STARTED);
        }
    }

    /** The count a product of {@code mnk} multiply-adds runs under: 0 for any, 1 below {@code small}, else all (capped). */
    static int countFor(long mnk, long small, int cap) {
        if (mnk <= ANY_COUNT) return 0;
        return mnk < small ? 1 : cap;
    }

    /**
     * Waits until OpenBLAS runs the count a product of {@code mnk} multiply-adds needs (switching it when
     * no product runs) and counts the product as running; call {@link #exit()} when it is done.
     */
    static void enter(long mnk, long small) {
        boolean interrupted = false;
        synchronized (LOCK) {
            int want = countFor(mnk, small, cap);
            while (want != 0 && want != current || switching > 0 && (want == 0 || want == current)) {
                boolean mine = want != 0 && want != current;
                if (mine && running == 0) {
                    current = want;
                    openblas_nolapack.blas_set_num_threads(want); // ~0.5 ms: OpenBLAS resizes its buffers
                    LOCK.notifyAll(); // products waiting for this count may run beside this one
                    break;
                }
                if (mine) switching++;
                try {
                    LOCK.wait();
                } catch (InterruptedException e) {
                    interrupted = true; // a product takes milliseconds: finish the call, keep the interrupt
                } finally {
                    if (mine) switching--;
                }
                want = countFor(mnk, small, cap);
            }
            running++;
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    static void exit() {
        synchronized (LOCK) {
            if (--running == 0) LOCK.notifyAll();
        }
    }
}

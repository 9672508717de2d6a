package dev.nncompress.backend.cpu;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Splits a Java loop over the cores (the calling thread takes the first part). Only loops of at
 * least {@link #MIN_PARALLEL} elements are split: handing work to a parked thread costs tens of
 * microseconds, as much as a 64k-element loop.
 *
 * <p>A split loop returns only when every part has finished, even when the caller is interrupted:
 * the parts write memory the caller frees right after (tensors, native scratch), so the wait is not
 * interruptible; the interrupt is kept (the flag is set again on return) for the caller's next wait.
 * Many threads may split loops at once: the helpers are one shared pool, each caller runs a part
 * itself and waits only for its own parts, and a part never waits for anything (a nested split runs
 * inline), so queued parts always finish. A loop is split only into as many parts as the pool has idle
 * helpers (plus the caller's): with more callers than cores (8 threads sharing one predictor) the
 * cores are busy already, and a part queued behind other callers' parts only made its caller wait
 * (measured: int8 student, 8 callers on 2 cores, 0.5x one caller's images/s with queued parts).
 * Results never depend on the split.
 */
final class CpuPar {
    interface Body {
        void run(int from, int to);
    }

    static final int MIN_PARALLEL = 1 << 17;

    private static final int THREADS = Integer.getInteger("nncompress.cpu.javaThreads", Math.max(1, Runtime.getRuntime().availableProcessors()));
    private static final ExecutorService POOL = THREADS == 1 ? null : Executors.newFixedThreadPool(THREADS - 1, r -> {
        Thread t = new Thread(r, "nncompress-cpu-loop");
        t.setDaemon(true);
        return t;
    });
    /** Helper parts submitted and not yet finished or cancelled. */
    private static final AtomicInteger BUSY = new AtomicInteger();
    /** Set inside a split loop: a nested split runs inline (a worker waiting on itself would deadlock). */
    private static final ThreadLocal<Boolean> INSIDE = ThreadLocal.withInitial(() -> Boolean.FALSE);
    /**
     * The parts a loop called from this thread may have (its own included): all threads unless capped with
     * {@link #limitThisThread} (a sweep's task gets its share of the cores while other tasks share the pool).
     */
    private static final ThreadLocal<Integer> LIMIT = ThreadLocal.withInitial(() -> THREADS);

    private CpuPar() {}

    static int threads() { return THREADS; }

    /** Caps the parts of every later loop this thread splits at {@code threads} (at most {@link #threads()}). */
    static void limitThisThread(int threads) {
        if (threads < 1) throw new IllegalArgumentException("Java loop threads must be >= 1, got " + threads);
        LIMIT.set(Math.min(threads, THREADS));
    }

    /** The parts a loop split on this thread may have now at most: {@link #threads()}, or this thread's cap. */
    static int threadsOfThisThread() { return LIMIT.get(); }

    /** Parts a loop may have now: the caller's plus one per idle helper, at most {@code wanted}. */
    private static int partsNow(int wanted) {
        if (POOL == null || INSIDE.get()) return 1;
        return Math.min(Math.min(wanted, LIMIT.get()), 1 + Math.max(0, THREADS - 1 - BUSY.get()));
    }

    /** Runs {@code part} on a helper, counted in {@link #BUSY} until it ends or is cancelled. */
    private static Future<?> submit(Runnable part) {
        BUSY.incrementAndGet();
        FutureTask<Void> f = new FutureTask<>(part, null) {
            @Override protected void done() { BUSY.decrementAndGet(); } // once: run to the end, failed or cancelled
        };
        POOL.execute(f);
        return f;
    }

    /** Runs body over [0, n) in up to {@link #threads()} contiguous parts; parts start on multiples of {@code align}. */
    static void forRange(int n, int minPerPart, int align, Body body) { forRange(n, THREADS, minPerPart, align, body); }

    /** As {@link #forRange(int, int, int, Body)} in at most {@code maxParts} parts (e.g. a kernel's own thread count). */
    static void forRange(int n, int maxParts, int minPerPart, int align, Body body) {
        int parts = partsNow(Math.min(Math.min(THREADS, maxParts), n / Math.max(1, minPerPart)));
        if (parts <= 1) {
            body.run(0, n);
            return;
        }
        int step = (n + parts - 1) / parts;
        step = (step + align - 1) / align * align;
        @SuppressWarnings("unchecked")
        Future<?>[] futures = new Future<?>[parts];
        for (int p = 1; p < parts; p++) {
            int from = Math.min(n, p * step);
            int to = Math.min(n, from + step);
            if (from < to) {
                futures[p] = submit(() -> {
                    INSIDE.set(Boolean.TRUE);
                    body.run(from, to);
                });
            }
        }
        Throwable failure = null;
        INSIDE.set(Boolean.TRUE);
        try {
            body.run(0, Math.min(n, step));
        } catch (Throwable t) {
            failure = t;
        } finally {
            INSIDE.set(Boolean.FALSE);
        }
        boolean interrupted = false;
        for (int p = 1; p < parts; p++) {
            if (futures[p] == null) continue;
            while (true) {
                try {
                    futures[p].get();
                    break;
                } catch (java.util.concurrent.ExecutionException e) {
                    if (failure == null) failure = e.getCause();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true; // the part still writes the caller's memory: wait on
                }
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
        if (failure instanceof RuntimeException re) throw re;
        if (failure instanceof Error er) throw er;
        if (failure != null) throw new IllegalStateException(failure);
    }

    /**
     * As {@link #forRange(int, int, int, int, Body)}, but in about {@link #CHUNKS_PER_THREAD} chunks per
     * thread that the threads take in turn, the calling thread included; when none is left, the caller
     * cancels helpers that have not started and waits for the chunks still running. On a shared machine a helper may wait milliseconds for a core: with
     * fixed parts the caller would wait for it, here it does the helper's chunks itself.
     */
    static void forChunks(int n, int maxParts, int minPerChunk, int align, Body body) {
        int threads = partsNow(Math.min(THREADS, maxParts));
        int chunks = Math.min(threads * CHUNKS_PER_THREAD, n / Math.max(1, minPerChunk));
        if (threads <= 1 || chunks <= 1) {
            body.run(0, n);
            return;
        }
        int step = (n + chunks - 1) / chunks;
        int size = (step + align - 1) / align * align;
        int total = (n + size - 1) / size;
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        // counted per chunk, not per helper: a helper's Future says nothing about the chunk it is running
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(total);
        java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        Runnable take = () -> {
            for (int c = next.getAndIncrement(); c < total; c = next.getAndIncrement()) {
                try {
                    if (failure.get() == null) body.run(c * size, Math.min(n, (c + 1) * size));
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    done.countDown();
                }
            }
        };
        Future<?>[] helpers = new Future<?>[Math.min(threads, total) - 1];
        for (int h = 0; h < helpers.length; h++) {
            helpers[h] = submit(() -> {
                INSIDE.set(Boolean.TRUE);
                take.run();
            });
        }
        INSIDE.set(Boolean.TRUE);
        try {
            take.run();
        } finally {
            INSIDE.set(Boolean.FALSE);
        }
        for (Future<?> f : helpers) f.cancel(false); // those not started yet would find no chunk left
        boolean interrupted = false;
        while (true) {
            try {
                done.await(); // chunks still running in helpers, which write the caller's memory: not interruptible
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
        Throwable t = failure.get();
        if (t instanceof RuntimeException re) throw re;
        if (t instanceof Error er) throw er;
        if (t != null) throw new IllegalStateException(t);
    }

    /** Chunks per thread of {@link #forChunks}: enough that the caller can take over a late helper's share. */
    static final int CHUNKS_PER_THREAD = 4;

    /** Element loops: split when n is at least {@link #MIN_PARALLEL}. */
    static void forElements(int n, Body body) { forRange(n, n >= MIN_PARALLEL ? MIN_PARALLEL / 2 : Integer.MAX_VALUE, 16, body); }
}

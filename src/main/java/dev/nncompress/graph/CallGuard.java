package dev.nncompress.graph;

import java.util.concurrent.Semaphore;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The life cycle of something many threads call while one of them may close it (a {@link Predictor}, a
 * {@link SparseInference} plan): each call runs between {@link #enter()} and {@link Use#close()};
 * {@link #close(Runnable)} refuses calls from then on with {@code IllegalStateException("<what> is
 * closed")}, waits for the calls already running, then frees the memory exactly once. Waiting, rather
 * than refusing the close, keeps close() usable from a shutdown path that cannot retry, and a call is
 * short (one batch). Freeing native memory under a running kernel would crash the JVM; this makes it
 * impossible.
 *
 * <p>At most {@code maxCalls} calls run at once; the others wait their turn in arrival order. 1 is for
 * a backend whose ops must not overlap; a CPU backend allows its core count: more calls than cores
 * cannot add throughput to CPU-bound work, only memory (each call's activations) and contention.
 */
public final class CallGuard {
    /** Ends one call; close it in the thread that entered (try-with-resources). */
    @FunctionalInterface
    public interface Use extends AutoCloseable {
        @Override void close();
    }

    private final String what;
    private final int maxCalls;
    // readers: calls admitted (running or waiting for a slot); the writer: close(), once they are done
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private final Semaphore slots;
    private final Use exit;
    private volatile boolean closed;
    private boolean freed; // guarded by the write lock

    /** @param what names the object in the error, e.g. "predictor student"; @param maxCalls calls that may run at once, >= 1 */
    public CallGuard(String what, int maxCalls) {
        if (maxCalls < 1) throw new IllegalArgumentException("maxCalls must be >= 1, got " + maxCalls);
        this.what = what;
        this.maxCalls = maxCalls;
        this.slots = new Semaphore(maxCalls, true);
        this.exit = () -> {
            slots.release();
            lifecycle.readLock().unlock();
        };
    }

    /** Starts a call, once a slot is free; IllegalStateException when closed (also while waiting for a slot). */
    public Use enter() {
        lifecycle.readLock().lock();
        if (!closed) {
            slots.acquireUninterruptibly();
            if (!closed) return exit;
            slots.release(); // closed while waiting: not run, so that close() waits only for running calls
        }
        lifecycle.readLock().unlock();
        throw new IllegalStateException(what + " is closed");
    }

    public boolean isClosed() { return closed; }

    /** Calls that may run at once. */
    public int maxCalls() { return maxCalls; }

    /**
     * Refuses new calls, waits for those running, then runs {@code free} (the first time only; later
     * closes do nothing). Calling it from inside a call of the same object would wait for itself: refused.
     */
    public void close(Runnable free) {
        if (lifecycle.getReadHoldCount() > 0) throw new IllegalStateException("cannot close " + what + " from inside a call to it");
        closed = true;
        lifecycle.writeLock().lock();
        try {
            if (freed) return;
            freed = true;
            free.run();
        } finally {
            lifecycle.writeLock().unlock();
        }
    }
}

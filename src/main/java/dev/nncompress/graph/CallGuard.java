package dev.nncompress.graph;

import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The life cycle of something many threads call while one of them may close it (a {@link Predictor}, a
 * {@link SparseInference} plan): each call runs between {@link #enter()} and {@link Use#close()};
 * {@link #close(Runnable)} refuses calls from then on with {@code IllegalStateException("<what> is
 * closed")}, waits for the calls in flight, then frees the memory exactly once. Waiting, rather than
 * refusing the close, keeps close() usable from a shutdown path that cannot retry, and a call is short
 * (one batch). Freeing native memory under a running kernel would crash the JVM; this makes it
 * impossible.
 *
 * <p>With {@code oneAtATime}, calls also run one after another: for a backend whose ops must not run
 * from two threads at once, so that sharing the object stays safe, only not parallel.
 */
public final class CallGuard {
    /** Ends one call; close it in the thread that entered (try-with-resources). */
    @FunctionalInterface
    public interface Use extends AutoCloseable {
        @Override void close();
    }

    private final String what;
    // readers: calls in flight; the writer: close(). A queued writer holds back new readers, so close() is not starved.
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private final ReentrantLock serial;
    private final Use exit;
    private volatile boolean closed;

    /** @param what names the object in the error, e.g. "predictor student" */
    public CallGuard(String what, boolean oneAtATime) {
        this.what = what;
        this.serial = oneAtATime ? new ReentrantLock() : null;
        this.exit = serial == null ? () -> lifecycle.readLock().unlock() : () -> {
            serial.unlock();
            lifecycle.readLock().unlock();
        };
    }

    /** Starts a call; IllegalStateException when closed (or closing). */
    public Use enter() {
        lifecycle.readLock().lock();
        if (closed) {
            lifecycle.readLock().unlock();
            throw new IllegalStateException(what + " is closed");
        }
        if (serial != null) serial.lock();
        return exit;
    }

    public boolean isClosed() { return closed; }

    /** Whether calls run one at a time. */
    public boolean oneAtATime() { return serial != null; }

    /**
     * Refuses new calls, waits for those in flight, then runs {@code free} (the first time only; later
     * closes do nothing). Calling it from inside a call of the same object would wait for itself: refused.
     */
    public void close(Runnable free) {
        if (lifecycle.getReadHoldCount() > 0) throw new IllegalStateException("cannot close " + what + " from inside a call to it");
        lifecycle.writeLock().lock();
        try {
            if (closed) return;
            closed = true;
            free.run();
        } finally {
            lifecycle.writeLock().unlock();
        }
    }
}

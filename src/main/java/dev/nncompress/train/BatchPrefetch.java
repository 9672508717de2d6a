package dev.nncompress.train;

import dev.nncompress.backend.Backend;
import dev.nncompress.data.Batch;
import dev.nncompress.data.BatchIterator;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * An epoch's batches with their input tensors, prepared one ahead on a background thread while the current step runs
 * (or, without prefetching, when asked for, on the caller's thread): the examples gathered
 * into a batch of its own (two alternate: the step reads its batch's labels, and a live teacher its images, while
 * the next one is filled) and the input tensor made from them. The batches come in the iterator's order and hold
 * the same values as without prefetching, so training gives the same bits. {@link #close} (also on an exception or
 * an early stop) waits for the batch being prepared, closes its tensor and ends the thread.
 */
final class BatchPrefetch implements AutoCloseable {
    /** A batch and its input tensor [N, C, H, W]; the batch is valid until the next batch after this one is taken. */
    record Prepared(Batch batch, Tensor images) implements AutoCloseable {
        @Override public void close() { images.close(); }
    }

    private final Backend backend;
    private final BatchIterator batches;
    private final ExecutorService thread; // null: prepared on the caller's thread when asked for
    private final Batch[] buffers = new Batch[2];
    private int nextBuffer;
    private Future<Prepared> pending;

    /**
     * {@code ahead}: starts preparing the first batch of {@code batches} (which only the background thread reads
     * from now on); else each batch is prepared by {@link #next} (the iterator's own batch, no copy).
     */
    BatchPrefetch(Backend backend, BatchIterator batches, boolean ahead) {
        this.backend = backend;
        this.batches = batches;
        this.thread = !ahead ? null : Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "nncompress-batch-prefetch");
            t.setDaemon(true); // a caller that never closes (it should) does not keep the JVM alive
            return t;
        });
        if (ahead) submitNext();
    }

    boolean hasNext() { return thread == null ? batches.hasNext() : pending != null; }

    /** The next batch (waiting for it if it is not ready), and the preparation of the one after it started. */
    Prepared next() {
        if (thread == null) return prepare(batches.next());
        if (pending == null) throw new java.util.NoSuchElementException("epoch finished");
        Prepared p = await(pending);
        pending = null;
        submitNext();
        return p;
    }

    /** Prepares the iterator's next batch in the buffer after the last one, if the epoch has one. */
    private void submitNext() {
        if (!batches.hasNext()) return; // the last task has returned (next() waited for it): no race on the iterator
        int buffer = nextBuffer;
        nextBuffer ^= 1;
        pending = thread.submit(() -> {
            Batch b = batches.next().copyInto(buffers[buffer]);
            buffers[buffer] = b;
            return prepare(b);
        });
    }

    private Prepared prepare(Batch b) {
        return new Prepared(b, backend.fromFloats(b.images(), Shape.of(b.size(), b.channels(), b.height(), b.width())));
    }

    /** The task's result; its failure rethrown as it was thrown on the background thread. */
    private static Prepared await(Future<Prepared> f) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return f.get();
                } catch (InterruptedException e) {
                    interrupted = true; // the task writes a buffer this object owns: finish waiting, keep the flag
                }
            }
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException re) throw re;
            if (c instanceof Error er) throw er;
            throw new IllegalStateException(c);
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    /**
     * Waits for the batch being prepared (a started task cannot be stopped midway, and preparing one takes well under
     * a millisecond), closes its tensor and ends the thread before returning.
     */
    @Override
    public void close() {
        if (thread == null) return;
        Future<Prepared> f = pending;
        pending = null;
        try {
            if (f != null) await(f).close();
        } catch (RuntimeException | Error ignored) {
            // its failure belongs to a batch nobody asked for; the caller's own exception, if any, is the one to report
        } finally {
            thread.shutdown();
            boolean interrupted = false;
            while (true) {
                try {
                    if (thread.awaitTermination(1, TimeUnit.MINUTES)) break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) Thread.currentThread().interrupt();
        }
    }
}

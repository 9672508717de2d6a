package dev.nncompress.graph;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The checks every {@link Predictor} kind shares: {@link #THREADS} threads calling one predictor give
 * bit for bit the single-thread logits, with different batch sizes in flight at once (a buffer reused
 * by batch size shows up as wrong values), and a {@link Predictor#close()} from another thread during
 * use turns later calls into one clear exception, never wrong values or a crash.
 */
public final class ConcurrentCalls {
    public static final int THREADS = 8;

    private ConcurrentCalls() {}

    /** Batches of N(0, 1) images, one per size. */
    public static List<float[]> batches(Predictor p, long seed, int... sizes) {
        SplittableRandom r = new SplittableRandom(seed);
        List<float[]> out = new ArrayList<>();
        for (int n : sizes) {
            float[] x = new float[n * p.inputShape().numel()];
            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
            out.add(x);
        }
        return out;
    }

    /** {@link #THREADS} threads, {@code callsPerThread} calls each, over every size in turn (threads start at different sizes). */
    public static void assertSameAsSingleThread(Predictor p, int callsPerThread, int... sizes) {
        List<float[]> in = batches(p, 17, sizes);
        float[][] expected = new float[sizes.length][];
        for (int k = 0; k < sizes.length; k++) expected[k] = p.logits(in.get(k), sizes[k]);
        for (int k = 1; k < sizes.length; k++) {
            int row = expected[k].length / sizes[k];
            assertTrue(!Arrays.equals(expected[k - 1], 0, row, expected[k], 0, row), "batches must give different logits, or a mix-up hides");
        }
        ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        AtomicInteger calls = new AtomicInteger();
        runThreads(t -> {
            for (int i = 0; i < callsPerThread; i++) {
                int k = (t + i) % sizes.length;
                float[] got = p.logits(in.get(k), sizes[k]);
                calls.incrementAndGet();
                if (!Arrays.equals(got, expected[k])) wrong.add("thread " + t + " call " + i + " batch " + sizes[k]);
            }
        });
        assertEquals(THREADS * callsPerThread, calls.get());
        assertTrue(wrong.isEmpty(), wrong.size() + " of " + calls.get() + " concurrent calls differ from one thread's logits, e.g. "
                + wrong.peek());
    }

    /**
     * {@link #THREADS} threads call in a loop; once each has finished a call, another thread closes the
     * predictor. Every call returns the single-thread logits or throws IllegalStateException "predictor
     * NAME is closed"; a call after close() has returned always throws; close() again is harmless.
     */
    public static void assertCloseDuringUse(Predictor p, int... sizes) {
        List<float[]> in = batches(p, 23, sizes);
        float[][] expected = new float[sizes.length][];
        for (int k = 0; k < sizes.length; k++) expected[k] = p.logits(in.get(k), sizes[k]);
        String closedMessage = "predictor " + p.name() + " is closed";
        ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        java.util.concurrent.atomic.AtomicBoolean closeReturned = new java.util.concurrent.atomic.AtomicBoolean();
        CountDownLatch eachCalledOnce = new CountDownLatch(THREADS);
        Thread closer = new Thread(() -> {
            try {
                eachCalledOnce.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            p.close();
            closeReturned.set(true);
        }, "closer");
        closer.start();
        runThreads(t -> {
            for (int i = 0; ; i++) {
                int k = (t + i) % sizes.length;
                boolean afterClose = closeReturned.get();
                try {
                    float[] got = p.logits(in.get(k), sizes[k]);
                    ok.incrementAndGet();
                    if (!Arrays.equals(got, expected[k])) wrong.add("thread " + t + " call " + i + ": wrong logits");
                    if (afterClose) {
                        wrong.add("thread " + t + ": a call started after close() returned succeeded");
                        return;
                    }
                } catch (IllegalStateException e) {
                    if (!closedMessage.equals(e.getMessage())) wrong.add("thread " + t + ": unclear exception " + e);
                    refused.incrementAndGet();
                    return;
                } finally {
                    if (i == 0) eachCalledOnce.countDown();
                }
            }
        });
        try {
            closer.join(10_000);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        assertTrue(wrong.isEmpty(), String.join("; ", wrong));
        assertTrue(ok.get() >= THREADS, "each thread called before close");
        assertEquals(THREADS, refused.get(), "every thread was refused once closed");
        IllegalStateException after = assertThrows(IllegalStateException.class, () -> p.logits(in.get(0), sizes[0]));
        assertEquals(closedMessage, after.getMessage());
        p.close(); // twice: no effect, no exception
    }

    @FunctionalInterface
    interface PerThread {
        void run(int thread) throws Exception;
    }

    /** Runs {@code body} on {@link #THREADS} threads started together; rethrows the first failure. */
    static void runThreads(PerThread body) {
        CountDownLatch start = new CountDownLatch(1);
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int id = t;
            Thread th = new Thread(() -> {
                try {
                    start.await();
                    body.run(id);
                } catch (Throwable e) {
                    failures.add(e);
                }
            }, "caller-" + t);
            th.start();
            threads.add(th);
        }
        start.countDown();
        for (Thread th : threads) {
            try {
                th.join(TimeUnit.MINUTES.toMillis(2));
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            assertTrue(!th.isAlive(), th.getName() + " still running after 2 minutes");
        }
        if (!failures.isEmpty()) {
            AssertionError e = new AssertionError("a caller thread failed: " + failures.peek(), failures.peek());
            throw e;
        }
    }
}

package dev.nncompress.backend.cpu;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link CpuPar#forChunks}: every index exactly once, chunk starts aligned, failures reach the caller;
 * both splits: an interrupted caller still returns only after its helpers' parts, with the interrupt kept.
 */
class CpuParTest {
    @Test
    void chunksCoverEveryIndexOnceAtAlignedStarts() {
        int[][] cases = {{0, 1, 1}, {1, 1, 1}, {7, 1, 1}, {1000, 1, 12}, {1031, 10, 12}, {5, 100, 1}, {99_999, 7, 6}};
        for (int[] t : cases) {
            int n = t[0], minPerChunk = t[1], align = t[2];
            AtomicIntegerArray seen = new AtomicIntegerArray(Math.max(1, n));
            CpuPar.forChunks(n, 2, minPerChunk, align, (from, to) -> {
                assertTrue(from == 0 || from % align == 0, "chunk start " + from + " not a multiple of " + align);
                for (int i = from; i < to; i++) seen.incrementAndGet(i);
            });
            for (int i = 0; i < n; i++) assertEquals(1, seen.get(i), "n " + n + ": index " + i);
        }
    }

    @Test
    void returnsOnlyWhenChunksRunByHelpersHaveFinished() {
        Thread caller = Thread.currentThread();
        java.util.concurrent.atomic.AtomicInteger helperChunks = new java.util.concurrent.atomic.AtomicInteger();
        for (int round = 0; round < 3; round++) {
            AtomicIntegerArray seen = new AtomicIntegerArray(64);
            java.util.concurrent.atomic.AtomicBoolean first = new java.util.concurrent.atomic.AtomicBoolean(true);
            CpuPar.forChunks(64, 2, 1, 1, (from, to) -> {
                // the caller's first chunk gives a helper time to start; a helper's chunk outlasts the rest
                long ms = Thread.currentThread() != caller ? 60 : first.getAndSet(false) ? 20 : 0;
                if (Thread.currentThread() != caller) helperChunks.incrementAndGet();
                try {
                    Thread.sleep(ms);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                for (int i = from; i < to; i++) seen.incrementAndGet(i);
            });
            for (int i = 0; i < 64; i++) assertEquals(1, seen.get(i), "round " + round + ": index " + i + " not done on return");
        }
        assertTrue(helperChunks.get() > 0, "no chunk ran in a helper: the test proved nothing");
    }

    @Test
    void aFailingChunkFailsTheCall() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> CpuPar.forChunks(1000, 2, 1, 1, (from, to) -> {
            if (from <= 500 && 500 < to) throw new IllegalStateException("chunk with 500");
        }));
        assertEquals("chunk with 500", e.getMessage());
    }

    /** Split how a test wants it: forRange or forChunks, over 64 indices in parts of at least 1. */
    private interface Split {
        void run(CpuPar.Body body);
    }

    @Test
    void anInterruptedForRangeWaitsForItsHelpers() throws Exception {
        assertInterruptedCallerWaitsForHelpers(body -> CpuPar.forRange(64, 1, 1, body));
    }

    @Test
    void anInterruptedForChunksWaitsForItsHelpers() throws Exception {
        assertInterruptedCallerWaitsForHelpers(body -> CpuPar.forChunks(64, 2, 1, 1, body));
    }

    /**
     * The caller's own part ends at once; a helper's part sleeps 300 ms, during which the caller, waiting
     * for it, is interrupted. On return every index must be done and no helper part may still run (it
     * would write memory the caller frees), and the caller's interrupt flag must be set.
     */
    private static void assertInterruptedCallerWaitsForHelpers(Split split) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(CpuPar.threads() > 1, "one core: loops are not split");
        AtomicIntegerArray seen = new AtomicIntegerArray(64);
        java.util.concurrent.atomic.AtomicInteger helpersRunning = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger helperParts = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.CountDownLatch helperStarted = new java.util.concurrent.CountDownLatch(1);
        int[] runningOnReturn = {-1};
        boolean[] interruptedOnReturn = {false};
        Throwable[] thrown = {null};
        Thread caller = new Thread(() -> {
            Thread self = Thread.currentThread();
            try {
                split.run((from, to) -> {
                    if (Thread.currentThread() != self) {
                        helpersRunning.incrementAndGet();
                        helperParts.incrementAndGet();
                        helperStarted.countDown();
                        long until = System.nanoTime() + 300_000_000L;
                        while (System.nanoTime() < until) Thread.onSpinWait(); // not sleep: only the caller is interrupted
                    } else {
                        try {
                            helperStarted.await(5, java.util.concurrent.TimeUnit.SECONDS); // a helper has taken a part
                        } catch (InterruptedException e) {
                            self.interrupt();
                        }
                    }
                    for (int i = from; i < to; i++) seen.incrementAndGet(i);
                    if (Thread.currentThread() != self) helpersRunning.decrementAndGet();
                });
            } catch (Throwable t) {
                thrown[0] = t;
            } finally {
                runningOnReturn[0] = helpersRunning.get();
                interruptedOnReturn[0] = Thread.interrupted();
            }
        }, "split-caller");
        caller.start();
        assertTrue(helperStarted.await(5, java.util.concurrent.TimeUnit.SECONDS), "no helper took a part");
        Thread.sleep(50); // the caller is now waiting for the helper
        caller.interrupt();
        caller.join(10_000);
        assertTrue(!caller.isAlive(), "the split did not return");
        assertTrue(helperParts.get() > 0);
        assertEquals(0, runningOnReturn[0], "a helper part was still running when the split returned (or threw " + thrown[0] + ")");
        assertEquals(null, thrown[0], "the parts all finished: the split returns normally");
        for (int i = 0; i < 64; i++) assertEquals(1, seen.get(i), "index " + i + " not done on return");
        assertTrue(interruptedOnReturn[0], "the interrupt was lost");
    }
}

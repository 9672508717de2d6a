package dev.nncompress.backend.cpu;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link CpuPar#forChunks}: every index exactly once, chunk starts aligned, failures reach the caller. */
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
}

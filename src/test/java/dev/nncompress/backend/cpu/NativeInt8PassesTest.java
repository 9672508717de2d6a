package dev.nncompress.backend.cpu;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link NativeInt8Kernels#forPasses}: every image in exactly one pass, no pass over the limit, and with 2 threads an
 * even number of passes (at most n) within one image of each other (the threads end together); one thread or one pass: as the
 * default, in turn.
 */
class NativeInt8PassesTest {
    @Test
    void passesCoverTheBatchOnceWithinTheLimit() {
        NativeInt8KernelsTest.libraryBuilt();
        for (int threads : new int[] {1, 2}) {
            NativeInt8Kernels k = NativeInt8Kernels.of(NativeInt8Kernels.cpuVariants().get(0), threads);
            for (int n : new int[] {1, 2, 9, 256, 257}) {
                for (int max : new int[] {1, 2, 20, 41, 300}) {
                    List<int[]> seen = Collections.synchronizedList(new ArrayList<>());
                    k.forPasses(n, max, (from, to) -> seen.add(new int[] {from, to}));
                    List<int[]> passes = new ArrayList<>(seen);
                    passes.sort((a, b) -> Integer.compare(a[0], b[0]));
                    String what = threads + " threads, n " + n + ", max " + max;
                    int next = 0, smallest = Integer.MAX_VALUE, largest = 0;
                    for (int[] p : passes) {
                        assertEquals(next, p[0], what + ": passes must follow each other");
                        assertTrue(p[1] > p[0] && p[1] - p[0] <= max, what + ": pass " + p[0] + ".." + p[1]);
                        smallest = Math.min(smallest, p[1] - p[0]);
                        largest = Math.max(largest, p[1] - p[0]);
                        next = p[1];
                    }
                    assertEquals(n, next, what + ": every image");
                    int needed = (n + max - 1) / max;
                    if (threads == 2 && needed > 1) {
                        assertEquals(Math.min(n, (needed + 1) / 2 * 2), passes.size(), what + ": passes");
                        assertTrue(largest - smallest <= 1, what + ": sizes " + smallest + ".." + largest);
                    } else {
                        assertEquals(needed, passes.size(), what);
                    }
                }
            }
        }
    }
}

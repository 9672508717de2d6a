package dev.nncompress.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BatchesTest {

    private static final int N = 103;

    /** Example i has label i % 10 and every pixel of its 1x2x2 image equal to i. */
    private static final Dataset DATA = build();

    private static Dataset build() {
        float[] px = new float[N * 4];
        int[] labels = new int[N];
        for (int i = 0; i < N; i++) {
            labels[i] = i % 10;
            for (int p = 0; p < 4; p++) {
                px[i * 4 + p] = i;
            }
        }
        return new Dataset(px, labels, 1, 2, 2, 10);
    }

    /** The example order of one epoch, checking each batch's contents on the way. */
    private static List<Integer> order(BatchIterator it, List<Integer> sizes) {
        List<Integer> order = new ArrayList<>();
        while (it.hasNext()) {
            Batch b = it.next();
            sizes.add(b.size());
            assertEquals(b.size() * 4, b.images().length);
            for (int i = 0; i < b.size(); i++) {
                int index = b.indices()[i];
                assertEquals(index % 10, b.labels()[i]);
                for (int p = 0; p < 4; p++) {
                    assertEquals(index, b.images()[i * 4 + p]);
                }
                order.add(index);
            }
        }
        return order;
    }

    private static List<Integer> order(BatchIterator it) {
        return order(it, new ArrayList<>());
    }

    @Test
    void everyIndexOncePerEpochWithShortLastBatch() {
        Batches batches = Batches.of(DATA, 10).shuffled(7);
        assertEquals(11, batches.batchCount());
        for (int epoch = 0; epoch < 3; epoch++) {
            List<Integer> sizes = new ArrayList<>();
            List<Integer> order = order(batches.epoch(epoch), sizes);
            assertEquals(N, order.size());
            assertEquals(N, order.stream().distinct().count());
            assertEquals(11, sizes.size());
            assertEquals(3, sizes.get(10));
        }
    }

    @Test
    void dropLastSkipsShortBatch() {
        Batches batches = Batches.of(DATA, 10).shuffled(7).dropLast(true);
        assertEquals(10, batches.batchCount());
        List<Integer> sizes = new ArrayList<>();
        List<Integer> order = order(batches.epoch(0), sizes);
        assertEquals(100, order.size());
        assertEquals(100, order.stream().distinct().count());
        assertTrue(sizes.stream().allMatch(s -> s == 10));
        // Dropping only trims the tail: the first 100 of the full order are the same.
        assertEquals(order(Batches.of(DATA, 10).shuffled(7).epoch(0)).subList(0, 100), order);
    }

    /** A resumed epoch starting at batch k serves exactly the batches k.. of the whole epoch, short last batch and dropLast alike. */
    @Test
    void epochFromABatchContinuesTheSameOrder() {
        for (boolean drop : new boolean[] {false, true}) {
            Batches batches = Batches.of(DATA, 10).shuffled(7).dropLast(drop);
            List<Integer> whole = order(batches.epoch(4));
            for (int k = 0; k <= batches.batchCount(); k++) {
                assertEquals(whole.subList(Math.min(whole.size(), 10 * k), whole.size()), order(batches.epoch(4, k)), "from batch " + k);
                assertEquals(batches.batchCount() - k, batches.epoch(4, k).remaining());
            }
            assertThrows(IllegalArgumentException.class, () -> batches.epoch(0, batches.batchCount() + 1));
            assertThrows(IllegalArgumentException.class, () -> batches.epoch(0, -1));
        }
    }

    @Test
    void unshuffledIsSequential() {
        List<Integer> order = order(Batches.of(DATA, 32).epoch(5));
        for (int i = 0; i < N; i++) {
            assertEquals(i, order.get(i));
        }
    }

    @Test
    void sameSeedSameOrderAndEpochsDiffer() {
        Batches a = Batches.of(DATA, 16).shuffled(1234);
        Batches b = Batches.of(DATA, 16).shuffled(1234);
        assertEquals(order(a.epoch(0)), order(b.epoch(0)));
        assertEquals(order(a.epoch(3)), order(b.epoch(3)));
        assertNotEquals(order(a.epoch(0)), order(a.epoch(1)));
        assertNotEquals(order(a.epoch(0)), order(Batches.of(DATA, 16).shuffled(99).epoch(0)));
        // Per-epoch seeding: epoch e of seed s is epoch 0 of seed s + e.
        assertEquals(order(a.epoch(2)), order(Batches.of(DATA, 16).shuffled(1236).epoch(0)));
    }

    @Test
    void permutationFollowsDocumentedFisherYates() {
        int[] expected = new int[N];
        for (int i = 0; i < N; i++) {
            expected[i] = i;
        }
        SplittableRandom rng = new SplittableRandom(42L + 3);
        for (int i = N - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = expected[i];
            expected[i] = expected[j];
            expected[j] = t;
        }
        assertArrayEquals(expected, Batches.permutation(N, 42L, 3));
    }

    @Test
    void fullBatchBufferIsReusedAndCopyKeepsContents() {
        BatchIterator it = Batches.of(DATA, 10).epoch(0);
        assertEquals(11, it.remaining());
        Batch first = it.next();
        Batch kept = first.copy();
        Batch second = it.next();
        assertSame(first, second);
        assertEquals(10, second.indices()[0]);
        assertEquals(0, kept.indices()[0]);
        assertEquals(0f, kept.images()[0]);
        assertEquals(9, it.remaining());
    }

    @Test
    void exhaustedIteratorThrows() {
        BatchIterator it = Batches.of(DATA, 200).epoch(0);
        assertEquals(N, it.next().size());
        assertFalse(it.hasNext());
        assertThrows(NoSuchElementException.class, it::next);
        assertFalse(Batches.of(DATA, 200).dropLast(true).epoch(0).hasNext());
        assertThrows(IllegalArgumentException.class, () -> Batches.of(DATA, 0));
    }
}

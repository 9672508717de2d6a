package dev.nncompress.data;

import java.util.SplittableRandom;

/**
 * Splits a {@link Dataset} into mini-batches, optionally in a seeded random order per epoch.
 *
 * <pre>{@code
 * Batches batches = Batches.of(train, 64).shuffled(42).dropLast(true);
 * for (int epoch = 0; epoch < epochs; epoch++) {
 *     for (BatchIterator it = batches.epoch(epoch); it.hasNext(); ) {
 *         Batch b = it.next(); // valid until the next call to it.next()
 *     }
 * }
 * }</pre>
 *
 * <p>Order contract, so that runs are reproducible and other implementations can match it:
 * epoch {@code e} visits the examples in {@link #permutation(int, long, int)
 * permutation(count, seed, e)}: start from the identity {@code 0..n-1}, create {@code
 * new SplittableRandom(seed + e)}, and for {@code i} from {@code n - 1} down to {@code 1} swap
 * elements {@code i} and {@code rng.nextInt(i + 1)} (Fisher-Yates). Without {@link
 * #shuffled(long)} every epoch uses the identity order. Seeding per epoch, rather than one
 * generator for the whole run, lets a resumed run reproduce epoch {@code e} without replaying the
 * earlier ones. Instances are immutable: {@code shuffled} and {@code dropLast} return new ones.
 */
public final class Batches {

    private final Dataset data;
    private final int batchSize;
    private final boolean shuffle;
    private final long seed;
    private final boolean dropLast;

    private Batches(Dataset data, int batchSize, boolean shuffle, long seed, boolean dropLast) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        }
        this.data = data;
        this.batchSize = batchSize;
        this.shuffle = shuffle;
        this.seed = seed;
        this.dropLast = dropLast;
    }

    /** Sequential order, keeping a short final batch. */
    public static Batches of(Dataset data, int batchSize) {
        return new Batches(data, batchSize, false, 0L, false);
    }

    /** Same batches, visited in the seeded per-epoch order described in the class comment. */
    public Batches shuffled(long seed) {
        return new Batches(data, batchSize, true, seed, dropLast);
    }

    /** Whether to skip the final batch when it has fewer than {@code batchSize} examples. */
    public Batches dropLast(boolean drop) {
        return new Batches(data, batchSize, shuffle, seed, drop);
    }

    public int batchSize() {
        return batchSize;
    }

    /** Batches per epoch. */
    public int batchCount() {
        int n = data.count();
        return dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
    }

    /** Iterator over epoch {@code epoch} (0-based). */
    public BatchIterator epoch(int epoch) {
        return epoch(epoch, 0);
    }

    /**
     * Iterator over epoch {@code epoch} starting at its batch {@code firstBatch} (0-based, at most
     * {@link #batchCount()}): a resumed run continues an epoch in the same order without reading the
     * batches it already trained on.
     */
    public BatchIterator epoch(int epoch, int firstBatch) {
        if (firstBatch < 0 || firstBatch > batchCount()) {
            throw new IllegalArgumentException("batch " + firstBatch + " is outside the epoch's 0.." + batchCount());
        }
        int[] order = shuffle ? permutation(data.count(), seed, epoch) : identity(data.count());
        return new BatchIterator(data, order, batchSize, dropLast, firstBatch);
    }

    /** The example order of a shuffled epoch; see the class comment. */
    public static int[] permutation(int n, long seed, int epoch) {
        int[] order = identity(n);
        SplittableRandom rng = new SplittableRandom(seed + epoch);
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    private static int[] identity(int n) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        return order;
    }
}

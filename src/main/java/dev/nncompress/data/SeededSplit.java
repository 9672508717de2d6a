package dev.nncompress.data;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * The held-out split of data that have none of their own (an image folder without test/, an {@code .npz} with only
 * x and y): a seeded shuffle of all examples, the first {@code round(n * fraction)} for test, the rest for training,
 * each kept in shuffled order (so that {@code --train-limit N} reads a sample of every class, not the first class).
 * The shuffle is {@link Batches#permutation}'s with epoch 0, so the split depends on the seed and the count only:
 * train, eval, prune and quantize with the same data and seed see the same split.
 */
final class SeededSplit {
    private SeededSplit() {}

    /** {train indices, test indices}. */
    static int[][] of(Path where, int n, double fraction, long seed) {
        int test = (int) Math.round(n * fraction);
        if (test == 0 || test == n) {
            throw new DatasetException(where + ": holding out " + fraction + " of " + n + " examples leaves " + (test == 0 ? "no test" : "no training")
                    + " example; give another --test-fraction or more data");
        }
        int[] order = Batches.permutation(n, seed, 0);
        return new int[][] {Arrays.copyOfRange(order, test, n), Arrays.copyOfRange(order, 0, test)};
    }

    /** The order an image folder's own split is read in: shuffled by the seed, as above. */
    static int[] shuffled(int n, long seed) {
        return Batches.permutation(n, seed, 0);
    }

    /** "seeded 0.2 split (seed 0)" */
    static String describe(double fraction, long seed) {
        return "seeded " + fraction + " test split, seed " + seed;
    }
}

package dev.nncompress.compress.distill;

import dev.nncompress.data.Batch;

/**
 * Rows of floats, one per example of a dataset, looked up by example index ({@link Batch#indices()}): the storage
 * behind the teacher caches, so any data order, epoch and batch size reads the same rows.
 */
final class PerExampleTable {
    private final float[] rows;
    private final int count;
    private final int width;

    PerExampleTable(int count, int width) {
        this.rows = new float[Math.multiplyExact(count, width)];
        this.count = count;
        this.width = width;
    }

    /** Stores {@code values} (n rows) as the rows of examples {@code first .. first + n - 1}. */
    void put(int first, float[] values) {
        System.arraycopy(values, 0, rows, Math.multiplyExact(first, width), values.length);
    }

    /** The rows of the batch's examples, in batch order. */
    float[] rowsFor(Batch b) {
        int[] idx = b.indices();
        float[] out = new float[b.size() * width];
        for (int i = 0; i < b.size(); i++) {
            if (idx[i] < 0 || idx[i] >= count) {
                throw new IllegalArgumentException("example " + idx[i] + " is outside the cached dataset of " + count + " examples");
            }
            System.arraycopy(rows, idx[i] * width, out, i * width, width);
        }
        return out;
    }

    int count() { return count; }

    int width() { return width; }
}

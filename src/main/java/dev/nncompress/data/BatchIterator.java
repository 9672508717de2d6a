package dev.nncompress.data;

import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Walks one epoch of a dataset in a fixed example order. Created by {@link Batches#epoch(int)}.
 *
 * <p>Every full-size batch is written into the same {@link Batch} object, and a final short
 * batch into a second one; a returned batch is therefore only valid until the next call to
 * {@link #next()}. Training loops that consume each batch before asking for the next (the usual
 * case) avoid allocating ~200 KB per batch this way. Not thread-safe.
 */
public final class BatchIterator implements Iterator<Batch> {

    private final Dataset data;
    private final int[] order;
    private final int batchSize;
    private final int end; // examples actually served: order.length, or less when dropping
    private Batch full;
    private int position;

    BatchIterator(Dataset data, int[] order, int batchSize, boolean dropLast, int firstBatch) {
        this.data = data;
        this.order = order;
        this.batchSize = batchSize;
        this.end = dropLast ? order.length - order.length % batchSize : order.length;
        this.position = (int) Math.min(end, (long) firstBatch * batchSize);
    }

    @Override
    public boolean hasNext() {
        return position < end;
    }

    @Override
    public Batch next() {
        if (!hasNext()) {
            throw new NoSuchElementException("epoch finished");
        }
        int size = Math.min(batchSize, end - position);
        Batch batch;
        if (size == batchSize) {
            if (full == null) {
                full = newBatch(batchSize);
            }
            batch = full;
        } else {
            batch = newBatch(size); // at most once per epoch
        }
        int stride = data.exampleSize();
        float[] images = batch.images();
        int[] labels = batch.labels();
        int[] indices = batch.indices();
        for (int i = 0; i < size; i++) {
            int index = order[position + i];
            indices[i] = index;
            labels[i] = data.label(index);
            data.copyImage(index, images, i * stride);
        }
        position += size;
        return batch;
    }

    /** Batches left in this epoch. */
    public int remaining() {
        return (end - position + batchSize - 1) / batchSize;
    }

    private Batch newBatch(int size) {
        return new Batch(size, data.channels(), data.height(), data.width());
    }
}

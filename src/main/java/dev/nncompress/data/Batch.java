package dev.nncompress.data;

/**
 * One mini-batch: {@code size} examples, images NCHW and their labels.
 *
 * <p>A batch returned by {@link BatchIterator#next()} shares its arrays with the iterator and is
 * overwritten by the following {@code next()} call (so an epoch allocates two buffers, not one
 * per batch). Call {@link #copy()} to keep one.
 */
public final class Batch {

    private final float[] images;
    private final int[] labels;
    private final int[] indices;
    private final int channels;
    private final int height;
    private final int width;

    Batch(int size, int channels, int height, int width) {
        this.images = new float[size * channels * height * width];
        this.labels = new int[size];
        this.indices = new int[size];
        this.channels = channels;
        this.height = height;
        this.width = width;
    }

    /** Number of examples, the N in NCHW. */
    public int size() {
        return labels.length;
    }

    public int channels() {
        return channels;
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    /** {@code size() * C * H * W} pixels, NCHW; the live buffer, see the class comment. */
    public float[] images() {
        return images;
    }

    /** {@code size()} labels; the live buffer. */
    public int[] labels() {
        return labels;
    }

    /** Which dataset example each row came from; the live buffer. */
    public int[] indices() {
        return indices;
    }

    /** A copy that stays valid after the iterator moves on. */
    public Batch copy() {
        return copyInto(null);
    }

    /**
     * This batch copied into {@code reuse} when that has the same size and image shape (its arrays are
     * overwritten), else into a new batch: a reader that keeps batches past the iterator's next call (the
     * trainer's prefetch) alternates between two without allocating per batch.
     */
    public Batch copyInto(Batch reuse) {
        Batch c = reuse != null && reuse.size() == size() && reuse.channels == channels && reuse.height == height && reuse.width == width
                ? reuse : new Batch(size(), channels, height, width);
        System.arraycopy(images, 0, c.images, 0, images.length);
        System.arraycopy(labels, 0, c.labels, 0, labels.length);
        System.arraycopy(indices, 0, c.indices, 0, indices.length);
        return c;
    }
}

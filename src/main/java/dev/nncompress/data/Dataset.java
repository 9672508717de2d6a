package dev.nncompress.data;

import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.util.Arrays;

/**
 * An immutable in-memory image classification dataset: normalised float pixels in NCHW order
 * plus integer labels.
 *
 * <p>The arrays are never handed out directly (a caller could otherwise change a dataset other
 * code relies on); use the read-only views, the per-example copy methods, or {@link Batches}.
 * Full copies via {@link #images()} cost as much memory as the dataset (~188 MB for the
 * Fashion-MNIST training set), so prefer the views.
 */
public final class Dataset {

    private final float[] images;
    private final int[] labels;
    private final int channels;
    private final int height;
    private final int width;
    private final int numClasses;

    /**
     * Copies the arrays, so later changes to them do not affect this dataset.
     *
     * @param images {@code labels.length * channels * height * width} values, NCHW
     * @param labels one label per example, each in {@code [0, numClasses)}
     */
    public Dataset(float[] images, int[] labels, int channels, int height, int width,
            int numClasses) {
        this(images.clone(), labels.clone(), channels, height, width, numClasses, true);
    }

    /** Takes ownership of the arrays; only for loaders in this package that just built them. */
    static Dataset wrap(float[] images, int[] labels, int channels, int height, int width,
            int numClasses) {
        return new Dataset(images, labels, channels, height, width, numClasses, true);
    }

    // 'owned' only tells this constructor apart from the public, copying one.
    private Dataset(float[] images, int[] labels, int channels, int height, int width,
            int numClasses, boolean owned) {
        if (channels <= 0 || height <= 0 || width <= 0 || numClasses <= 0) {
            throw new IllegalArgumentException("channels, height, width and numClasses must be "
                    + "positive, got " + channels + ", " + height + ", " + width + ", "
                    + numClasses);
        }
        long expected = (long) labels.length * channels * height * width;
        if (images.length != expected) {
            throw new IllegalArgumentException("images has " + images.length + " values; "
                    + labels.length + " examples of " + channels + "x" + height + "x" + width
                    + " need " + expected);
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= numClasses) {
                throw new IllegalArgumentException("label " + labels[i] + " at index " + i
                        + " is outside 0.." + (numClasses - 1));
            }
        }
        this.images = images;
        this.labels = labels;
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.numClasses = numClasses;
    }

    public int count() {
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

    public int numClasses() {
        return numClasses;
    }

    /** Values per example: channels * height * width. */
    public int exampleSize() {
        return channels * height * width;
    }

    public int label(int index) {
        return labels[index];
    }

    /** Copies example {@code index} (C*H*W values) into {@code dst} at {@code offset}. */
    public void copyImage(int index, float[] dst, int offset) {
        int size = exampleSize();
        System.arraycopy(images, index * size, dst, offset, size);
    }

    /** Read-only zero-copy view of all pixels, NCHW. */
    public FloatBuffer imagesView() {
        return FloatBuffer.wrap(images).asReadOnlyBuffer();
    }

    /** Read-only zero-copy view of all labels. */
    public IntBuffer labelsView() {
        return IntBuffer.wrap(labels).asReadOnlyBuffer();
    }

    /** A full copy of the pixels; see the class comment about its cost. */
    public float[] images() {
        return images.clone();
    }

    /** A copy of the labels. */
    public int[] labels() {
        return labels.clone();
    }

    /** Examples {@code [from, to)} as a new dataset (copies the range). */
    public Dataset slice(int from, int to) {
        if (from < 0 || to > count() || from > to) {
            throw new IndexOutOfBoundsException("slice [" + from + ", " + to
                    + ") of a dataset with " + count() + " examples");
        }
        int size = exampleSize();
        return new Dataset(Arrays.copyOfRange(images, from * size, to * size),
                Arrays.copyOfRange(labels, from, to), channels, height, width, numClasses, true);
    }

    @Override
    public String toString() {
        return "Dataset[" + count() + " x " + channels + "x" + height + "x" + width + ", "
                + numClasses + " classes]";
    }
}

package dev.nncompress.data;

import java.nio.file.Path;
import java.util.List;

/**
 * A dataset as loaded by {@link DataSource}: the raw splits asked for, the class names the data carry, and the
 * normalisation that belongs to the format.
 *
 * @param format        "idx", "image-folder", "npz", "npy", "cifar-10" or "cifar-100"
 * @param path          where it was read from
 * @param train         the training images, or null when the request skipped them (limit 0)
 * @param test          the test images, or null when skipped
 * @param classNames    label {@code i}'s name at index {@code i}, or empty when the data name none
 * @param numClasses    the class count (labels are below it)
 * @param normalization the format's own normalisation (IDX: Fashion-MNIST's), or null where it is computed from the
 *                      training split ({@link RawImages#statistics()})
 * @param split         how train and test were told apart, for a message ("train/ and test/ folders", "seeded 0.2 split, seed 0")
 */
public record DataSplits(String format, Path path, RawImages train, RawImages test, List<String> classNames, int numClasses,
                         Normalization normalization, String split) {
    public DataSplits {
        classNames = List.copyOf(classNames);
        if (train == null && test == null) throw new IllegalArgumentException("no split loaded");
        if (!classNames.isEmpty() && classNames.size() != numClasses) {
            throw new IllegalArgumentException(classNames.size() + " class names for " + numClasses + " classes");
        }
        RawImages a = train != null ? train : test;
        if (train != null && test != null && (train.channels() != test.channels() || train.height() != test.height() || train.width() != test.width())) {
            throw new DatasetException(path + ": training images are " + train.channels() + "x" + train.height() + "x" + train.width()
                    + " but test images " + test.channels() + "x" + test.height() + "x" + test.width());
        }
        int max = Math.max(train == null ? -1 : train.maxLabel(), test == null ? -1 : test.maxLabel());
        if (max >= numClasses) throw new IllegalArgumentException("label " + max + " for " + numClasses + " classes in " + a);
    }

    public int channels() { return (train != null ? train : test).channels(); }

    public int height() { return (train != null ? train : test).height(); }

    public int width() { return (train != null ? train : test).width(); }

    /** "3x32x32" */
    public String shape() { return channels() + "x" + height() + "x" + width(); }
}

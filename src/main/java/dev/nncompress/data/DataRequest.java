package dev.nncompress.data;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;

/**
 * What to load from a dataset path ({@link DataSource#load}); validated on construction, messages name the option.
 *
 * @param path         the dataset: a directory or an {@code .npz} file
 * @param height       image folders: the height images are resized and cropped to; 0 = {@link #DEFAULT_IMAGE_SIZE}.
 *                     Other formats have a fixed size, which must equal it when given
 * @param width        as {@code height}
 * @param channels     1 or 3 to convert every image to that many channels; 0 = as the data are (image folders: 3 if
 *                     any image read is colour, else 1)
 * @param classes      class names: for an image folder, the class subfolders to read in label order (others are
 *                     ignored); for other formats, the names of labels 0, 1, ...; empty = the data's own
 * @param testFraction the held-out fraction when the data have no test split of their own, in (0, 1); null = 
 *                     {@link #DEFAULT_TEST_FRACTION} (and an error if given where the data have a test split)
 * @param splitSeed    seed of that split and of the order of image-folder splits
 * @param trainLimit   read at most this many training images ({@code Integer.MAX_VALUE}: all; 0: skip the split)
 * @param testLimit    as {@code trainLimit}, for the test split
 * @param coarseLabels CIFAR-100: the 20 coarse classes instead of the 100 fine ones
 */
public record DataRequest(Path path, int height, int width, int channels, List<String> classes, Double testFraction, long splitSeed,
                          int trainLimit, int testLimit, boolean coarseLabels) {
    public static final int DEFAULT_IMAGE_SIZE = 32;
    public static final double DEFAULT_TEST_FRACTION = 0.2;
    public static final int ALL = Integer.MAX_VALUE;

    public DataRequest {
        Objects.requireNonNull(path, "path");
        if ((height == 0) != (width == 0)) throw new IllegalArgumentException("--image-size: give both height and width or neither");
        if (height != 0 && (height < 1 || height > DataLimits.MAX_SIDE || width < 1 || width > DataLimits.MAX_SIDE)) {
            throw new IllegalArgumentException("--image-size must be in [1, " + DataLimits.MAX_SIDE + "], got " + height + "x" + width);
        }
        if (channels != 0 && channels != 1 && channels != 3) throw new IllegalArgumentException("--channels must be 1 or 3, got " + channels);
        classes = List.copyOf(classes);
        if (classes.size() > DataLimits.MAX_CLASSES) {
            throw new IllegalArgumentException("--classes names " + classes.size() + " classes; at most " + DataLimits.MAX_CLASSES);
        }
        var seen = new HashSet<String>();
        for (String c : classes) {
            if (c.isBlank() || c.length() > DataLimits.MAX_CLASS_NAME_CHARS) {
                throw new IllegalArgumentException("--classes: a class name must have 1 to " + DataLimits.MAX_CLASS_NAME_CHARS + " characters");
            }
            if (!seen.add(c)) throw new IllegalArgumentException("--classes names '" + c + "' twice");
        }
        if (testFraction != null && !(testFraction > 0 && testFraction < 1)) {
            throw new IllegalArgumentException("--test-fraction must be in (0, 1), got " + testFraction);
        }
        if (trainLimit < 0 || testLimit < 0) throw new IllegalArgumentException("limits must be >= 0, got " + trainLimit + " and " + testLimit);
    }

    /** Everything of both splits, as the data are. */
    public static DataRequest of(Path path) {
        return new DataRequest(path, 0, 0, 0, List.of(), null, 0, ALL, ALL, false);
    }

    public DataRequest withLimits(int train, int test) {
        return new DataRequest(path, height, width, channels, classes, testFraction, splitSeed, train, test, coarseLabels);
    }

    public DataRequest withImageSize(int h, int w) {
        return new DataRequest(path, h, w, channels, classes, testFraction, splitSeed, trainLimit, testLimit, coarseLabels);
    }

    public DataRequest withChannels(int c) {
        return new DataRequest(path, height, width, c, classes, testFraction, splitSeed, trainLimit, testLimit, coarseLabels);
    }

    public DataRequest withClasses(List<String> names) {
        return new DataRequest(path, height, width, channels, names, testFraction, splitSeed, trainLimit, testLimit, coarseLabels);
    }

    public DataRequest withSplit(Double fraction, long seed) {
        return new DataRequest(path, height, width, channels, classes, fraction, seed, trainLimit, testLimit, coarseLabels);
    }

    public DataRequest withCoarseLabels(boolean coarse) {
        return new DataRequest(path, height, width, channels, classes, testFraction, splitSeed, trainLimit, testLimit, coarse);
    }

    /** The fraction to hold out where the data have no test split. */
    double heldOut() { return testFraction == null ? DEFAULT_TEST_FRACTION : testFraction; }

    /** A usage error when --test-fraction was given for data that have their own test split. */
    void checkNoFraction(String why) {
        if (testFraction != null) throw new IllegalArgumentException("--test-fraction: " + path + " " + why + "; the option is for data without one");
    }
}

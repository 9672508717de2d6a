package dev.nncompress.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Loads Fashion-MNIST (or any dataset shipped as the same four IDX files, such as MNIST) into a
 * normalised {@link Dataset}.
 *
 * <p>Looks in the directory for {@code train-images-idx3-ubyte.gz}, {@code
 * train-labels-idx1-ubyte.gz}, {@code t10k-images-idx3-ubyte.gz} and {@code
 * t10k-labels-idx1-ubyte.gz}, or the same names without {@code .gz} (an unpacked copy).
 * Pixels become {@code (x / 255 - MEAN) / STD}.
 */
public final class FashionMnist {

    /** Where Debian's {@code dataset-fashion-mnist} package installs the files. */
    public static final Path DEFAULT_DIR = Path.of("/usr/share/datasets/fashion-mnist");

    /** Mean and standard deviation of the training pixels scaled to [0, 1]. */
    public static final float MEAN = 0.2860f;
    public static final float STD = 0.3530f;

    public static final int NUM_CLASSES = 10;

    /** The classes in label order. */
    public static final List<String> CLASS_NAMES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    public static final String TRAIN_IMAGES = "train-images-idx3-ubyte";
    public static final String TRAIN_LABELS = "train-labels-idx1-ubyte";
    public static final String TEST_IMAGES = "t10k-images-idx3-ubyte";
    public static final String TEST_LABELS = "t10k-labels-idx1-ubyte";

    /**
     * Pixel byte to normalised float, computed once in float arithmetic so every loader (and a
     * reimplementation following the formula above) gets bit-identical inputs.
     */
    private static final float[] NORMALISED = new float[256];

    static {
        for (int v = 0; v < 256; v++) {
            NORMALISED[v] = (v / 255f - MEAN) / STD;
        }
    }

    private FashionMnist() {
    }

    /** The 60000-example training split. */
    public static Dataset train(Path dir) {
        return train(dir, Integer.MAX_VALUE);
    }

    /** The first {@code limit} training examples. */
    public static Dataset train(Path dir, int limit) {
        return load(resolve(dir, TRAIN_IMAGES), resolve(dir, TRAIN_LABELS), limit);
    }

    /** The 10000-example test split. */
    public static Dataset test(Path dir) {
        return test(dir, Integer.MAX_VALUE);
    }

    /** The first {@code limit} test examples. */
    public static Dataset test(Path dir, int limit) {
        return load(resolve(dir, TEST_IMAGES), resolve(dir, TEST_LABELS), limit);
    }

    /**
     * Finds {@code name.gz} or {@code name} in {@code dir}. When neither exists returns the
     * {@code .gz} path, so the reader's "not found" error names the file the package installs.
     */
    public static Path resolve(Path dir, String name) {
        Path gz = dir.resolve(name + ".gz");
        if (Files.exists(gz)) {
            return gz;
        }
        Path plain = dir.resolve(name);
        return Files.exists(plain) ? plain : gz;
    }

    /**
     * Loads an image file (3 dims) and a label file (1 dim) whose headers declare the same
     * count, keeping the first {@code limit} examples, normalised as {@code train} has always done ({@link
     * Normalization#FASHION_MNIST}).
     */
    public static Dataset load(Path imagesFile, Path labelsFile, int limit) {
        Raw raw = loadRaw(imagesFile, labelsFile, limit);
        return raw.images().normalise(Normalization.FASHION_MNIST, raw.numClasses());
    }

    /** An IDX pair's pixels before normalisation, and its class count. */
    public record Raw(RawImages images, int numClasses) {}

    /**
     * The pixels and labels of an IDX pair, unnormalised (see {@link #load}).
     *
     * <p>The label file is always read whole (it is tiny) so that {@code numClasses}, taken as
     * {@code max(10, largest label + 1)}, does not depend on {@code limit}.
     */
    public static Raw loadRaw(Path imagesFile, Path labelsFile, int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit must be >= 0, got " + limit);
        }
        int[] imageDims = IdxReader.readDims(imagesFile);
        if (imageDims.length != 3) {
            throw new DatasetException(imagesFile + ": expected a 3-d image file, found "
                    + imageDims.length + " dims");
        }
        if (imageDims[1] == 0 || imageDims[2] == 0) {
            throw new DatasetException(imagesFile + ": images of " + imageDims[1] + "x"
                    + imageDims[2] + " pixels; each image needs at least one pixel");
        }
        IdxFile labelFile = IdxReader.read(labelsFile);
        if (labelFile.dims().length != 1) {
            throw new DatasetException(labelsFile + ": expected a 1-d label file, found "
                    + labelFile.dims().length + " dims");
        }
        if (imageDims[0] != labelFile.items()) {
            throw new DatasetException("image/label count mismatch: " + imagesFile + " has "
                    + imageDims[0] + " images but " + labelsFile + " has " + labelFile.items()
                    + " labels");
        }
        DataLimits.checkMemory(imagesFile, Math.min(limit, imageDims[0]), (long) imageDims[1] * imageDims[2], 1);
        IdxFile imageFile = IdxReader.read(imagesFile, limit);
        int n = imageFile.items();

        int maxLabel = 0;
        for (int i = 0; i < labelFile.items(); i++) {
            maxLabel = Math.max(maxLabel, labelFile.unsigned(i));
        }
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = labelFile.unsigned(i);
        }
        return new Raw(RawImages.ofBytes(imageFile.data(), labels, 1, imageDims[1], imageDims[2]),
                Math.max(NUM_CLASSES, maxLabel + 1));
    }

    /** The normalised value of pixel byte {@code v} (0..255). */
    public static float normalise(int v) {
        return NORMALISED[v];
    }
}

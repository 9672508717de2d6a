package dev.nncompress.cli;

import dev.nncompress.data.DataRequest;
import dev.nncompress.data.FashionMnist;
import dev.nncompress.data.Normalization;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;

/**
 * The dataset options of every command that reads data (a picocli mixin): where the data are, how images are sized,
 * converted, split and named, and the normalisation (docs/data.md). Checked before anything is read; {@link DataBinding}
 * fills what is not given from the model file, then from the data.
 */
public final class DataOptions {
    @Option(names = "--data", paramLabel = "PATH", description = "Dataset: an IDX directory (Fashion-MNIST), an image folder (one subfolder per class; "
            + "train/ and test/ or val/ if split), an .npz file or a folder of .npy files (x, y or x_train, y_train, x_test, y_test), or a "
            + "CIFAR-10/100 binary folder; docs/data.md (default: ${DEFAULT-VALUE}).")
    Path data = FashionMnist.DEFAULT_DIR;

    @Option(names = "--image-size", paramLabel = "S", description = "Image folders: resize the shorter side to S and crop the centre S x S "
            + "(default: the model file's input size, else " + DataRequest.DEFAULT_IMAGE_SIZE + ").")
    Integer imageSize;

    @Option(names = "--channels", paramLabel = "1|3", description = "Convert images to 1 (luma) or 3 channels (default: the model file's; "
            + "image folders: 3 if any image is colour, else 1).")
    Integer channels;

    @Option(names = "--classes", split = ",", paramLabel = "NAME", description = "Class names in label order: an image folder's class "
            + "subfolders to read (default: all, sorted; or the model file's), or the names of other formats' labels 0, 1, ...")
    List<String> classes;

    @Option(names = "--test-fraction", paramLabel = "F", description = "Held-out test fraction for data without a test split of their own "
            + "(default: " + DataRequest.DEFAULT_TEST_FRACTION + ").")
    Double testFraction;

    @Option(names = "--split-seed", defaultValue = "0", paramLabel = "SEED", description = "Seed of that split and of an image folder's "
            + "read order (default: ${DEFAULT-VALUE}).")
    long splitSeed;

    @Option(names = "--mean", split = ",", paramLabel = "M", description = "Normalisation mean per channel (or one for all) of pixel/255 "
            + "(float arrays: of the values); with --std (default: the model file's, else the dataset's: Fashion-MNIST's for IDX, "
            + "computed from the training split for the others).")
    List<Double> mean;

    @Option(names = "--std", split = ",", paramLabel = "S", description = "Normalisation standard deviation per channel (or one for all); with --mean.")
    List<Double> std;

    @Option(names = "--coarse-labels", description = "CIFAR-100: the 20 coarse classes instead of the 100 fine ones.")
    boolean coarseLabels;

    /** Usage errors for options that cannot work together or are out of range; reads nothing. */
    void check() {
        request(0, 0);
        explicitNormalization();
    }

    /** The options' request with these limits; what they leave open is 0 or empty, for {@link DataBinding} to fill. */
    DataRequest request(int trainLimit, int testLimit) {
        int size = imageSize == null ? 0 : imageSize;
        if (imageSize != null && imageSize < 1) throw new IllegalArgumentException("--image-size must be >= 1, got " + imageSize);
        return new DataRequest(data, size, size, channels == null ? 0 : channels, classes == null ? List.of() : classes, testFraction, splitSeed,
                trainLimit, testLimit, coarseLabels);
    }

    /** --mean/--std as a normalisation, or null when neither is given. */
    Normalization explicitNormalization() {
        if (mean == null && std == null) return null;
        if (mean == null || std == null) throw new IllegalArgumentException((mean == null ? "--std" : "--mean") + " needs " + (mean == null ? "--mean" : "--std") + " too");
        if (mean.size() != std.size()) throw new IllegalArgumentException("--mean has " + mean.size() + " values but --std " + std.size());
        float[] m = new float[mean.size()];
        float[] s = new float[std.size()];
        for (int i = 0; i < m.length; i++) {
            m[i] = mean.get(i).floatValue();
            s[i] = std.get(i).floatValue();
        }
        try {
            return new Normalization(m, s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--mean/--std: " + e.getMessage(), e);
        }
    }
}

package dev.nncompress.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * What {@code --data} accepts, told apart by what the path holds (docs/data.md): the IDX quadruple of Fashion-MNIST,
 * CIFAR-10/100 binary batches, an {@code .npz} file or a folder of {@code .npy} files, or an image folder with one
 * subfolder per class. The one entry point; each format has its reader, and the rules every format shares (class
 * names given as an option, channel conversion, a fixed size that must match) are applied here once.
 */
public final class DataSource {
    /** The formats, with the names messages, provenance and docs use. */
    public enum Format {
        IDX("idx"), CIFAR10("cifar-10"), CIFAR100("cifar-100"), NPZ("npz"), NPY("npy"), IMAGE_FOLDER("image-folder");

        private final String id;

        Format(String id) { this.id = id; }

        public String id() { return id; }
    }

    static final String FORMATS_HINT = "--data takes an IDX directory (Fashion-MNIST), a CIFAR-10/100 binary folder, an .npz file, "
            + "a folder of .npy files (x, y) or an image folder (one subfolder per class); docs/data.md";

    private DataSource() {}

    /** Loads the splits {@code r} asks for. Errors are {@link DatasetException}s naming the file (or IllegalArgumentException for options). */
    public static DataSplits load(DataRequest r) {
        Format format = detect(r.path());
        DataSplits s = switch (format) {
            case IDX -> idx(r);
            case CIFAR10, CIFAR100 -> CifarBinary.load(r, format);
            case NPZ, NPY -> NumpyArrays.load(r, format);
            case IMAGE_FOLDER -> ImageFolder.load(r);
        };
        return finish(s, r, format);
    }

    /** Which format {@code path} holds; a path that holds none is a {@link DatasetException} saying what was looked for. */
    public static Format detect(Path path) {
        if (!Files.exists(path)) {
            if (name(path).endsWith(".npz") || name(path).endsWith(".npy")) throw new DatasetException(path + " not found");
            throw new DatasetException(path + " not found; " + FORMATS_HINT + "; for Fashion-MNIST " + IdxReader.INSTALL_HINT);
        }
        if (!Files.isDirectory(path)) {
            if (name(path).endsWith(".npz")) return Format.NPZ;
            if (name(path).endsWith(".npy")) {
                throw new DatasetException(path + ": give the directory holding x.npy and y.npy (or x_train/y_train/x_test/y_test.npy), not one array");
            }
            throw new DatasetException(path + ": not a dataset; " + FORMATS_HINT);
        }
        if (Files.exists(FashionMnist.resolve(path, FashionMnist.TRAIN_IMAGES)) || Files.exists(FashionMnist.resolve(path, FashionMnist.TEST_IMAGES))) {
            return Format.IDX;
        }
        Format cifar = CifarBinary.detect(path);
        if (cifar != null) return cifar;
        if (NumpyArrays.holdsNpy(path)) return Format.NPY;
        if (hasSubdirectory(path)) return Format.IMAGE_FOLDER;
        throw new DatasetException(path + " holds no dataset: no IDX files (" + FashionMnist.TRAIN_IMAGES + "[.gz]), no CIFAR batches "
                + "(data_batch_1.bin, train.bin), no x.npy, no class subfolders; " + FORMATS_HINT);
    }

    private static DataSplits idx(DataRequest r) {
        r.checkNoFraction("has IDX test files (t10k-*)");
        FashionMnist.Raw train = r.trainLimit() == 0 ? null : FashionMnist.loadRaw(FashionMnist.resolve(r.path(), FashionMnist.TRAIN_IMAGES),
                FashionMnist.resolve(r.path(), FashionMnist.TRAIN_LABELS), r.trainLimit());
        FashionMnist.Raw test = r.testLimit() == 0 ? null : FashionMnist.loadRaw(FashionMnist.resolve(r.path(), FashionMnist.TEST_IMAGES),
                FashionMnist.resolve(r.path(), FashionMnist.TEST_LABELS), r.testLimit());
        int classes = Math.max(train == null ? 0 : train.numClasses(), test == null ? 0 : test.numClasses());
        return new DataSplits(Format.IDX.id(), r.path(), train == null ? null : train.images(), test == null ? null : test.images(), List.of(),
                classes, Normalization.FASHION_MNIST, "train-* and t10k-* files");
    }

    /** Class names from the options, channel conversion, and the fixed size of formats that cannot resize. */
    private static DataSplits finish(DataSplits s, DataRequest r, Format format) {
        if (format != Format.IMAGE_FOLDER && r.height() != 0 && (r.height() != s.height() || r.width() != s.width())) {
            throw new IllegalArgumentException("--data " + r.path() + " holds " + s.height() + "x" + s.width() + " images (" + format.id()
                    + " has a fixed size; only image folders are resized), not the " + r.height() + "x" + r.width() + " asked for"
                    + " (by --image-size or the model's input)");
        }
        List<String> names = s.classNames();
        int classes = s.numClasses();
        if (format != Format.IMAGE_FOLDER && !r.classes().isEmpty()) { // an image folder picked its folders by them already
            if (r.classes().size() < classes) {
                throw new IllegalArgumentException("--classes names " + r.classes().size() + " classes but " + r.path() + " has labels up to "
                        + (classes - 1));
            }
            names = r.classes();
            classes = names.size();
        }
        RawImages train = s.train();
        RawImages test = s.test();
        if (r.channels() != 0) {
            train = train == null ? null : train.withChannels(r.channels());
            test = test == null ? null : test.withChannels(r.channels());
        }
        return new DataSplits(s.format(), s.path(), train, test, names, classes, s.normalization(), s.split());
    }

    private static boolean hasSubdirectory(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.anyMatch(p -> Files.isDirectory(p) && !name(p).startsWith("."));
        } catch (IOException e) {
            throw new DatasetException(dir + ": cannot list: " + e.getMessage(), e);
        }
    }

    static String name(Path p) {
        Path f = p.getFileName();
        return f == null ? "" : f.toString().toLowerCase(Locale.ROOT);
    }
}

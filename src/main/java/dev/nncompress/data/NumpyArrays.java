package dev.nncompress.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Datasets stored as NumPy arrays: an {@code .npz} file ({@link NpzFile}) or a folder of {@code .npy} files. The
 * arrays are {@code x_train, y_train, x_test, y_test} (Keras' {@code mnist.npz} layout) or {@code x, y}, of which a
 * seeded fraction is held out ({@link SeededSplit}); {@code x_train, y_train} without a test pair are split the same
 * way. The array rules are {@link NpyArray}'s. Labels name no classes: class names come from {@code --classes}.
 */
final class NumpyArrays {
    /** One array's bytes: where they are (for messages), the stream, and how many bytes it holds. */
    interface Source {
        /** The named array ("x_train"), or null when absent. */
        Opened open(String name) throws IOException;
    }

    record Opened(String where, InputStream in, long size) implements AutoCloseable {
        @Override public void close() throws IOException { in.close(); }
    }

    private NumpyArrays() {}

    /** Whether {@code dir} holds the arrays of this format. */
    static boolean holdsNpy(Path dir) {
        for (String n : List.of("x.npy", "x_train.npy", "x_test.npy")) if (Files.isRegularFile(dir.resolve(n))) return true;
        return false;
    }

    static DataSplits load(DataRequest r, DataSource.Format format) {
        if (format == DataSource.Format.NPZ) {
            try (NpzFile z = NpzFile.open(r.path())) {
                return load(r, format, z::open, z.names());
            }
        }
        return load(r, format, name -> {
            Path f = r.path().resolve(name + ".npy");
            if (!Files.isRegularFile(f)) return null;
            return new Opened(f.toString(), new BufferedInputStream(Files.newInputStream(f), 1 << 16), Files.size(f));
        }, "the .npy files in " + r.path());
    }

    private static DataSplits load(DataRequest r, DataSource.Format format, Source src, String listing) {
        try {
            boolean pairs = has(src, "x_train");
            if (!pairs && !has(src, "x")) throw new DatasetException(r.path() + ": no array x_train or x (found " + listing + ")");
            String x = pairs ? "x_train" : "x";
            String y = pairs ? "y_train" : "y";
            if (pairs && has(src, "x_test")) {
                r.checkNoFraction("has x_test and y_test");
                Read train = r.trainLimit() == 0 ? null : read(r.path(), src, x, y, r.trainLimit());
                Read test = r.testLimit() == 0 ? null : read(r.path(), src, "x_test", "y_test", r.testLimit());
                int classes = Math.max(train == null ? 0 : train.classes(), test == null ? 0 : test.classes());
                return new DataSplits(format.id(), r.path(), train == null ? null : train.images(), test == null ? null : test.images(), List.of(),
                        classes, null, "x_train/y_train and x_test/y_test arrays");
            }
            Read all = read(r.path(), src, x, y, DataRequest.ALL);
            int[][] idx = SeededSplit.of(r.path(), all.images().count(), r.heldOut(), r.splitSeed());
            RawImages train = r.trainLimit() == 0 ? null : all.images().select(idx[0]).first(r.trainLimit());
            RawImages test = r.testLimit() == 0 ? null : all.images().select(idx[1]).first(r.testLimit());
            return new DataSplits(format.id(), r.path(), train, test, List.of(), all.classes(), null,
                    SeededSplit.describe(r.heldOut(), r.splitSeed()) + " of " + x + "/" + y);
        } catch (IOException e) {
            throw new DatasetException(r.path() + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static boolean has(Source src, String name) throws IOException {
        try (Opened o = src.open(name)) {
            return o != null;
        }
    }

    /** Images with their labels, and the class count of all of the array's labels (so that it does not depend on a limit). */
    private record Read(RawImages images, int classes) {}

    /** The first {@code limit} images of {@code x} with their labels from {@code y}, whose lengths must agree; {@code path} is --data, for messages. */
    private static Read read(Path path, Source src, String x, String y, int limit) throws IOException {
        int[] labels;
        String whereY;
        try (Opened o = src.open(y)) {
            if (o == null) throw new DatasetException(path + ": array " + y + " not found beside " + x);
            NpyHeader h = NpyHeader.read(o.in(), o.where());
            whereY = o.where();
            labels = NpyArray.labels(o.in(), h, o.size() - h.bytes(), o.where(), DataRequest.ALL);
        }
        int max = -1;
        for (int l : labels) max = Math.max(max, l);
        try (Opened o = src.open(x)) {
            NpyHeader h = NpyHeader.read(o.in(), o.where());
            if (h.shape()[0] != labels.length) {
                throw new DatasetException(o.where() + ": " + h.shape()[0] + " images but " + whereY + " has " + labels.length + " labels");
            }
            int n = (int) Math.min(limit, labels.length);
            return new Read(NpyArray.images(o.in(), h, o.size() - h.bytes(), o.where(), n, java.util.Arrays.copyOf(labels, n)), max + 1);
        }
    }
}

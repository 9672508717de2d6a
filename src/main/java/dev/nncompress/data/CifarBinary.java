package dev.nncompress.data;

import dev.nncompress.util.Quoted;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The CIFAR-10 and CIFAR-100 "binary version" files (https://www.cs.toronto.edu/~kriz/cifar.html): records of a
 * label byte (CIFAR-100: a coarse and a fine label byte) followed by 3 x 32 x 32 pixel bytes, the red, green and blue
 * planes row-major. CIFAR-10: {@code data_batch_1.bin} .. {@code data_batch_5.bin} (those present, in number order)
 * and {@code test_batch.bin}, class names from {@code batches.meta.txt}; CIFAR-100: {@code train.bin} and
 * {@code test.bin}, fine labels (or coarse ones on request), names from {@code fine_label_names.txt} /
 * {@code coarse_label_names.txt}. The folder may be the one the archive unpacks to or its parent.
 *
 * <p>Checked before reading: every file's size is a whole number of records, labels are below the class count
 * (10, 100 fine, 20 coarse), and the images fit the heap ({@link DataLimits#checkMemory}); a names file must be at
 * most {@link DataLimits#MAX_NAMES_FILE_BYTES} with the right number of names.
 */
final class CifarBinary {
    private static final int IMAGE_BYTES = 3 * 32 * 32;

    private CifarBinary() {}

    /** CIFAR10 or CIFAR100 when {@code dir} (or its {@code cifar-10-batches-bin} / {@code cifar-100-binary}) holds the files, else null. */
    static DataSource.Format detect(Path dir) {
        if (root(dir, DataSource.Format.CIFAR10) != null) return DataSource.Format.CIFAR10;
        if (root(dir, DataSource.Format.CIFAR100) != null) return DataSource.Format.CIFAR100;
        return null;
    }

    private static Path root(Path dir, DataSource.Format f) {
        boolean ten = f == DataSource.Format.CIFAR10;
        for (Path d : List.of(dir, dir.resolve(ten ? "cifar-10-batches-bin" : "cifar-100-binary"))) {
            if (ten ? Files.isRegularFile(d.resolve("data_batch_1.bin")) || Files.isRegularFile(d.resolve("test_batch.bin"))
                    : Files.isRegularFile(d.resolve("train.bin")) || Files.isRegularFile(d.resolve("test.bin"))) {
                return d;
            }
        }
        return null;
    }

    static DataSplits load(DataRequest r, DataSource.Format f) {
        r.checkNoFraction("has CIFAR test batches");
        boolean ten = f == DataSource.Format.CIFAR10;
        Path dir = root(r.path(), f);
        int labelBytes = ten ? 1 : 2;
        int classes = ten ? 10 : r.coarseLabels() ? 20 : 100;
        int labelAt = ten ? 0 : r.coarseLabels() ? 0 : 1;
        List<Path> trainFiles = new ArrayList<>();
        if (ten) {
            for (int i = 1; i <= 5; i++) if (Files.isRegularFile(dir.resolve("data_batch_" + i + ".bin"))) trainFiles.add(dir.resolve("data_batch_" + i + ".bin"));
        } else {
            trainFiles.add(dir.resolve("train.bin"));
        }
        if (trainFiles.isEmpty() && r.trainLimit() > 0) throw new DatasetException(dir + ": no data_batch_1.bin .. data_batch_5.bin beside test_batch.bin");
        List<Path> testFiles = List.of(dir.resolve(ten ? "test_batch.bin" : "test.bin"));
        RawImages train = r.trainLimit() == 0 ? null : read(trainFiles, labelBytes, labelAt, classes, r.trainLimit());
        RawImages test = r.testLimit() == 0 ? null : read(testFiles, labelBytes, labelAt, classes, r.testLimit());
        String namesFile = ten ? "batches.meta.txt" : r.coarseLabels() ? "coarse_label_names.txt" : "fine_label_names.txt";
        List<String> names = names(dir.resolve(namesFile), classes);
        return new DataSplits(f.id(), r.path(), train, test, names, classes, null,
                (ten ? "data_batch_*.bin and test_batch.bin" : "train.bin and test.bin, " + (r.coarseLabels() ? "coarse" : "fine") + " labels"));
    }

    /** The first {@code limit} records of {@code files} in order. */
    private static RawImages read(List<Path> files, int labelBytes, int labelAt, int classes, int limit) {
        int record = labelBytes + IMAGE_BYTES;
        long available = 0;
        for (Path f : files) {
            if (!Files.isRegularFile(f)) throw new DatasetException(f + " not found");
            long size;
            try {
                size = Files.size(f);
            } catch (IOException e) {
                throw new DatasetException(f + ": cannot read: " + e.getMessage(), e);
            }
            if (size == 0 || size % record != 0) {
                throw new DatasetException(f + ": " + size + " bytes is not a whole number of " + record + "-byte CIFAR records"
                        + (labelBytes == 1 && size % (record + 1) == 0 ? " (it looks like CIFAR-100's train.bin/test.bin)" : ""));
            }
            available += size / record;
        }
        int n = (int) Math.min(limit, available);
        DataLimits.checkMemory(files.get(0).getParent(), n, IMAGE_BYTES, 1);
        byte[] pixels = new byte[n * IMAGE_BYTES];
        int[] labels = new int[n];
        byte[] rec = new byte[record];
        int i = 0;
        for (Path f : files) {
            if (i == n) break;
            try (InputStream in = new BufferedInputStream(Files.newInputStream(f), 1 << 16)) {
                long records = Files.size(f) / record;
                for (long k = 0; k < records && i < n; k++, i++) {
                    if (in.readNBytes(rec, 0, record) != record) throw new DatasetException(f + ": truncated while reading (it shrank?)");
                    int label = rec[labelAt] & 0xff;
                    if (label >= classes) throw new DatasetException(f + ": record " + k + " has label " + label + "; labels are below " + classes);
                    labels[i] = label;
                    System.arraycopy(rec, labelBytes, pixels, i * IMAGE_BYTES, IMAGE_BYTES);
                }
            } catch (IOException e) {
                throw new DatasetException(f + ": cannot read: " + e.getMessage(), e);
            }
        }
        return RawImages.ofBytes(pixels, labels, 3, 32, 32);
    }

    /** The class names of a names file (one a line, blank lines skipped), or none when it is absent. */
    private static List<String> names(Path file, int classes) {
        if (!Files.isRegularFile(file)) return List.of();
        try {
            if (Files.size(file) > DataLimits.MAX_NAMES_FILE_BYTES) {
                throw new DatasetException(file + ": " + Files.size(file) + " bytes, more than a class-names file may have (" + DataLimits.MAX_NAMES_FILE_BYTES + ")");
            }
            List<String> names = new ArrayList<>();
            for (String line : new String(Files.readAllBytes(file), StandardCharsets.UTF_8).split("\\R")) {
                String n = line.strip();
                if (n.isEmpty()) continue;
                if (n.length() > DataLimits.MAX_CLASS_NAME_CHARS) throw new DatasetException(file + ": class name " + Quoted.of(n) + " is too long");
                names.add(n);
            }
            if (names.size() != classes) throw new DatasetException(file + ": " + names.size() + " class names for " + classes + " classes");
            return names;
        } catch (IOException e) {
            throw new DatasetException(file + ": cannot read: " + e.getMessage(), e);
        }
    }
}

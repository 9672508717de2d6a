package dev.nncompress.fuzz;

import dev.nncompress.data.DataRequest;
import dev.nncompress.data.DataSource;
import dev.nncompress.data.DataSplits;
import dev.nncompress.data.DatasetException;
import dev.nncompress.data.Normalization;
import dev.nncompress.data.RawImages;

import java.nio.file.Path;

/**
 * What the dataset targets (NumPy, image folder, CIFAR) do with the files an input became: load them with
 * {@link DataSource#load}, the one path of every command's {@code --data}, then normalise both splits as
 * {@code DataBinding} does (the format's normalisation, else the training split's statistics). The only acceptable
 * failure is a {@link DatasetException} naming a file of the input (the CLI's one line, exit 1); anything else,
 * an {@code IllegalArgumentException} included (exit 2 with no file named), is a finding.
 */
final class DataFuzz {
    private DataFuzz() {}

    /** Loads {@code --data} as {@code request} says; a rejection must name its path (the file or folder the input became) or a file in it. */
    static void load(DataRequest request) {
        Path path = request.path();
        DataSplits s;
        try {
            s = DataSource.load(request);
        } catch (DatasetException e) {
            FuzzRun.requireNamesFile(e, path);
            return;
        }
        Normalization norm = s.normalization() != null ? s.normalization() : (s.train() != null ? s.train() : s.test()).statistics();
        for (RawImages r : new RawImages[] {s.train(), s.test()}) {
            if (r != null) r.normalise(norm, s.numClasses());
        }
    }
}

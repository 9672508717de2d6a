package dev.nncompress.compress.prune;

import dev.nncompress.backend.Backend;
import dev.nncompress.data.Dataset;
import dev.nncompress.train.Check;

/** The images (with labels) and backend that data-driven criteria run on; all of {@code data} is used, in order. */
public record Calibration(Dataset data, int batchSize, Backend backend) {
    public Calibration {
        if (data == null || data.count() == 0) throw new IllegalArgumentException("calibration needs at least one image");
        Check.positive("calibration batch size", batchSize);
        if (backend == null) throw new IllegalArgumentException("calibration needs a backend");
    }
}

package dev.nncompress.compress.distill;

import dev.nncompress.data.Batch;
import dev.nncompress.graph.Predictor;

/**
 * Where a distillation step gets the frozen teacher's logits for its batch: a live {@link Predictor} run in
 * inference mode on the batch ({@link #live}), or a {@link CachedTeacherLogits} table computed once per dataset.
 */
@FunctionalInterface
public interface TeacherLogits {
    /** Logits [b.size(), classes] row-major for the batch's rows. */
    float[] forBatch(Batch b);

    /**
     * The teacher run on every batch: a float graph ({@code GraphPredictor}, on the training backend, so on the
     * GPU when training runs there) or an int8 model ({@code Int8Runner}); either way in inference mode and frozen.
     */
    static TeacherLogits live(Predictor teacher) {
        return b -> teacher.logits(b.images(), b.size());
    }
}

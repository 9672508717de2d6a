package dev.nncompress.compress.distill;

import dev.nncompress.data.Batch;
import dev.nncompress.data.BatchIterator;
import dev.nncompress.data.Batches;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Predictor;
import dev.nncompress.util.ProgressListener;

/**
 * The teacher's logits for every example of one dataset, computed once and looked up by example index
 * ({@link Batch#indices()}), so they serve any data order, any epoch and any batch size. Valid because the
 * teacher is frozen and runs in inference mode and the training images are not augmented: the teacher would
 * return the same logits every epoch. 60,000 x 10 floats = 2.4 MB.
 */
public final class CachedTeacherLogits implements TeacherLogits {
    private final PerExampleTable logits;
    private final double seconds;

    private CachedTeacherLogits(PerExampleTable logits, double seconds) {
        this.logits = logits;
        this.seconds = seconds;
    }

    /** Runs {@code teacher} over {@code data} in order, {@code batchSize} images at a time. */
    public static CachedTeacherLogits compute(Predictor teacher, Dataset data, int batchSize) {
        return compute(teacher, data, batchSize, ProgressListener.NONE);
    }

    /** As {@link #compute(Predictor, Dataset, int)}, reporting a "teacher logits" task of one step per batch. */
    public static CachedTeacherLogits compute(Predictor teacher, Dataset data, int batchSize, ProgressListener progress) {
        long start = System.nanoTime();
        PerExampleTable all = null;
        int row = 0;
        Batches batches = Batches.of(data, batchSize);
        try (ProgressListener.Task task = progress.start("teacher logits", batches.batchCount(), "batches")) {
            int done = 0;
            for (BatchIterator it = batches.epoch(0); it.hasNext(); ) {
                Batch b = it.next();
                float[] l = teacher.logits(b.images(), b.size());
                if (all == null) all = new PerExampleTable(data.count(), l.length / b.size());
                all.put(row, l);
                row += b.size();
                task.update(++done);
            }
        }
        if (all == null) throw new IllegalArgumentException("cannot cache teacher logits of an empty dataset");
        return new CachedTeacherLogits(all, (System.nanoTime() - start) / 1e9);
    }

    @Override
    public float[] forBatch(Batch b) { return logits.rowsFor(b); }

    /** Examples cached (the dataset's size). */
    public int count() { return logits.count(); }

    public int classes() { return logits.width(); }

    /** Wall time the teacher took to fill the cache. */
    public double seconds() { return seconds; }
}

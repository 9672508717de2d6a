package dev.nncompress.compress.distill;

import dev.nncompress.data.Batch;
import dev.nncompress.data.BatchIterator;
import dev.nncompress.data.Batches;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Predictor;

/**
 * The teacher's logits for every example of one dataset, computed once and looked up by example index
 * ({@link Batch#indices()}), so they serve any data order, any epoch and any batch size. Valid because the
 * teacher is frozen and runs in inference mode and the training images are not augmented: the teacher would
 * return the same logits every epoch. 60,000 x 10 floats = 2.4 MB.
 */
public final class CachedTeacherLogits implements TeacherLogits {
    private final float[] logits;
    private final int count;
    private final int classes;
    private final double seconds;

    private CachedTeacherLogits(float[] logits, int count, int classes, double seconds) {
        this.logits = logits;
        this.count = count;
        this.classes = classes;
        this.seconds = seconds;
    }

    /** Runs {@code teacher} over {@code data} in order, {@code batchSize} images at a time. */
    public static CachedTeacherLogits compute(Predictor teacher, Dataset data, int batchSize) {
        long start = System.nanoTime();
        float[] all = null;
        int classes = 0;
        int row = 0;
        for (BatchIterator it = Batches.of(data, batchSize).epoch(0); it.hasNext(); ) {
            Batch b = it.next();
            float[] l = teacher.logits(b.images(), b.size());
            if (all == null) {
                classes = l.length / b.size();
                all = new float[Math.multiplyExact(data.count(), classes)];
            }
            System.arraycopy(l, 0, all, row * classes, l.length);
            row += b.size();
        }
        if (all == null) throw new IllegalArgumentException("cannot cache teacher logits of an empty dataset");
        return new CachedTeacherLogits(all, data.count(), classes, (System.nanoTime() - start) / 1e9);
    }

    @Override
    public float[] forBatch(Batch b) {
        int[] idx = b.indices();
        float[] out = new float[b.size() * classes];
        for (int i = 0; i < b.size(); i++) {
            if (idx[i] < 0 || idx[i] >= count) {
                throw new IllegalArgumentException("example " + idx[i] + " is outside the cached dataset of " + count + " examples");
            }
            System.arraycopy(logits, idx[i] * classes, out, i * classes, classes);
        }
        return out;
    }

    /** Examples cached (the dataset's size). */
    public int count() { return count; }

    public int classes() { return classes; }

    /** Wall time the teacher took to fill the cache. */
    public double seconds() { return seconds; }
}

package dev.nncompress.train;

import dev.nncompress.util.ProgressListener;

import java.util.Locale;

/**
 * Training and evaluation reported to a {@link ProgressListener}: one task per epoch ("epoch 2/5", or the label
 * alone for a single pass such as an evaluation) counting batches, with the running loss and images per second as its
 * detail. The task ends with its last batch (an evaluation has no {@code epochDone}), at the next epoch, or at
 * {@link #close} after a failure.
 */
public final class TrainProgress implements TrainListener, AutoCloseable {
    private final ProgressListener progress;
    private final String label;
    private ProgressListener.Task task = ProgressListener.Task.NONE;
    private int steps;

    /** @param label "epoch", "qat epoch"; "eval" is shown without an epoch count */
    public TrainProgress(ProgressListener progress, String label) {
        this.progress = progress;
        this.label = label;
    }

    @Override
    public void epochStarted(int epoch, int epochs, int steps) {
        close();
        this.steps = steps;
        String name = label.equals("eval") ? label : label + " " + (epoch + 1) + "/" + epochs;
        task = progress.start(name, steps, "batches");
    }

    @Override
    public void stepDone(int step, float meanLoss, double imagesPerSecond) {
        task.update(step, String.format(Locale.ROOT, "loss %.4f  %.0f img/s", meanLoss, imagesPerSecond));
        if (step >= steps) close();
    }

    @Override
    public void epochDone(EpochStats stats) { close(); }

    @Override
    public void close() {
        task.close();
        task = ProgressListener.Task.NONE;
    }
}

package dev.nncompress.cli;

import dev.nncompress.train.EpochStats;
import dev.nncompress.train.TrainListener;
import dev.nncompress.train.TrainProgress;

import java.io.PrintWriter;

/**
 * Progress of training and evaluation on stderr, driven by {@link TrainListener}: each epoch a task of
 * {@link ConsoleProgress} (a live bar with the running loss and images per second on a terminal, rate-limited plain
 * lines otherwise, nothing with {@code --quiet}). Results themselves are printed by the commands on stdout.
 */
final class Progress implements TrainListener, AutoCloseable {
    private final ConsoleProgress console;
    private final TrainProgress epochs;

    /** @param label "epoch", "qat epoch", or "eval" (one pass, shown without an epoch count) */
    Progress(ConsoleProgress.Mode mode, PrintWriter err, String label) {
        this.console = new ConsoleProgress(mode, err);
        this.epochs = new TrainProgress(console, label);
    }

    /** BAR on a terminal, LINES otherwise, NONE when quiet ({@link ConsoleProgress#detect}). */
    static ConsoleProgress.Mode detect(boolean quiet) { return ConsoleProgress.detect(quiet); }

    /** The same console for the command's other long steps (calibration before QAT, pruning rounds). */
    ConsoleProgress console() { return console; }

    @Override
    public void epochStarted(int epoch, int epochs, int steps) { this.epochs.epochStarted(epoch, epochs, steps); }

    @Override
    public void stepDone(int step, float meanLoss, double imagesPerSecond) { epochs.stepDone(step, meanLoss, imagesPerSecond); }

    @Override
    public void epochDone(EpochStats stats) { epochs.epochDone(stats); }

    @Override
    public void close() {
        epochs.close();
        console.close();
    }
}

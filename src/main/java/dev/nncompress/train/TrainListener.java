package dev.nncompress.train;

/** Progress callbacks of {@link Trainer} and {@link Evaluator} (the CLI draws a progress bar with them). */
public interface TrainListener {
    TrainListener NONE = new TrainListener() {};

    default void epochStarted(int epoch, int epochs, int steps) {}

    /** After each step: running mean loss of the epoch so far and images per second. */
    default void stepDone(int step, float meanLoss, double imagesPerSecond) {}

    default void epochDone(EpochStats stats) {}
}

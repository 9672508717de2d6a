package dev.nncompress.train;

/** Progress callbacks of {@link Trainer} and {@link Evaluator} (the CLI draws a progress bar with them). */
public interface TrainListener {
    TrainListener NONE = new TrainListener() {};

    default void epochStarted(int epoch, int epochs, int steps) {}

    /** After each step: running mean loss of the epoch so far and images per second. */
    default void stepDone(int step, float meanLoss, double imagesPerSecond) {}

    default void epochDone(EpochStats stats) {}

    /** Both listeners, this one first (a recipe's epoch lines and the progress bar). */
    default TrainListener and(TrainListener other) {
        TrainListener first = this;
        return new TrainListener() {
            @Override
            public void epochStarted(int epoch, int epochs, int steps) {
                first.epochStarted(epoch, epochs, steps);
                other.epochStarted(epoch, epochs, steps);
            }

            @Override
            public void stepDone(int step, float meanLoss, double imagesPerSecond) {
                first.stepDone(step, meanLoss, imagesPerSecond);
                other.stepDone(step, meanLoss, imagesPerSecond);
            }

            @Override
            public void epochDone(EpochStats stats) {
                first.epochDone(stats);
                other.epochDone(stats);
            }
        };
    }
}

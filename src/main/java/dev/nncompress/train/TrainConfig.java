package dev.nncompress.train;

/**
 * Everything that determines a training run besides the model and data; with the same config and
 * seed a run is repeatable (data order, dropout masks).
 */
public record TrainConfig(int epochs, int batchSize, OptimizerConfig optimizer, LrSchedule schedule, long seed) {
    public TrainConfig {
        Check.positive("epochs", epochs);
        Check.positive("batchSize", batchSize);
        if (optimizer == null) throw new IllegalArgumentException("optimizer must be set");
        if (schedule == null) throw new IllegalArgumentException("schedule must be set");
    }

    /** The reference recipe: SGD lr 0.01, momentum 0.9, batch 64, constant rate. */
    public static TrainConfig sgdDefaults(int epochs, long seed) {
        return new TrainConfig(epochs, 64, new OptimizerConfig.Sgd(0.01f, 0.9f, 0f, false), new LrSchedule.Constant(), seed);
    }
}

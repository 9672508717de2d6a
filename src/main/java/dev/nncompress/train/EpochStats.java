package dev.nncompress.train;

/** One epoch of training: mean training loss, throughput, and the evaluation after it (null if none). */
public record EpochStats(int epoch, float trainLoss, double imagesPerSecond, double seconds, float lr, EvalResult eval) {}

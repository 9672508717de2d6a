package dev.nncompress.backend;

import dev.nncompress.tensor.Tensor;

/** Output of training-mode batch norm with the per-channel batch mean, biased variance and 1/sqrt(var+eps). */
public record BatchNormResult(Tensor output, Tensor mean, Tensor variance, Tensor invStd) {
    /**
     * PyTorch's running-statistics update as float factors: running = running * keep + statistic * factor,
     * keep = 1 - momentum, the mean's factor momentum, the variance's momentum * count / (count - 1)
     * (the unbiased batch variance; 1 when count is 1). One place, so every backend and route rounds alike.
     */
    public record RunningBlend(float keep, float meanFactor, float varFactor) {
        /** {@code count} = values per channel (N * spatial). */
        public static RunningBlend of(float momentum, long count) {
            if (!(momentum >= 0f && momentum <= 1f)) throw new IllegalArgumentException("batch norm momentum must be in [0, 1], got " + momentum);
            float unbias = count > 1 ? (float) count / (count - 1) : 1f;
            return new RunningBlend(1f - momentum, momentum, momentum * unbias);
        }
    }
}

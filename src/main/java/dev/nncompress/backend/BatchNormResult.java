package dev.nncompress.backend;

import dev.nncompress.tensor.Tensor;

/** Output of training-mode batch norm with the per-channel batch mean, biased variance and 1/sqrt(var+eps). */
public record BatchNormResult(Tensor output, Tensor mean, Tensor variance, Tensor invStd) {}

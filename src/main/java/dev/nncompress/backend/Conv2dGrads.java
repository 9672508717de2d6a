package dev.nncompress.backend;

import dev.nncompress.tensor.Tensor;

/** Gradients of a convolution; {@code input} and {@code bias} are null when not asked for. */
public record Conv2dGrads(Tensor input, Tensor weight, Tensor bias) {}

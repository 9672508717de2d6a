package dev.nncompress.backend;

import dev.nncompress.tensor.Tensor;

public record BatchNormGrads(Tensor input, Tensor gamma, Tensor beta) {}

package dev.nncompress.backend;

import dev.nncompress.tensor.Tensor;

/** Mean loss over the batch and its gradient w.r.t. the logits (already divided by the batch size). */
public record LossResult(float loss, Tensor gradLogits) {}

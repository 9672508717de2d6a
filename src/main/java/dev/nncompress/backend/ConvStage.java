package dev.nncompress.backend;

import dev.nncompress.tensor.Tensor;

/**
 * One stage of a fused conv stack ({@link Backend#convStack}; inference, and a training pass's conv + ReLU): conv2d(x, weight, bias, spec), then ReLU when
 * {@code relu}, then {@code pool} (a max-pool; null: none). The stack's stages run in order, each reading the last
 * one's output; what the stack returns equals running those ops one by one, up to float rounding (the sums may run
 * in another order).
 *
 * @param bias null: none
 * @param pool null: no max-pool after the stage
 */
public record ConvStage(Tensor weight, Tensor bias, Conv2dSpec spec, boolean relu, Pool2dSpec pool) {
    public ConvStage {
        if (weight == null || spec == null) throw new IllegalArgumentException("conv stage needs a weight and a spec");
    }
}

package dev.nncompress.train;

import dev.nncompress.graph.Parameter;

import java.util.List;

/** Updates parameters in place from their accumulated gradients; owns per-parameter state tensors. */
public interface Optimizer extends AutoCloseable {
    /** One update of every parameter that has a gradient, at learning rate {@code lr}. */
    void step(List<Parameter> params, float lr);

    /** Frees the state tensors (momentum buffers, Adam moments). */
    @Override void close();
}

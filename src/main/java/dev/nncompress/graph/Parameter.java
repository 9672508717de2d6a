package dev.nncompress.graph;

import dev.nncompress.backend.Backend;
import dev.nncompress.tensor.Tensor;

/**
 * A named tensor of a graph. Trainable parameters (weights, biases) get gradients; buffers (batch-norm
 * running statistics) are updated by their op and never by an optimiser.
 */
public final class Parameter {
    private final String name;
    private final boolean trainable;
    private Tensor value;
    private Tensor grad;

    public Parameter(String name, Tensor value, boolean trainable) {
        this.name = name;
        this.value = value;
        this.trainable = trainable;
    }

    public String name() { return name; }

    public boolean trainable() { return trainable; }

    public Tensor value() { return value; }

    /** Replaces the value (e.g. moving to another backend); the old tensor is closed. */
    public void setValue(Tensor newValue) {
        if (newValue != value && value != null) value.close();
        value = newValue;
    }

    /** Gradient accumulated since the last {@link #clearGrad()}, or null. */
    public Tensor grad() { return grad; }

    /** Adds a gradient contribution; the parameter takes ownership of {@code g}. */
    public void accumulateGrad(Tensor g) {
        if (!trainable) throw new IllegalStateException("parameter " + name + " is a buffer and takes no gradient");
        if (grad == null) {
            grad = g;
        } else {
            Backend.of(grad).addInPlace(grad, g);
            g.close();
        }
    }

    public void clearGrad() {
        if (grad != null) grad.close();
        grad = null;
    }
}

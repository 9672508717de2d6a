package dev.nncompress.train;

import dev.nncompress.graph.Parameter;
import dev.nncompress.io.TensorRecord;

import java.util.List;
import java.util.Map;

/** Updates parameters in place from their accumulated gradients; owns per-parameter state tensors. */
public interface Optimizer extends AutoCloseable {
    /** One update of every parameter that has a gradient, at learning rate {@code lr}. */
    void step(List<Parameter> params, float lr);

    /** Host copies of the state tensors of {@code params} (and counters) by name, for a checkpoint. */
    Map<String, TensorRecord> state(List<Parameter> params);

    /**
     * Replaces the state with a checkpoint's, for {@code params} (the same list, by name, as it was saved with);
     * IllegalArgumentException naming the tensor when one does not fit. Unread tensors are refused by the caller.
     */
    void restore(List<Parameter> params, StateTensors state);

    /** Frees the state tensors (momentum buffers, Adam moments). */
    @Override void close();
}

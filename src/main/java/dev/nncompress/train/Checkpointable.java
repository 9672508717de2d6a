package dev.nncompress.train;

import dev.nncompress.io.TensorRecord;

import java.util.Map;

/**
 * Training state a {@link Checkpoint} must carry besides the parameters and the optimiser: pruning masks, a
 * gradual schedule's step, QAT's moving-average ranges. What lives only in fields (not derivable from the
 * configuration, the parameters and the step) goes here, so that a resumed run continues bit for bit.
 */
public interface Checkpointable {
    /** Host copies of the state as named tensors (names unique within this object; see {@link StateTensors} for records). */
    default Map<String, TensorRecord> checkpointState() { return Map.of(); }

    /**
     * Restores what {@link #checkpointState()} wrote; validates every tensor it reads ({@link StateTensors}) and
     * throws IllegalArgumentException naming the tensor when one does not fit this run. Unread tensors are
     * refused by the caller.
     */
    default void restoreCheckpointState(StateTensors state) {}
}

package dev.nncompress.train;

import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphRunner;

/**
 * Changes what one training step runs without changing the training loop: quantisation-aware training
 * runs every step on a stand-in graph with fake-quantised weights and a hook that fake-quantises
 * activations, then hands the weight gradients back to the float weights being trained. The optimiser
 * always updates the trained graph's own parameters. A hook with state of its own (masks, observed ranges)
 * saves and restores it for checkpoints ({@link Checkpointable}).
 */
@FunctionalInterface
public interface StepHook extends Checkpointable {
    /** Plain training: the graph itself, no output hook. */
    StepHook NONE = trained -> new Step() {
        @Override public Graph graph() { return trained; }

        @Override public GraphRunner.OutputHook hook() { return GraphRunner.OutputHook.NONE; }
    };

    /** Called at the start of every step with the graph being trained. */
    Step begin(Graph trained);

    /**
     * Called after the optimiser has updated {@code trained}'s parameters: pruning re-applies its masks here,
     * because momentum or decoupled weight decay can move a weight whose gradient was zeroed.
     */
    default void afterUpdate(Graph trained) {}

    /** One step's view of the graph; closed after {@link #afterBackward()}, before the optimiser runs. */
    interface Step extends AutoCloseable {
        /** The graph to run forward and backward (the trained one, or one sharing some of its parameters). */
        Graph graph();

        /** Rewrites node outputs in forward and their gradients in backward. */
        GraphRunner.OutputHook hook();

        /** After backward: move gradients that landed on stand-in parameters to the trained ones. */
        default void afterBackward() {}

        /** Frees what the step made (stand-in parameters and their gradients). */
        @Override default void close() {}
    }
}

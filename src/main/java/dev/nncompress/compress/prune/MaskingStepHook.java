package dev.nncompress.compress.prune;

import dev.nncompress.backend.Backend;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphRunner;
import dev.nncompress.io.TensorRecord;
import dev.nncompress.tensor.Tensor;
import dev.nncompress.train.StateTensors;
import dev.nncompress.train.StepHook;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Keeps pruned weights pruned while a {@link dev.nncompress.train.Trainer} fine-tunes: after backward the
 * gradients of pruned elements are zeroed (so the optimiser sees none and its state for them stays as it
 * was), and after each update the pruned weights are zeroed again (momentum or decoupled weight decay could
 * otherwise move a weight pruned mid-training). Masks live on the backend as 0/1 tensors and are multiplied
 * in, so a step costs two elementwise products per pruned weight. {@link #update} swaps the masks (gradual
 * pruning) and zeroes the newly pruned weights at once.
 *
 * <p>A product can leave -0.0 where a negative weight was pruned; {@link #close()} re-applies the masks on the
 * host, which writes +0.0, so the saved file stores them as zeros.
 *
 * <p>Checkpoints carry the masks ({@code mask/WEIGHT}, 0/1 bytes): gradual pruning changes them while training.
 */
public final class MaskingStepHook implements StepHook, AutoCloseable {
    private final Backend backend;
    private final Graph graph;
    private final Map<String, Tensor> maskTensors = new LinkedHashMap<>();
    private PruneMasks masks;

    /** Applies {@code masks} to {@code graph} now. */
    public MaskingStepHook(Backend backend, Graph graph, PruneMasks masks) {
        this.backend = backend;
        this.graph = graph;
        update(masks);
    }

    public PruneMasks masks() { return masks; }

    /** Replaces the masks and zeroes every weight they prune. */
    public void update(PruneMasks next) {
        for (Tensor t : maskTensors.values()) t.close();
        maskTensors.clear();
        masks = next;
        next.applyTo(graph);
        for (String w : next.keep().keySet()) {
            maskTensors.put(w, backend.fromFloats(next.asFloats(w), graph.param(w).value().shape()));
        }
    }

    @Override
    public Step begin(Graph trained) {
        checkGraph(trained);
        return new Step() {
            @Override public Graph graph() { return trained; }

            @Override public GraphRunner.OutputHook hook() { return GraphRunner.OutputHook.NONE; }

            @Override
            public void afterBackward() {
                for (var e : maskTensors.entrySet()) {
                    Tensor g = trained.param(e.getKey()).grad();
                    if (g != null) multiplyInPlace(g, e.getValue());
                }
            }
        };
    }

    @Override
    public void afterUpdate(Graph trained) {
        checkGraph(trained);
        for (var e : maskTensors.entrySet()) multiplyInPlace(trained.param(e.getKey()).value(), e.getValue());
    }

    @Override
    public Map<String, TensorRecord> checkpointState() {
        Map<String, TensorRecord> out = new LinkedHashMap<>();
        masks.keep().forEach((w, k) -> out.put("mask/" + w, StateTensors.record(k, graph.param(w).value().shape().dimsLong())));
        return out;
    }

    /** The masks of the checkpoint, for the same weights as now, each of its weight's shape. */
    @Override
    public void restoreCheckpointState(StateTensors state) {
        Map<String, boolean[]> keep = new LinkedHashMap<>();
        for (String w : masks.keep().keySet()) keep.put(w, state.mask("mask/" + w, graph.param(w).value().shape().dimsLong()));
        update(new PruneMasks(keep));
    }

    private void multiplyInPlace(Tensor t, Tensor mask) {
        try (Tensor product = backend.mul(t, mask)) {
            backend.copyInto(product, t);
        }
    }

    private void checkGraph(Graph trained) {
        if (trained != graph) throw new IllegalArgumentException("this masking hook was made for graph " + graph.name() + ", not the one being trained");
    }

    /** Re-applies the masks on the host (exact +0.0) and frees the mask tensors. */
    @Override
    public void close() {
        masks.applyTo(graph);
        for (Tensor t : maskTensors.values()) t.close();
        maskTensors.clear();
    }
}

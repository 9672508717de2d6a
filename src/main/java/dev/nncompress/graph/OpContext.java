package dev.nncompress.graph;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.SparseWeight;
import dev.nncompress.tensor.Tensor;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What an op sees while a graph runs: the backend, the graph's parameters, the mode, and a per-node
 * stash for backward. Tensors an op creates and does not return are handed to {@link #track} so the
 * runner frees them at the end of the step.
 */
public final class OpContext {
    private final Backend backend;
    private final Graph graph;
    private final boolean training;
    private final long seed;
    private final Map<String, Object[]> saved = new HashMap<>();
    private final List<Tensor> tracked = new ArrayList<>();
    private final java.util.Set<String> nodesNeedingInputGrad;
    private final SparseInference sparse;

    OpContext(Backend backend, Graph graph, boolean training, long seed, java.util.Set<String> nodesNeedingInputGrad, SparseInference sparse) {
        this.sparse = sparse;
        this.backend = backend;
        this.graph = graph;
        this.training = training;
        this.seed = seed;
        this.nodesNeedingInputGrad = nodesNeedingInputGrad;
    }

    public Backend backend() { return backend; }

    public boolean training() { return training; }

    /** Seed for this step's randomness (dropout masks); differs per step, fixed by the trainer's seed. */
    public long seed() { return seed; }

    /** The prepared sparse weight of {@code node} when this inference pass runs it sparse, else null (always null in training). */
    public SparseWeight sparseWeight(Node node) { return sparse.weight(node.name()); }

    public Parameter param(Node node, String suffix) { return graph.param(node, suffix); }

    public boolean hasParam(Node node, String suffix) { return graph.hasParam(node, suffix); }

    /** False only for a node whose inputs all come from the graph input (no one needs that gradient). */
    public boolean needsInputGrad(Node node) { return nodesNeedingInputGrad.contains(node.name()); }

    public void save(Node node, Object... values) { saved.put(node.name(), values); }

    public Object[] saved(Node node) {
        Object[] v = saved.get(node.name());
        if (v == null) throw new IllegalStateException("backward of " + node.name() + " without a training-mode forward");
        return v;
    }

    public <T extends Tensor> T track(T t) {
        if (t != null) tracked.add(t);
        return t;
    }

    List<Tensor> tracked() { return tracked; }
}

package dev.nncompress.graph;

import dev.nncompress.backend.Backend;
import dev.nncompress.graph.ops.PoolOps;
import dev.nncompress.tensor.Tensor;

import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One forward (and optionally backward) pass of a graph over a batch. Every tensor made during the
 * pass is owned by the runner and freed by {@link #close()}, so read the outputs you need (e.g. with
 * {@code toFloatArray()}) before closing. Parameter gradients outlive the pass: they are accumulated
 * into the graph's {@link Parameter}s.
 */
public final class GraphRunner implements AutoCloseable {
    private final Graph graph;
    private final OpContext ctx;
    private final SparseInference sparse;
    private final Map<String, Tensor> outputs = new HashMap<>();
    private final Set<Tensor> owned = Collections.newSetFromMap(new IdentityHashMap<>());
    private Tensor input;
    private InferenceFusion fusion = InferenceFusion.NONE;
    // ReLU -> max-pool pairs this training pass runs fused (set by forward: none with an output hook)
    private TrainingFusion pairs = TrainingFusion.NONE;

    /** @param seed randomness of this pass (dropout); ignored in inference mode */
    public GraphRunner(Graph graph, Backend backend, boolean training, long seed) {
        this(graph, backend, training, seed, SparseInference.NONE);
    }

    /** An inference pass whose conv/linear layers run sparse where {@code sparse} says so (made for this graph and backend). */
    public GraphRunner(Graph graph, Backend backend, SparseInference sparse) {
        this(graph, backend, false, 0, sparse);
    }

    /**
     * An inference pass that also runs the fusion plan's conv -> BN -> activation chains as one conv and an
     * in-place epilogue: only for callers that read nothing but the final output (see {@link InferenceFusion}).
     */
    GraphRunner(Graph graph, Backend backend, SparseInference sparse, InferenceFusion fusion) {
        this(graph, backend, false, 0, sparse);
        this.fusion = fusion;
    }

    private GraphRunner(Graph graph, Backend backend, boolean training, long seed, SparseInference sparse) {
        if (sparse == null) throw new IllegalArgumentException("sparse plan must not be null (SparseInference.NONE for none)");
        this.graph = graph;
        this.sparse = sparse;
        // only backward asks which nodes need their input gradient: an inference pass skips the graph walk
        this.ctx = new OpContext(backend, graph, training, seed, training ? nodesNeedingInputGrad(graph) : Set.of(), sparse);
    }

    public Backend backend() { return ctx.backend(); }

    /**
     * Rewrites a tensor right after it is made (the graph input under {@link Graph#INPUT}, then each node's
     * output under its name), before any later node reads it: simulated quantisation inserts
     * fake-quantisation here without a new op type. Returns {@code t} itself or a new tensor, which the
     * runner then owns (and frees on close), like every tensor of the pass.
     */
    @FunctionalInterface
    public interface OutputHook {
        OutputHook NONE = (node, t) -> t;

        Tensor apply(String node, Tensor t);

        /**
         * In {@link #backward(Tensor, OutputHook)}: turns the gradient w.r.t. what {@link #apply} returned for
         * {@code node} into the gradient w.r.t. the tensor it was given, before {@code node}'s own backward
         * runs. The default passes it through unchanged (right for hooks that only read, and what a
         * straight-through estimator without clamping would do); quantisation-aware training masks here.
         * Returns {@code grad} itself or a new tensor, which the runner then owns.
         */
        default Tensor gradient(String node, Tensor grad) { return grad; }
    }

    /** Runs every node on {@code x} [N, C, H, W] (not owned by the runner) and returns the output node's tensor. */
    public Tensor forward(Tensor x) { return forward(x, OutputHook.NONE); }

    /**
     * As {@link #forward(Tensor)}, passing the input and every node output through {@code hook}. A sparse plan
     * is held open for the pass, so that closing it from another thread waits for the pass to finish.
     */
    @SuppressWarnings("try") // the plan is held open, not used
    public Tensor forward(Tensor x, OutputHook hook) {
        boolean fits = x.shape().rank() == graph.inputShape().rank() + 1;
        for (int i = 0; fits && i < graph.inputShape().rank(); i++) fits = x.shape().dim(i + 1) == graph.inputShape().dim(i);
        if (!fits) {
            throw new IllegalArgumentException("model " + graph.name() + " expects input [N, " + joinDims() + "], got " + x.shape());
        }
        input = x;
        try (CallGuard.Use plan = sparse.use()) {
            Tensor hx = hook.apply(Graph.INPUT, x);
            own(hx);
            outputs.put(Graph.INPUT, hx);
            boolean fuse = hook == OutputHook.NONE && !fusion.isEmpty();
            Set<String> fusedAway = fuse ? new HashSet<>() : Set.of();
            pairs = ctx.training() && hook == OutputHook.NONE ? TrainingFusion.plan(graph) : TrainingFusion.NONE;
            for (Node n : graph.nodes()) {
                if (fuse && fusedAway.contains(n.name())) continue;
                if (pairs.skips(n)) continue; // its pool runs it
                Node relu = pairs.reluOf(n);
                Tensor out = relu == null ? Ops.of(n.op()).forward(n, inputsOf(n), ctx)
                        : ctx.backend().reluMaxPool2d(outputs.get(relu.inputs().get(0)), PoolOps.spec(n));
                own(out);
                InferenceFusion.Chain chain = fuse ? fusion.chainOf(n) : null;
                if (chain != null && InferenceFusion.epilogue(chain, out, ctx)) {
                    fusedAway.add(chain.bn().name());
                    if (chain.act() != null) fusedAway.add(chain.act().name());
                    outputs.put(chain.last(), out);
                    continue;
                }
                Tensor h = hook.apply(n.name(), out);
                own(h);
                outputs.put(n.name(), h);
            }
        }
        return outputs.get(graph.output());
    }

    /** Output of any node from the last forward (for feature distillation, activation statistics). */
    public Tensor output(String nodeName) {
        Node pool = pairs.poolOf(nodeName);
        if (pool != null) return fusedReluOutput(pairs.reluOf(pool), pool);
        Tensor t = outputs.get(nodeName);
        if (t == null) throw new IllegalArgumentException("no output for node '" + nodeName + "' in this pass");
        return t;
    }

    /** Back-propagates {@code gradOutput} (owned by the caller) from the output node to all parameters. */
    public void backward(Tensor gradOutput) { backward(gradOutput, OutputHook.NONE); }

    /**
     * As {@link #backward(Tensor)} after a {@link #forward(Tensor, OutputHook)} with the same hook: each node's
     * output gradient (summed over its consumers) goes through {@link OutputHook#gradient} first. The graph
     * input's gradient is never computed, so the hook is not asked for it.
     */
    public void backward(Tensor gradOutput, OutputHook hook) {
        if (!ctx.training()) throw new IllegalStateException("backward needs a training-mode pass");
        Map<String, Tensor> grads = new HashMap<>();
        grads.put(graph.output(), gradOutput);
        List<Node> nodes = graph.nodes();
        for (int i = nodes.size() - 1; i >= 0; i--) {
            Node n = nodes.get(i);
            Tensor received = grads.remove(n.name());
            if (received == null) continue; // does not reach the output
            Tensor g = hook.gradient(n.name(), received);
            if (g != received) own(g); // received may be the caller's gradOutput, which the runner must not free
            Node relu = pairs.reluOf(n);
            if (relu != null && hook != OutputHook.NONE) fusedReluOutput(relu, n); // a gradient hook may look at the ReLU: unfused
            // a fused pair's pool gives the ReLU's input gradient directly (ReLU's mask applied); the ReLU gets none
            boolean fused = relu != null && !outputs.containsKey(relu.name());
            List<String> ins = fused ? relu.inputs() : n.inputs();
            List<Tensor> inGrads = fused ? Collections.singletonList(ctx.backend().reluMaxPool2dBackward(outputs.get(ins.get(0)), g, PoolOps.spec(n)))
                    : Ops.of(n.op()).backward(n, g, ctx);
            for (int k = 0; k < ins.size(); k++) {
                String in = ins.get(k);
                Tensor gi = inGrads.get(k);
                if (gi == null || Graph.INPUT.equals(in)) continue;
                own(gi);
                Tensor prev = grads.get(in);
                if (prev == null) grads.put(in, gi);
                else ctx.backend().addInPlace(prev, gi);
            }
        }
    }

    /**
     * The node's input tensors from this pass, by a plain loop: at batch 1 a pass is ~75 small nodes, and a
     * stream per node was a measurable share of it (issue 17, {@code MobileNetWidthBench}).
     */
    private List<Tensor> inputsOf(Node n) {
        List<String> names = n.inputs();
        if (names.size() == 1) return Collections.singletonList(outputs.get(names.get(0)));
        Tensor[] ins = new Tensor[names.size()];
        for (int i = 0; i < ins.length; i++) ins[i] = outputs.get(names.get(i));
        return Arrays.asList(ins);
    }

    /**
     * The ReLU output of a fused pair, made now (once) for a caller or a gradient hook that wants it, and saved as the
     * unfused ReLU and pool would have saved it, so that the pair's backward then runs unfused.
     */
    private Tensor fusedReluOutput(Node relu, Node pool) {
        Tensor y = outputs.get(relu.name());
        if (y != null) return y;
        y = ctx.backend().relu(outputs.get(relu.inputs().get(0)));
        own(y);
        outputs.put(relu.name(), y);
        ctx.save(relu, y);
        ctx.save(pool, y);
        return y;
    }

    private void own(Tensor t) {
        if (t != null && t != input) owned.add(t);
    }

    @Override
    public void close() {
        for (Tensor t : ctx.tracked()) owned.add(t);
        owned.remove(input);
        for (Tensor t : owned) t.close();
        owned.clear();
        outputs.clear();
    }

    private String joinDims() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < graph.inputShape().rank(); i++) sb.append(i == 0 ? "" : ", ").append(graph.inputShape().dim(i));
        return sb.toString();
    }

    /** A node needs its input gradient unless all its inputs are the graph input. */
    private static Set<String> nodesNeedingInputGrad(Graph graph) {
        Set<String> need = new HashSet<>();
        for (Node n : graph.nodes()) {
            if (n.inputs().stream().anyMatch(in -> !Graph.INPUT.equals(in))) need.add(n.name());
        }
        return need;
    }
}

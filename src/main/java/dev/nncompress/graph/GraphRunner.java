package dev.nncompress.graph;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ConvStage;
import dev.nncompress.backend.PoolArgmax;
import dev.nncompress.backend.QTensor;
import dev.nncompress.graph.ops.Conv2dOp;
import dev.nncompress.graph.ops.PoolOps;
import dev.nncompress.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * One forward (and optionally backward) pass of a graph over a batch: the one place that walks a graph's nodes,
 * for float graphs and int8 models alike. Each node runs its {@link NodeStep}: in a float graph its own float
 * {@link Op}; in an inference plan (the int8 engine's, {@code int8.Int8Plan}) the step planned for it, e.g. a
 * {@code Backend} int8 op on codes or a float fallback. Each node's output is a {@link Value} (a float tensor or
 * int8 codes), passed through the {@link OutputHook} and kept for later nodes. Every tensor made during the
 * pass is owned by the runner and freed by {@link #close()}, so read the outputs you need (e.g. with
 * {@code toFloatArray()}) before closing. Parameter gradients outlive the pass: they are accumulated
 * into the graph's {@link Parameter}s.
 */
public final class GraphRunner implements AutoCloseable {
    private final Graph graph;
    private final OpContext ctx;
    private final SparseInference sparse;
    private final Map<String, Value> outputs = new HashMap<>();
    /** What the pass made, by identity: {@link Tensor}s and {@link QTensor}s (a value's {@link Value#resource()}). */
    private final Set<Object> owned = Collections.newSetFromMap(new IdentityHashMap<>());
    /** The same, in the order made: freed in that order (the host int8 backends' code pool hands the latest back first). */
    private final List<Object> ownedInOrder = new ArrayList<>();
    private Object input;
    private InferenceFusion fusion = InferenceFusion.NONE;
    /** Each node's step, in graph order; null: every node runs its float op ({@link NodeStep#FLOAT_OP}). */
    private List<NodeStep> plan;
    /** Where nanoseconds per node go (index i + 1: node i; 0 is the caller's, e.g. making the input), or null. */
    private AtomicLongArray nanosPerNode;
    // ReLU -> max-pool pairs this training pass runs fused (set by forward: none with an output hook)
    private TrainingFusion pairs = TrainingFusion.NONE;
    /** The fused pairs' pooled outputs with their argmax, by pool node (this pass's; the tensors are owned). */
    private final Map<String, PoolArgmax> argmax = new HashMap<>();
    /** Nodes whose output a fused conv forward already made this pass (its ReLU, or the ReLU's pool). */
    private final Set<String> madeAhead = new HashSet<>();

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

    /**
     * An inference pass that runs node i of {@code graph} as {@code plan.get(i)} (an int8 model's plan over its float
     * graph, whose parameters the float fallbacks read). When {@code nanosPerNode} is not null (length nodes + 1),
     * each node's time is added at index i + 1, from any number of passes and threads.
     */
    public GraphRunner(Graph graph, Backend backend, List<NodeStep> plan, AtomicLongArray nanosPerNode) {
        this(graph, backend, false, 0, SparseInference.NONE);
        if (plan.size() != graph.nodes().size()) {
            throw new IllegalArgumentException("plan of " + plan.size() + " steps for " + graph.nodes().size() + " nodes of " + graph.name());
        }
        if (nanosPerNode != null && nanosPerNode.length() != plan.size() + 1) {
            throw new IllegalArgumentException("nanosPerNode needs " + (plan.size() + 1) + " entries, got " + nanosPerNode.length());
        }
        this.plan = plan;
        this.nanosPerNode = nanosPerNode;
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
         * As {@link #apply} for a node whose output is int8 codes (an int8 plan's int8 steps): returns {@code q}
         * itself (the default: hooks that rewrite float tensors leave codes alone) or new codes, which the runner
         * then owns.
         */
        default QTensor applyCodes(String node, QTensor q) { return q; }

        /**
         * In {@link #backward(Tensor, OutputHook)}: turns the gradient w.r.t. what {@link #apply} returned for
         * {@code node} into the gradient w.r.t. the tensor it was given, before {@code node}'s own backward
         * runs. The default passes it through unchanged (right for hooks that only read, and what a
         * straight-through estimator without clamping would do); quantisation-aware training masks here.
         * Returns {@code grad} itself or a new tensor, which the runner then owns.
         */
        default Tensor gradient(String node, Tensor grad) { return grad; }

        /**
         * Whether {@link #gradient} may do more for {@code node} than pass its gradient through (the default: it may).
         * A training pass's fused ReLU never receives a gradient of its own, so for a hook that may change it the pair is
         * run unfused backward (its ReLU's output made, and under a fused conv the conv's: a whole conv again); a hook
         * that says no here keeps the pair fused (a distillation loss adding gradients at a few feature nodes).
         */
        default boolean changesGradient(String node) { return true; }
    }

    /** Runs every node on {@code x} [N, C, H, W] (not owned by the runner) and returns the output node's tensor. */
    public Tensor forward(Tensor x) { return forward(x, OutputHook.NONE); }

    /**
     * As {@link #forward(Tensor)}, passing the input and every node output through {@code hook}. A sparse plan
     * is held open for the pass, so that closing it from another thread waits for the pass to finish.
     */
    public Tensor forward(Tensor x, OutputHook hook) { return forward(Value.of(x), hook).floats(); }

    /**
     * Runs every node on {@code x} (a float tensor or, for an int8 plan, the quantised input; not owned by the
     * runner), passing the input and every node's value through {@code hook}, and returns the output node's value.
     */
    @SuppressWarnings("try") // the sparse plan is held open, not used
    public Value forward(Value x, OutputHook hook) {
        boolean fits = x.shape().rank() == graph.inputShape().rank() + 1;
        for (int i = 0; fits && i < graph.inputShape().rank(); i++) fits = x.shape().dim(i + 1) == graph.inputShape().dim(i);
        if (!fits) {
            throw new IllegalArgumentException("model " + graph.name() + " expects input [N, " + joinDims() + "], got " + x.shape());
        }
        input = x.resource();
        try (CallGuard.Use use = sparse.use()) {
            outputs.put(Graph.INPUT, hooked(hook, Graph.INPUT, x));
            boolean fuse = hook == OutputHook.NONE && !fusion.isEmpty();
            Set<String> fusedAway = fuse ? new HashSet<>() : Set.of();
            pairs = ctx.training() && hook == OutputHook.NONE ? TrainingFusion.plan(graph) : TrainingFusion.NONE;
            madeAhead.clear();
            List<Node> nodes = graph.nodes();
            long t = nanosPerNode == null ? 0 : System.nanoTime();
            for (int i = 0; i < nodes.size(); i++) {
                Node n = nodes.get(i);
                if (fuse && fusedAway.contains(n.name())) continue;
                if (pairs.skips(n) || madeAhead.contains(n.name())) continue; // its pool, or a fused conv, runs it
                ConvStacks.Stack stack = fuse ? fusion.stacks().stackAt(n) : null;
                Tensor stacked = stack == null ? null : ctx.backend().convStack(inputsOf(n).get(0).floats(), stack.backendStages(ctx));
                if (stacked != null) { // the whole stack in one call (issue 23); its later nodes are skipped
                    Value v = Value.of(stacked);
                    own(v);
                    outputs.put(stack.last(), v);
                    fusedAway.addAll(stack.rest());
                    continue;
                }
                Node convRelu = pairs.reluOfConv(n);
                if (convRelu != null && fusedConvForward(n, convRelu)) continue;
                Node relu = pairs.reluOf(n);
                Node linear = pairs.fusedLinearOf(n); // a ReLU that runs its linear with the ReLU fused (issue 23)
                Value out = relu != null ? Value.of(fusedPairForward(relu, n))
                        : linear != null ? NodeStep.FLOAT_OP.run(linear, inputsOf(linear), ctx)
                        : (plan == null ? NodeStep.FLOAT_OP : plan.get(i)).run(n, inputsOf(n), ctx);
                own(out);
                InferenceFusion.Chain chain = fuse ? fusion.chainOf(n) : null;
                if (chain != null && InferenceFusion.epilogue(chain, out.floats(), ctx)) {
                    fusedAway.add(chain.bn().name());
                    if (chain.act() != null) fusedAway.add(chain.act().name());
                    outputs.put(chain.last(), out);
                } else {
                    outputs.put(n.name(), hooked(hook, n.name(), out));
                }
                if (nanosPerNode != null) {
                    long t1 = System.nanoTime();
                    nanosPerNode.addAndGet(i + 1, t1 - t);
                    t = t1;
                }
            }
        }
        return outputs.get(graph.output());
    }

    /** {@code v} through the hook (floats through {@link OutputHook#apply}, codes through {@link OutputHook#applyCodes}); what it returns is owned. */
    private Value hooked(OutputHook hook, String node, Value v) {
        if (hook == OutputHook.NONE) return v;
        Value h;
        if (v instanceof Value.Floats f) {
            Tensor t = hook.apply(node, f.tensor());
            h = t == f.tensor() ? v : Value.of(t);
        } else {
            QTensor q = ((Value.Codes) v).codes();
            QTensor c = hook.applyCodes(node, q);
            h = c == q ? v : Value.of(c);
        }
        own(h);
        return h;
    }

    /** Output of any node from the last forward, a float tensor (for feature distillation, activation statistics). */
    public Tensor output(String nodeName) { return value(nodeName).floats(); }

    /** Any node's value from the last forward ({@link Graph#INPUT}: the input after the hook): float or int8 codes. */
    public Value value(String nodeName) {
        Node pool = pairs.poolOf(nodeName);
        if (pool != null) return fusedReluOutput(pairs.reluOf(pool), pool);
        Node linear = outputs.containsKey(nodeName) ? null : pairs.fusedLinear(nodeName);
        if (linear != null) { // a fused linear's output before its ReLU: made now, the pass's saved values kept as they were
            Object[] saved = ctx.saved(linear);
            Value v = NodeStep.FLOAT_OP.run(linear, inputsOf(linear), ctx);
            ctx.save(linear, saved);
            own(v);
            outputs.put(nodeName, v);
            return v;
        }
        Value v = outputs.get(nodeName);
        if (v == null && pairs.fusesConv(nodeName)) v = fusedConvOutput(graph.node(nodeName));
        if (v == null) throw new IllegalArgumentException("no output for node '" + nodeName + "' in this pass");
        return v;
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
        Set<String> maskedRelus = new HashSet<>(); // ReLUs whose backward a conv's input gradient already applied
        for (int i = nodes.size() - 1; i >= 0; i--) {
            Node n = nodes.get(i);
            Tensor received = grads.remove(n.name());
            if (received == null) continue; // does not reach the output
            Tensor g = hook.gradient(n.name(), received);
            if (g != received) own(g); // received may be the caller's gradOutput, which the runner must not free
            // a ReLU whose backward ran inside its only reader's, a conv (TrainingFusion): the gradient goes on as it is
            boolean passThrough = maskedRelus.contains(n.name());
            Node maskedRelu = hook == OutputHook.NONE && ctx.needsInputGrad(n) ? pairs.reluMaskedBy(n) : null;
            if (maskedRelu != null) maskedRelus.add(maskedRelu.name());
            Node relu = pairs.reluOf(n);
            // a gradient hook that may change the ReLU's gradient needs the pair unfused
            if (relu != null && hook != OutputHook.NONE && hook.changesGradient(relu.name())) fusedReluOutput(relu, n);
            // a fused pair's pool gives the ReLU's input gradient directly (ReLU's mask applied); the ReLU gets none
            boolean fused = relu != null && !outputs.containsKey(relu.name());
            Node linear = pairs.fusedLinearOf(n);
            List<String> ins = fused ? relu.inputs() : linear != null ? linear.inputs() : n.inputs();
            List<Tensor> inGrads = passThrough ? Collections.singletonList(g)
                    : maskedRelu != null ? Conv2dOp.backwardReluInput(n, g, ctx)
                    : fused ? Collections.singletonList(fusedPairBackward(n, ins.get(0), g))
                    : linear != null ? fusedLinearBackward(n, linear, g, hook) : Ops.of(n.op()).backward(n, g, ctx);
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
     * maxPool2d(relu(x)) of a fused pair (issue 23), recording the windows' argmax for the backward where the backend
     * can ({@link Backend#reluMaxPool2dArgmax}); else the one-call pair, whose backward finds the maxima again.
     */
    private Tensor fusedPairForward(Node relu, Node pool) {
        Tensor x = outputs.get(relu.inputs().get(0)).floats();
        PoolArgmax pa = ctx.backend().reluMaxPool2dArgmax(x, PoolOps.spec(pool));
        if (pa == null) return ctx.backend().reluMaxPool2d(x, PoolOps.spec(pool));
        own(pa.argmax());
        argmax.put(pool.name(), pa);
        return pa.output();
    }

    /**
     * conv -> ReLU [-> the ReLU's max-pool] in one backend call (issue 23; {@link TrainingFusion}), saving what the separate
     * nodes' backward reads; false, having done nothing, where the backend has no kernel for it (the nodes then run one by one).
     */
    private boolean fusedConvForward(Node conv, Node relu) {
        Tensor x = outputs.get(conv.inputs().get(0)).floats();
        Tensor w = ctx.param(conv, "weight").value();
        Tensor b = ctx.hasParam(conv, "bias") ? ctx.param(conv, "bias").value() : null;
        Node pool = pairs.poolOf(relu.name());
        if (pool != null) {
            PoolArgmax pa = ctx.backend().conv2dReluMaxPool2dArgmax(x, w, b, Conv2dOp.spec(conv), PoolOps.spec(pool));
            if (pa == null) return false;
            own(pa.output());
            own(pa.argmax());
            argmax.put(pool.name(), pa); // the pair's backward scatters by it into the conv's output gradient
            outputs.put(pool.name(), Value.of(pa.output()));
            madeAhead.add(pool.name());
        } else {
            Tensor y = ctx.backend().convStack(x, List.of(new ConvStage(w, b, Conv2dOp.spec(conv), true, null)));
            if (y == null) return false;
            own(y);
            outputs.put(relu.name(), Value.of(y));
            ctx.save(relu, y); // as ReluOp saves it
            madeAhead.add(relu.name());
        }
        Conv2dOp.saveInputOnly(conv, x, ctx);
        return true;
    }

    /** The output of a conv that a fused forward skipped, made now (once) for a caller who asks for it. */
    private Value fusedConvOutput(Node conv) {
        Value v = NodeStep.FLOAT_OP.run(conv, inputsOf(conv), ctx);
        own(v);
        outputs.put(conv.name(), v);
        return v;
    }

    /** The gradient w.r.t. the pair's input x (node {@code in}) of pool {@code pool}'s fused pair. */
    private Tensor fusedPairBackward(Node pool, String in, Tensor gradOut) {
        PoolArgmax pa = argmax.get(pool.name());
        if (pa != null) return ctx.backend().reluMaxPool2dArgmaxBackward(pa, gradOut);
        return ctx.backend().reluMaxPool2dBackward(outputs.get(in).floats(), gradOut, PoolOps.spec(pool));
    }

    /**
     * The input gradients of linear {@code linear} fused with ReLU {@code relu}: one fused backward, or, where a gradient
     * hook may change the linear's output gradient, the ReLU's backward, the hook, and the plain linear's backward.
     */
    private List<Tensor> fusedLinearBackward(Node relu, Node linear, Tensor g, OutputHook hook) {
        if (hook == OutputHook.NONE || !hook.changesGradient(linear.name())) return Ops.of(linear.op()).backward(linear, g, ctx);
        Tensor dz = ctx.backend().reluBackward(outputs.get(relu.name()).floats(), g);
        own(dz);
        Tensor h = hook.gradient(linear.name(), dz);
        if (h != dz) own(h);
        return Ops.of(linear.op()).backward(pairs.fusedLinear(linear.name()), h, ctx);
    }

    /**
     * The node's input tensors from this pass, by a plain loop: at batch 1 a pass is ~75 small nodes, and a
     * stream per node was a measurable share of it (issue 17, {@code MobileNetWidthBench}).
     */
    private List<Value> inputsOf(Node n) {
        List<String> names = n.inputs();
        if (names.size() == 1) return Collections.singletonList(outputs.get(names.get(0)));
        Value[] ins = new Value[names.size()];
        for (int i = 0; i < ins.length; i++) ins[i] = outputs.get(names.get(i));
        return Arrays.asList(ins);
    }

    /**
     * The ReLU output of a fused pair, made now (once) for a caller or a gradient hook that wants it, and saved as the
     * unfused ReLU and pool would have saved it, so that the pair's backward then runs unfused.
     */
    private Value fusedReluOutput(Node relu, Node pool) {
        Value v = outputs.get(relu.name());
        if (v != null) return v;
        Tensor y = ctx.backend().relu(value(relu.inputs().get(0)).floats());
        own(y);
        v = Value.of(y);
        outputs.put(relu.name(), v);
        ctx.save(relu, y);
        ctx.save(pool, y);
        return v;
    }

    private void own(Value v) {
        if (v != null) own(v.resource());
    }

    /** Takes {@code resource} (a Tensor or QTensor; null: nothing) into the pass, unless it is the caller's input. */
    private void own(Object resource) {
        if (resource != null && resource != input && owned.add(resource)) ownedInOrder.add(resource);
    }

    @Override
    public void close() {
        for (Tensor t : ctx.tracked()) own(t);
        for (Object o : ownedInOrder) {
            if (o == input) continue; // the caller's, also when a hook handed it back
            if (o instanceof Tensor t) t.close();
            else ((QTensor) o).close();
        }
        owned.clear();
        ownedInOrder.clear();
        outputs.clear();
        argmax.clear();
        madeAhead.clear();
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

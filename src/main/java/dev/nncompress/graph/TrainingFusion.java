package dev.nncompress.graph;

import dev.nncompress.graph.ops.FusedRelu;

import java.util.HashMap;
import java.util.Map;

/**
 * Which ReLU -> max-pool pairs, and which linear -> ReLU pairs, a training pass runs as one backend call each way ({@code Backend.reluMaxPool2d} and its
 * backward; issue 23): on the small CNNs a step is bound by per-op overhead, and a pair unfused is four calls, two of
 * them full-size passes with a full-size allocation (ReLU forward and backward), where fused it is two, the pool's
 * backward writing the conv's input gradient directly with ReLU's mask applied. The same values bit for bit.
 *
 * <p>A pair is taken where the pool reads only the ReLU, the ReLU has no other reader and is not the graph's output. The
 * runner uses it only on a pass without an output hook (QAT's fake quantisation must see the ReLU's output); the ReLU's
 * output is made after all, and the pair runs unfused backward, when a caller asks for it ({@code GraphRunner.output},
 * e.g. a distillation feature) or a gradient hook might look at it. Decided from the graph's structure per pass.
 *
 * <p>A conv whose output only a ReLU reads runs with that ReLU, and with the ReLU's pool where the ReLU is a pair's, as one
 * backend call ({@code Backend.conv2dReluMaxPool2dArgmax}, or a one-stage {@code Backend.convStack}; issue 23): the
 * conv's output is never written (its backward needs only its input), nor the ReLU's under a pool. A caller who asks
 * for either gets it computed then ({@code GraphRunner.output}), as above.
 *
 * <p>A conv that alone reads a ReLU's output applies that ReLU's backward in its own input gradient
 * ({@code Backend.conv2dBackwardReluInput}: on the CPU the AVX-512 dx kernel masks in the same pass), and the ReLU's node
 * passes the gradient on unchanged; on a pass without an output hook only (a hook sees the ReLU's unmasked gradient).
 */
final class TrainingFusion {
    static final TrainingFusion NONE = new TrainingFusion(Map.of(), Map.of(), Map.of(), Map.of(), Map.of(), Map.of());

    private final Map<String, Node> reluOfPool;
    private final Map<String, Node> poolOfRelu;
    /** Convs whose output only their ReLU reads (conv + bias + ReLU [+ the ReLU's pool] in one call), to that ReLU. */
    private final Map<String, Node> reluOfConv;
    // linear -> ReLU pairs: the ReLU's node runs the linear with the ReLU fused (a copy of the linear node with attr relu=1)
    private final Map<String, Node> fusedLinearOfRelu;
    private final Map<String, Node> linearsFused;
    /** Convs whose input is a ReLU's output read by that conv alone, to that ReLU: its backward is in the conv's. */
    private final Map<String, Node> reluMaskedByConv;

    private TrainingFusion(Map<String, Node> reluOfPool, Map<String, Node> poolOfRelu, Map<String, Node> reluOfConv,
                           Map<String, Node> fusedLinearOfRelu, Map<String, Node> linearsFused, Map<String, Node> reluMaskedByConv) {
        this.reluOfPool = reluOfPool;
        this.poolOfRelu = poolOfRelu;
        this.reluOfConv = reluOfConv;
        this.fusedLinearOfRelu = fusedLinearOfRelu;
        this.linearsFused = linearsFused;
        this.reluMaskedByConv = reluMaskedByConv;
    }

    static TrainingFusion plan(Graph g) {
        Map<String, Integer> readers = new HashMap<>();
        Map<String, Node> byName = new HashMap<>();
        for (Node n : g.nodes()) {
            byName.put(n.name(), n);
            for (String in : n.inputs()) readers.merge(in, 1, Integer::sum);
        }
        Map<String, Node> reluOfPool = new HashMap<>();
        Map<String, Node> poolOfRelu = new HashMap<>();
        for (Node pool : g.nodes()) {
            if (pool.op() != OpType.MAXPOOL2D || pool.inputs().size() != 1) continue;
            Node relu = byName.get(pool.inputs().get(0));
            if (relu == null || relu.op() != OpType.RELU || relu.inputs().size() != 1 || readers.get(relu.name()) != 1
                    || relu.name().equals(g.output())) continue;
            reluOfPool.put(pool.name(), relu);
            poolOfRelu.put(relu.name(), pool);
        }
        // conv -> ReLU (issue 23): the conv's output read by the ReLU alone and not the graph's output; a conv with its
        // own fused ReLU attribute keeps its path (its backward reads its output)
        Map<String, Node> reluOfConv = new HashMap<>();
        for (Node relu : g.nodes()) {
            if (relu.op() != OpType.RELU || relu.inputs().size() != 1) continue;
            Node conv = byName.get(relu.inputs().get(0));
            if (conv == null || conv.op() != OpType.CONV2D || conv.inputs().size() != 1 || readers.get(conv.name()) != 1
                    || conv.name().equals(g.output()) || FusedRelu.on(conv)) continue;
            reluOfConv.put(conv.name(), relu);
        }
        Map<String, Node> fusedLinearOfRelu = new HashMap<>();
        Map<String, Node> linearsFused = new HashMap<>();
        for (Node relu : g.nodes()) { // linear + bias + ReLU as one call each way (Backend.linearForward, reluBackwardSumRows)
            if (relu.op() != OpType.RELU || relu.inputs().size() != 1 || poolOfRelu.containsKey(relu.name())) continue;
            Node lin = byName.get(relu.inputs().get(0));
            if (lin == null || lin.op() != OpType.LINEAR || FusedRelu.on(lin) || readers.get(lin.name()) != 1 || lin.name().equals(g.output())) continue;
            Map<String, Double> attrs = new HashMap<>(lin.attrs());
            attrs.put(FusedRelu.ATTR, 1.0);
            fusedLinearOfRelu.put(relu.name(), new Node(lin.name(), lin.op(), lin.inputs(), Map.copyOf(attrs)));
            linearsFused.put(lin.name(), lin);
        }
        // ReLU -> conv (issue 23): the ReLU's backward applied inside the conv's input gradient, where the conv alone reads
        // the ReLU (so the whole gradient reaching the ReLU comes through that conv) and the ReLU's node runs as a plain ReLU
        Map<String, Node> reluMaskedByConv = new HashMap<>();
        for (Node conv : g.nodes()) {
            if (conv.op() != OpType.CONV2D || conv.inputs().size() != 1) continue;
            Node relu = byName.get(conv.inputs().get(0));
            if (relu == null || relu.op() != OpType.RELU || relu.inputs().size() != 1 || readers.get(relu.name()) != 1
                    || relu.name().equals(g.output()) || fusedLinearOfRelu.containsKey(relu.name())) continue;
            reluMaskedByConv.put(conv.name(), relu);
        }
        TrainingFusion plan = new TrainingFusion(reluOfPool, poolOfRelu, reluOfConv, fusedLinearOfRelu, linearsFused, reluMaskedByConv);
        return plan.isEmpty() ? NONE : plan;
    }

    /** The ReLU that conv node {@code conv} feeds alone (its forward may run inside the conv's), or null. */
    Node reluOfConv(Node conv) { return reluOfConv.get(conv.name()); }

    /** Whether {@code name} is a conv whose output a fused forward may have skipped. */
    boolean fusesConv(String name) { return reluOfConv.containsKey(name); }

    /** The linear node with its ReLU fused that ReLU node {@code n} runs in its place, or null when {@code n} ends no linear pair. */
    Node fusedLinearOf(Node n) { return fusedLinearOfRelu.get(n.name()); }

    /** The linear node {@code name} when it is fused into its ReLU's node (it has no output of its own), else null. */
    Node fusedLinear(String name) { return linearsFused.get(name); }

    /** The fused ReLU that pool node {@code n} reads, or null when {@code n} is not the pool of a pair. */
    Node reluOf(Node n) { return reluOfPool.get(n.name()); }

    /** Whether {@code n} runs inside a later node: the ReLU of a ReLU -> pool pair (in its pool's), the linear of a linear pair (in its ReLU's). */
    boolean skips(Node n) { return poolOfRelu.containsKey(n.name()) || linearsFused.containsKey(n.name()); }

    /** The pool of ReLU {@code relu}'s pair, or null. */
    Node poolOf(String relu) { return poolOfRelu.get(relu); }

    /** The ReLU whose output conv node {@code conv} alone reads (its backward may run inside the conv's), or null. */
    Node reluMaskedBy(Node conv) { return reluMaskedByConv.get(conv.name()); }

    boolean isEmpty() { return reluOfPool.isEmpty() && reluOfConv.isEmpty() && linearsFused.isEmpty() && reluMaskedByConv.isEmpty(); }
}

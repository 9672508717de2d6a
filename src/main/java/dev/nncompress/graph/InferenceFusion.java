package dev.nncompress.graph;

import dev.nncompress.graph.ops.ActivationOp;
import dev.nncompress.graph.ops.BatchNorm2dOp;
import dev.nncompress.graph.ops.FusedRelu;
import dev.nncompress.tensor.Tensor;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which conv -> batch norm [-> ReLU | Clip] chains of a graph an inference pass runs as the conv plus one
 * in-place epilogue ({@link dev.nncompress.backend.Backend#batchNormClampInPlace}): the same values bit for bit,
 * without two allocations, two memory passes and two nodes' fixed cost (at batch 1 on the MobileNetV2-style
 * fixture, 25 BN and 17 Clip nodes of ~75; issue 17). A chain is taken only where the conv's output feeds the BN
 * alone and (for the activation) the BN's output feeds it alone, and neither is the graph's output, so no other
 * node or caller could see the skipped tensors. Only passes that hand back just the final output use it
 * ({@link GraphPredictor}): a pass with an output hook, or one whose intermediate outputs are read, must not.
 * Decided from the graph's structure once; parameters are read at each call, so training between calls is fine.
 */
final class InferenceFusion {
    static final InferenceFusion NONE = new InferenceFusion(Map.of(), Set.of(), ConvStacks.NONE);

    /** A chain by its conv; act is null when the BN's output goes on unclamped. */
    record Chain(Node conv, Node bn, Node act, float lo, float hi) {
        String last() { return act != null ? act.name() : bn.name(); }
    }

    private final Map<String, Chain> byConv;
    private final Set<String> skipped;
    /** The conv [-> ReLU] [-> max-pool] stacks of the convs that head no chain here (issue 23). */
    private final ConvStacks stacks;

    private InferenceFusion(Map<String, Chain> byConv, Set<String> skipped, ConvStacks stacks) {
        this.byConv = byConv;
        this.skipped = skipped;
        this.stacks = stacks;
    }

    /** The batch-norm chains, then the conv stacks of the other dense convs ({@link ConvStacks}; not those run sparse). */
    static InferenceFusion plan(Graph g, SparseInference sparse) {
        InferenceFusion chains = plan(g);
        ConvStacks stacks = ConvStacks.plan(g, sparse, chains.byConv.keySet());
        return chains.isEmpty() && stacks.isEmpty() ? NONE : new InferenceFusion(chains.byConv, chains.skipped, stacks);
    }

    static InferenceFusion plan(Graph g) {
        Map<String, Integer> readers = new HashMap<>();
        for (Node n : g.nodes()) for (String in : n.inputs()) readers.merge(in, 1, Integer::sum);
        Map<String, Node> soleReader = new HashMap<>();
        for (Node n : g.nodes()) {
            if (n.inputs().size() == 1 && readers.get(n.inputs().get(0)) == 1) soleReader.put(n.inputs().get(0), n);
        }
        Map<String, Chain> byConv = new HashMap<>();
        Set<String> skipped = new HashSet<>();
        for (Node conv : g.nodes()) {
            if (conv.op() != OpType.CONV2D || FusedRelu.on(conv) || conv.name().equals(g.output())) continue;
            Node bn = soleReader.get(conv.name());
            if (bn == null || bn.op() != OpType.BATCHNORM2D) continue;
            Node act = bn.name().equals(g.output()) ? null : soleReader.get(bn.name());
            float lo = Float.NEGATIVE_INFINITY, hi = Float.POSITIVE_INFINITY;
            if (act != null && act.op() == OpType.RELU) {
                lo = 0f; // ReLU is max(x, 0), which clip(x, 0, +inf) computes bit for bit (NaN stays NaN, -0 becomes 0)
            } else if (act != null && act.op() == OpType.CLIP) {
                float[] p = ((ActivationOp) Ops.of(OpType.CLIP)).params(act);
                lo = p[0];
                hi = p[1];
            } else {
                act = null;
            }
            byConv.put(conv.name(), new Chain(conv, bn, act, lo, hi));
            skipped.add(bn.name());
            if (act != null) skipped.add(act.name());
        }
        return byConv.isEmpty() ? NONE : new InferenceFusion(byConv, skipped, ConvStacks.NONE);
    }

    /** Whether {@code n} runs inside a chain headed by an earlier conv (its output is under the chain's last node). */
    boolean skips(Node n) { return skipped.contains(n.name()); }

    Chain chainOf(Node conv) { return byConv.get(conv.name()); }

    boolean isEmpty() { return byConv.isEmpty() && stacks.isEmpty(); }

    ConvStacks stacks() { return stacks; }

    /**
     * Applies the chain's epilogue to the conv's output {@code y} in place; false when the backend has no fused
     * kernel (nothing changed: the caller runs the nodes one by one).
     */
    static boolean epilogue(Chain c, Tensor y, OpContext ctx) {
        return ctx.backend().batchNormClampInPlace(y, ctx.param(c.bn(), "weight").value(), ctx.param(c.bn(), "bias").value(),
                ctx.param(c.bn(), "running_mean").value(), ctx.param(c.bn(), "running_var").value(), (float) BatchNorm2dOp.eps(c.bn()),
                c.lo(), c.hi());
    }
}

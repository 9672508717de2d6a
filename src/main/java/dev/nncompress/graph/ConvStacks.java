package dev.nncompress.graph;

import dev.nncompress.backend.ConvStage;
import dev.nncompress.backend.Pool2dSpec;
import dev.nncompress.graph.ops.Conv2dOp;
import dev.nncompress.graph.ops.FusedRelu;
import dev.nncompress.graph.ops.PoolOps;
import dev.nncompress.tensor.Tensor;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which runs of conv [-> ReLU] [-> max-pool] stages an inference pass hands to {@link dev.nncompress.backend.Backend#convStack}
 * as one call (issue 23): a backend with a fused kernel then keeps the activations in its own layout, in cache, from
 * stage to stage, and the graph sees only the stack's input and its last output. A stage starts at a dense conv (groups
 * 1, not run sparse, not the head of an {@link InferenceFusion} batch-norm chain); its ReLU is the conv's own
 * ({@link FusedRelu}) or a RELU node that alone reads it; its max-pool (no padding, floor mode) alone reads what came
 * before. The next stage's conv must alone read the last stage's output. No node inside a stack may be the graph's
 * output, so no caller could see the skipped tensors; as for {@link InferenceFusion}, only passes that hand back just the
 * final output use it. Built-in models and imported ONNX graphs are planned alike, from the structure once; parameters
 * are read at each call.
 */
final class ConvStacks {
    static final ConvStacks NONE = new ConvStacks(Map.of());

    /** One stage: its conv, its ReLU node (null: none, or the conv's own), its pool node (null: none). */
    record Stage(Node conv, Node relu, Node pool) {
        Node last() { return pool != null ? pool : relu != null ? relu : conv; }
    }

    /** A stack by its first conv; {@link #last()} names the node whose output the stack gives. */
    record Stack(List<Stage> stages) {
        String last() { return stages.get(stages.size() - 1).last().name(); }

        /** Every node the stack runs after its first conv. */
        List<String> rest() {
            List<String> out = new ArrayList<>();
            for (Stage s : stages) {
                if (s != stages.get(0)) out.add(s.conv().name());
                if (s.relu() != null) out.add(s.relu().name());
                if (s.pool() != null) out.add(s.pool().name());
            }
            return out;
        }

        /** The backend's description of the stages, with the parameters as they are now. */
        List<ConvStage> backendStages(OpContext ctx) {
            List<ConvStage> out = new ArrayList<>(stages.size());
            for (Stage s : stages) {
                Tensor bias = ctx.hasParam(s.conv(), "bias") ? ctx.param(s.conv(), "bias").value() : null;
                Pool2dSpec pool = s.pool() == null ? null : PoolOps.spec(s.pool());
                out.add(new ConvStage(ctx.param(s.conv(), "weight").value(), bias, Conv2dOp.spec(s.conv()),
                        FusedRelu.on(s.conv()) || s.relu() != null, pool));
            }
            return out;
        }
    }

    /** Stages per stack at most (the native kernel's bound). */
    static final int MAX_STAGES = 16;

    private final Map<String, Stack> byFirstConv;
    private ConvStacks(Map<String, Stack> byFirstConv) { this.byFirstConv = byFirstConv; }

    /** @param bnChains convs that head a batch-norm chain (left to {@link InferenceFusion}'s epilogue) */
    static ConvStacks plan(Graph g, SparseInference sparse, Set<String> bnChains) {
        Map<String, Integer> readers = new HashMap<>();
        for (Node n : g.nodes()) for (String in : n.inputs()) readers.merge(in, 1, Integer::sum);
        Map<String, Node> soleReader = new HashMap<>();
        for (Node n : g.nodes()) {
            String in = n.inputs().size() == 1 ? n.inputs().get(0) : null;
            if (in != null && readers.get(in) == 1 && !in.equals(g.output()) && !Graph.INPUT.equals(in)) soleReader.put(in, n);
        }
        Map<String, Stack> byFirstConv = new HashMap<>();
        Set<String> inside = new HashSet<>();
        for (Node head : g.nodes()) {
            if (!stageConv(head, sparse, bnChains) || inside.contains(head.name())) continue;
            List<Stage> stages = new ArrayList<>();
            Node conv = head;
            while (conv != null && stages.size() < MAX_STAGES) {
                Node relu = null;
                Node end = conv;
                Node next = soleReader.get(end.name());
                if (!FusedRelu.on(conv) && next != null && next.op() == OpType.RELU) {
                    relu = next;
                    end = relu;
                    next = soleReader.get(end.name());
                }
                Node pool = null;
                if (next != null && next.op() == OpType.MAXPOOL2D && unpadded(PoolOps.spec(next))) {
                    pool = next;
                    end = pool;
                    next = soleReader.get(end.name());
                }
                stages.add(new Stage(conv, relu, pool));
                conv = next != null && stageConv(next, sparse, bnChains) ? next : null;
            }
            Stack stack = new Stack(List.copyOf(stages));
            byFirstConv.put(head.name(), stack);
            inside.addAll(stack.rest());
        }
        return byFirstConv.isEmpty() ? NONE : new ConvStacks(byFirstConv);
    }

    private static boolean stageConv(Node n, SparseInference sparse, Set<String> bnChains) {
        return n.op() == OpType.CONV2D && Conv2dOp.spec(n).groups() == 1 && sparse.weight(n.name()) == null && !bnChains.contains(n.name());
    }

    private static boolean unpadded(Pool2dSpec p) {
        return p.padH() == 0 && p.padW() == 0 && p.padBottom() == 0 && p.padRight() == 0 && !p.ceilMode();
    }

    /** The stack that starts at {@code conv}, or null. */
    Stack stackAt(Node conv) { return byFirstConv.get(conv.name()); }

    boolean isEmpty() { return byFirstConv.isEmpty(); }

    /** How many stacks, for tests and reports. */
    int count() { return byFirstConv.size(); }
}

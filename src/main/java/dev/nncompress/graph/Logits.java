package dev.nncompress.graph;

import dev.nncompress.graph.ops.SoftmaxOp;

import java.util.List;

/**
 * The graph a loss reads logits from. Training (cross-entropy), distillation (a teacher's logits at a
 * temperature) and gradient-based criteria work on logits; an imported model may end with a Softmax
 * (ONNX exports of classifiers often do), whose output is probabilities: cross-entropy on them would
 * train the wrong function, distilling would soften probabilities. So these read the Softmax's input
 * instead: the same graph without a final SOFTMAX over the class dim of [N, K] outputs, sharing its
 * nodes and {@link Parameter}s (a training step updates the model's own weights), and the model keeps
 * its Softmax for evaluation (argmax is the same either way), export and the files written.
 */
public final class Logits {
    private Logits() {}

    /** {@code g} itself, or when its output is a SOFTMAX over the last dim of a [N, K] output, {@code g} ending at that softmax's input. */
    public static Graph of(Graph g) {
        Node out = g.node(g.output());
        if (out.op() != OpType.SOFTMAX) return g;
        String in = out.inputs().get(0);
        if (Graph.INPUT.equals(in)) return g;
        var shape = g.inferShapes().get(out.name());
        if (shape.rank() != 1 || SoftmaxOp.axis(out, shape) != 1) return g;
        // the nodes the logits depend on (in order); others could only read the softmax or nothing the output needs
        java.util.Set<String> live = new java.util.HashSet<>(List.of(in));
        List<Node> all = g.nodes();
        for (int i = all.size() - 1; i >= 0; i--) if (live.contains(all.get(i).name())) live.addAll(all.get(i).inputs());
        List<Node> nodes = all.stream().filter(n -> live.contains(n.name())).toList();
        return new Graph(g.name(), g.inputShape(), nodes, in, g.params());
    }

    /** True when {@link #of} would drop a final softmax. */
    public static boolean endsWithSoftmax(Graph g) { return of(g) != g; }
}

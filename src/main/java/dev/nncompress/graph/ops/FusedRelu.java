package dev.nncompress.graph.ops;

import dev.nncompress.graph.Node;
import dev.nncompress.graph.OpContext;
import dev.nncompress.tensor.Tensor;

/**
 * The optional ReLU that {@link Conv2dOp} and {@link LinearOp} apply to their own output when the
 * node carries attr {@value #ATTR}{@code =1} (a 0/1 flag: {@code AttrSpec.flag}, so that a typo in a hand-written graph is not silently a ReLU). An attribute rather than new op types, so that graphs
 * and files without it read exactly as before, and the int8 conversion sees one node whose epilogue
 * clamps at zero before requantising.
 */
public final class FusedRelu {
    public static final String ATTR = "relu";

    private FusedRelu() {}

    public static boolean on(Node n) { return n.flag(ATTR); }

    /** relu(y) when the node fuses a ReLU (closing {@code y}), else {@code y} itself. */
    static Tensor apply(Node n, Tensor y, OpContext ctx) {
        if (!on(n)) return y;
        Tensor r = ctx.backend().relu(y);
        y.close();
        return r;
    }

    /**
     * Gradient w.r.t. the pre-ReLU output given the node's (post-ReLU) output {@code y}: as for a
     * separate ReLU node, y > 0 exactly where the pre-activation was positive. The temporary is tracked.
     */
    static Tensor backward(Node n, Tensor y, Tensor gradOut, OpContext ctx) {
        if (!on(n)) return gradOut;
        return ctx.track(ctx.backend().reluBackward(y, gradOut));
    }
}

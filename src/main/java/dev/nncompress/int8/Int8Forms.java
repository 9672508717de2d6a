package dev.nncompress.int8;

import dev.nncompress.backend.ref.Int8Depthwise;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.OpType;
import dev.nncompress.graph.ops.Conv2dOp;
import dev.nncompress.tensor.Shape;

/** Which node forms the int8 engine runs as int8 ops: what calibration ({@code QuantTargets}) and the runner agree on. */
public final class Int8Forms {
    private Int8Forms() {}

    /**
     * True where the int8 engine runs {@code n} (a CONV2D) as an int8 depthwise conv: more than one group and
     * one input channel per group ({@code weight} [O, 1, kH, kW]), i.e. groups = input channels.
     */
    public static boolean depthwise(Node n, Shape weight) {
        return n.op() == OpType.CONV2D && Int8Depthwise.accepts(weight, Conv2dOp.spec(n).groups());
    }
}

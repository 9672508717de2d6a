package dev.nncompress.graph;

import dev.nncompress.graph.ops.BatchNorm2dOp;
import dev.nncompress.graph.ops.Conv2dOp;
import dev.nncompress.graph.ops.DropoutOp;
import dev.nncompress.graph.ops.FlattenOp;
import dev.nncompress.graph.ops.LinearOp;
import dev.nncompress.graph.ops.PoolOps;
import dev.nncompress.graph.ops.ReluOp;
// pointwise family (issue 17)
import dev.nncompress.graph.ops.ActivationOp;
import dev.nncompress.graph.ops.ArithmeticOp;
import dev.nncompress.graph.ops.SoftmaxOp;

import java.util.EnumMap;
import java.util.Map;

/** The single place that maps an {@link OpType} to its implementation. */
public final class Ops {
    private static final Map<OpType, Op> IMPLS = new EnumMap<>(OpType.class);

    static {
        IMPLS.put(OpType.CONV2D, new Conv2dOp());
        IMPLS.put(OpType.LINEAR, new LinearOp());
        IMPLS.put(OpType.RELU, new ReluOp());
        IMPLS.put(OpType.MAXPOOL2D, new PoolOps.MaxPool());
        IMPLS.put(OpType.AVGPOOL2D, new PoolOps.AvgPool());
        IMPLS.put(OpType.GLOBAL_AVGPOOL, new PoolOps.GlobalAvgPool());
        IMPLS.put(OpType.BATCHNORM2D, new BatchNorm2dOp());
        IMPLS.put(OpType.FLATTEN, new FlattenOp());
        IMPLS.put(OpType.DROPOUT, new DropoutOp());
        // shapes family (issue 17)
        IMPLS.put(OpType.CONCAT, new dev.nncompress.graph.ops.ConcatOp());
        IMPLS.put(OpType.RESHAPE, new dev.nncompress.graph.ops.ReshapeOp());
        IMPLS.put(OpType.REDUCE_MEAN, new dev.nncompress.graph.ops.ReduceMeanOp());
        // pointwise family (issue 17): ADD generalised to broadcasting and a constant operand, as SUB, MUL, DIV
        for (OpType t : OpType.values()) {
            if (ActivationOp.kindOf(t) != null) IMPLS.put(t, new ActivationOp(ActivationOp.kindOf(t)));
            if (ArithmeticOp.kindOf(t) != null) IMPLS.put(t, new ArithmeticOp(ArithmeticOp.kindOf(t)));
        }
        IMPLS.put(OpType.SOFTMAX, new SoftmaxOp());
    }

    private Ops() {}

    public static Op of(OpType type) { return IMPLS.get(type); }
}

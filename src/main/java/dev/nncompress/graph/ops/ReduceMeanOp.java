package dev.nncompress.graph.ops;

import dev.nncompress.graph.AttrSpec;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.Op;
import dev.nncompress.graph.OpContext;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Mean over the consecutive per-sample dims [axis, axis + count) (ONNX ReduceMean over per-sample axes;
 * the importer maps a mean over H and W of [C, H, W] onto GLOBAL_AVGPOOL instead, which the rest of the
 * toolkit knows). With keepdims the reduced dims stay with size 1, else they are dropped; a result with
 * no dims left is refused (ONNX would give [N], which no op here reads). Backward spreads each output's
 * gradient evenly over the values it averaged.
 */
public final class ReduceMeanOp implements Op {
    private static final List<AttrSpec> ATTRS = List.of(AttrSpec.integer("axis", 0, ReshapeOp.MAX_RANK - 1),
            AttrSpec.integer("count", 1, ReshapeOp.MAX_RANK), AttrSpec.flag("keepdims"));

    @Override public List<AttrSpec> attributes() { return ATTRS; }

    /** The kept-dims shape (reduced dims as 1) of a sample {@code x}. */
    private static Shape kept(Node n, Shape x) {
        int axis = n.intAttr("axis"), count = n.intAttr("count");
        if (axis + count > x.rank()) {
            throw new IllegalArgumentException("REDUCE_MEAN over dims [" + axis + ", " + (axis + count) + ") of a rank-" + x.rank() + " sample " + x);
        }
        int[] d = x.dims();
        for (int k = axis; k < axis + count; k++) d[k] = 1;
        return Shape.of(d);
    }

    @Override
    public Shape outputShape(Node n, List<Shape> in, Graph g) {
        Shape x = OpChecks.single(n, in, -1);
        Shape kept = kept(n, x);
        if (n.flag("keepdims")) return kept;
        List<Integer> d = new ArrayList<>();
        int axis = n.intAttr("axis"), count = n.intAttr("count");
        for (int k = 0; k < x.rank(); k++) if (k < axis || k >= axis + count) d.add(x.dim(k));
        if (d.isEmpty()) throw new IllegalArgumentException("REDUCE_MEAN without keepdims reduces every dim of " + x + "; keep one");
        return Shape.of(d.stream().mapToInt(Integer::intValue).toArray());
    }

    @Override
    public Tensor forward(Node n, List<Tensor> in, OpContext ctx) {
        Tensor x = in.get(0);
        if (ctx.training()) ctx.save(n, x.shape());
        Tensor y = ctx.backend().reduceMean(x, n.intAttr("axis") + 1, n.intAttr("count"));
        if (n.flag("keepdims")) return y;
        ctx.track(y);
        return ctx.backend().reshape(y, ReshapeOp.withBatch(x.shape().dim(0), outputShape(n, List.of(sample(x.shape())), null)));
    }

    @Override
    public List<Tensor> backward(Node n, Tensor gradOut, OpContext ctx) {
        Shape x = (Shape) ctx.saved(n)[0];
        int axis = n.intAttr("axis") + 1, count = n.intAttr("count");
        Tensor g = gradOut;
        if (!n.flag("keepdims")) g = ctx.track(ctx.backend().reshape(gradOut, ReshapeOp.withBatch(x.dim(0), kept(n, sample(x)))));
        return List.of(ctx.backend().reduceMeanBackward(x, g, axis, count));
    }

    private static Shape sample(Shape batched) { return Shape.of(java.util.Arrays.copyOfRange(batched.dims(), 1, batched.rank())); }
}

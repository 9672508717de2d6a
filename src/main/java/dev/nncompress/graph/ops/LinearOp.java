package dev.nncompress.graph.ops;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.SparseWeight;
import dev.nncompress.graph.AttrSpec;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.Op;
import dev.nncompress.graph.OpContext;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.Arrays;
import java.util.List;

/**
 * y = x W^T + b with {@code weight} [O, F] and optional {@code bias} [O]; input [N, F]. With attr
 * {@code relu=1} (set by the ReLU fusion pass, see {@link FusedRelu}) the output is relu(y).
 */
public final class LinearOp implements Op {
    private static final List<AttrSpec> ATTRS = List.of(AttrSpec.flag(FusedRelu.ATTR));

    @Override public List<AttrSpec> attributes() { return ATTRS; }

    @Override
    public Shape outputShape(Node n, List<Shape> in, Graph g) {
        Shape x = OpChecks.single(n, in, 1);
        Shape w = g.param(n.paramName("weight")).value().shape();
        if (w.rank() != 2 || w.dim(1) != x.dim(0)) {
            throw new IllegalArgumentException("weight " + w + " does not fit " + x.dim(0) + " input features");
        }
        if (g.params().containsKey(n.paramName("bias"))) OpChecks.vector(g, n.paramName("bias"), w.dim(0));
        return Shape.of(w.dim(0));
    }

    @Override
    public Tensor forward(Node n, List<Tensor> in, OpContext ctx) {
        Backend b = ctx.backend();
        Tensor x = in.get(0);
        SparseWeight sw = ctx.sparseWeight(n);
        Tensor y;
        if (sw == null && !ctx.training()) { // one backend call: bias and ReLU fused where the backend can (issue 23)
            return b.linearInference(x, ctx.param(n, "weight").value(), ctx.hasParam(n, "bias") ? ctx.param(n, "bias").value() : null, FusedRelu.on(n));
        }
        if (sw != null) {
            y = FusedRelu.apply(n, b.linearSparse(x, sw, ctx.hasParam(n, "bias") ? ctx.param(n, "bias").value() : null), ctx);
        } else { // training: one call, bit for bit matmul, addRowVector and relu (issue 23)
            y = b.linearForward(x, ctx.param(n, "weight").value(), ctx.hasParam(n, "bias") ? ctx.param(n, "bias").value() : null, FusedRelu.on(n));
        }
        if (ctx.training()) ctx.save(n, x, y);
        return y;
    }

    @Override
    public List<Tensor> backward(Node n, Tensor gradOut, OpContext ctx) {
        Backend b = ctx.backend();
        Object[] s = ctx.saved(n);
        Tensor x = (Tensor) s[0];
        Tensor g;
        if (FusedRelu.on(n) && ctx.hasParam(n, "bias")) { // ReLU mask and bias gradient in one call
            Tensor[] dzDb = b.reluBackwardSumRows((Tensor) s[1], gradOut);
            g = ctx.track(dzDb[0]);
            ctx.param(n, "bias").accumulateGrad(dzDb[1]);
        } else {
            g = FusedRelu.backward(n, (Tensor) s[1], gradOut, ctx);
            if (ctx.hasParam(n, "bias")) ctx.param(n, "bias").accumulateGrad(b.sumRows(g));
        }
        ctx.param(n, "weight").accumulateGrad(b.matmul(g, true, x, false));
        Tensor dx = ctx.needsInputGrad(n) ? b.matmul(g, false, ctx.param(n, "weight").value(), false) : null;
        return Arrays.asList(dx);
    }
}

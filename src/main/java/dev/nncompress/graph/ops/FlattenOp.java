package dev.nncompress.graph.ops;

import dev.nncompress.graph.AttrSpec;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.Op;
import dev.nncompress.graph.OpContext;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.List;

/** [N, C, H, W] to [N, C*H*W] in row-major order (PyTorch's flatten(1)). */
public final class FlattenOp implements Op {
    @Override public List<AttrSpec> attributes() { return List.of(); }

    @Override
    public Shape outputShape(Node n, List<Shape> in, Graph g) { return Shape.of(OpChecks.single(n, in, -1).numel()); }

    @Override
    public Tensor forward(Node n, List<Tensor> in, OpContext ctx) {
        Tensor x = in.get(0);
        if (ctx.training()) ctx.save(n, x.shape());
        return ctx.backend().reshape(x, Shape.of(x.shape().dim(0), x.shape().rowSize()));
    }

    @Override
    public List<Tensor> backward(Node n, Tensor gradOut, OpContext ctx) {
        return List.of(ctx.backend().reshape(gradOut, (Shape) ctx.saved(n)[0]));
    }
}

package dev.nncompress.graph.ops;

import dev.nncompress.graph.AttrSpec;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.Op;
import dev.nncompress.graph.OpContext;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.List;

public final class ReluOp implements Op {
    @Override public List<AttrSpec> attributes() { return List.of(); }

    @Override
    public Shape outputShape(Node n, List<Shape> in, Graph g) { return OpChecks.single(n, in, -1); }

    @Override
    public Tensor forward(Node n, List<Tensor> in, OpContext ctx) {
        Tensor y = ctx.backend().relu(in.get(0));
        if (ctx.training()) ctx.save(n, y); // the output suffices: y > 0 exactly where x > 0
        return y;
    }

    @Override
    public List<Tensor> backward(Node n, Tensor gradOut, OpContext ctx) {
        return List.of(ctx.backend().reluBackward((Tensor) ctx.saved(n)[0], gradOut));
    }
}

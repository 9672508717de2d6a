package dev.nncompress.graph.ops;

import dev.nncompress.graph.AttrSpec;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.Op;
import dev.nncompress.graph.OpContext;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.List;

/** Elementwise sum of two same-shaped inputs (residual connections). */
public final class AddOp implements Op {
    @Override public List<AttrSpec> attributes() { return List.of(); }

    @Override
    public Shape outputShape(Node n, List<Shape> in, Graph g) {
        if (in.size() != 2) throw new IllegalArgumentException("ADD takes 2 inputs, got " + in.size());
        if (!in.get(0).equals(in.get(1))) {
            throw new IllegalArgumentException("ADD inputs differ in shape: " + in.get(0) + " vs " + in.get(1));
        }
        return in.get(0);
    }

    @Override
    public Tensor forward(Node n, List<Tensor> in, OpContext ctx) { return ctx.backend().add(in.get(0), in.get(1)); }

    @Override
    public List<Tensor> backward(Node n, Tensor gradOut, OpContext ctx) {
        // two distinct tensors: the runner may accumulate into either in place
        return List.of(ctx.backend().scale(gradOut, 1f), ctx.backend().scale(gradOut, 1f));
    }
}

package dev.nncompress.graph.ops;

import dev.nncompress.backend.ConcatGeometry;
import dev.nncompress.graph.AttrSpec;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.Op;
import dev.nncompress.graph.OpContext;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.List;

/**
 * Concatenation of two or more inputs along the per-sample dimension {@code axis} (0 = channels of
 * [C, H, W]: SqueezeNet's fire modules, Inception's branches); the inputs agree in every other
 * dimension. Backward splits the output gradient back by the inputs' extents along that axis.
 */
public final class ConcatOp implements Op {
    /** Per-sample axes 0..7: the batch dim comes first and is never an axis here. */
    private static final List<AttrSpec> ATTRS = List.of(AttrSpec.integer("axis", 0, 7));

    @Override public List<AttrSpec> attributes() { return ATTRS; }

    @Override
    public Shape outputShape(Node n, List<Shape> in, Graph g) {
        if (in.size() < 2) throw new IllegalArgumentException("CONCAT takes at least 2 inputs, got " + in.size());
        return ConcatGeometry.of("CONCAT", in, n.intAttr("axis")).output();
    }

    @Override
    public Tensor forward(Node n, List<Tensor> in, OpContext ctx) {
        int axis = n.intAttr("axis") + 1;
        if (ctx.training()) {
            int[] sizes = new int[in.size()];
            for (int i = 0; i < sizes.length; i++) sizes[i] = in.get(i).shape().dim(axis);
            ctx.save(n, (Object) sizes);
        }
        return ctx.backend().concat(in, axis);
    }

    @Override
    public List<Tensor> backward(Node n, Tensor gradOut, OpContext ctx) {
        return ctx.backend().split(gradOut, n.intAttr("axis") + 1, (int[]) ctx.saved(n)[0]);
    }
}

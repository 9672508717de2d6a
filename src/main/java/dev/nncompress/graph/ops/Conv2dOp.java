package dev.nncompress.graph.ops;

import dev.nncompress.backend.Conv2dGrads;
import dev.nncompress.backend.Conv2dSpec;
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
 * 2-D convolution; params {@code weight} [O, C, kH, kW] and optional {@code bias} [O]. With attr
 * {@code relu=1} (set by the ReLU fusion pass, see {@link FusedRelu}) the output is relu(conv(x)).
 */
public final class Conv2dOp implements Op {
    private static final List<AttrSpec> ATTRS = List.of(AttrSpec.integer("stride_h", 1, AttrSpec.MAX_WINDOW),
            AttrSpec.integer("stride_w", 1, AttrSpec.MAX_WINDOW), AttrSpec.integer("pad_h", 0, AttrSpec.MAX_WINDOW),
            AttrSpec.integer("pad_w", 0, AttrSpec.MAX_WINDOW), AttrSpec.flag(FusedRelu.ATTR));

    @Override public List<AttrSpec> attributes() { return ATTRS; }

    public static Conv2dSpec spec(Node n) {
        return new Conv2dSpec(n.intAttr("stride_h"), n.intAttr("stride_w"), n.intAttr("pad_h"), n.intAttr("pad_w"));
    }

    @Override
    public Shape outputShape(Node n, List<Shape> in, Graph g) {
        Shape x = OpChecks.single(n, in, 3);
        Shape w = g.param(n.paramName("weight")).value().shape();
        if (w.rank() != 4 || w.dim(1) != x.dim(0)) {
            throw new IllegalArgumentException("weight " + w + " does not fit input " + x + " (expects [O, " + x.dim(0) + ", kH, kW])");
        }
        if (g.params().containsKey(n.paramName("bias"))) OpChecks.vector(g, n.paramName("bias"), w.dim(0));
        Conv2dSpec s = spec(n);
        // a window wholly inside the padding only adds zeros (PyTorch allows it, no model needs it); with
        // pad < kernel every output reads at least one input value, and pad stays below the kernel bound
        OpChecks.padBelowKernel("pad_h", s.padH(), "kernel height", w.dim(2));
        OpChecks.padBelowKernel("pad_w", s.padW(), "kernel width", w.dim(3));
        return Shape.of(w.dim(0), s.outH(x.dim(1), w.dim(2)), s.outW(x.dim(2), w.dim(3)));
    }

    @Override
    public Tensor forward(Node n, List<Tensor> in, OpContext ctx) {
        Tensor x = in.get(0);
        Tensor bias = ctx.hasParam(n, "bias") ? ctx.param(n, "bias").value() : null;
        SparseWeight sw = ctx.sparseWeight(n);
        Tensor conv = sw != null ? ctx.backend().conv2dSparse(x, sw, bias, spec(n)) : ctx.backend().conv2d(x, ctx.param(n, "weight").value(), bias, spec(n));
        Tensor y = FusedRelu.apply(n, conv, ctx);
        if (ctx.training()) ctx.save(n, x, y);
        return y;
    }

    @Override
    public List<Tensor> backward(Node n, Tensor gradOut, OpContext ctx) {
        Object[] s = ctx.saved(n);
        Tensor x = (Tensor) s[0];
        Tensor g = FusedRelu.backward(n, (Tensor) s[1], gradOut, ctx);
        boolean withBias = ctx.hasParam(n, "bias");
        Conv2dGrads gr = ctx.backend().conv2dBackward(x, ctx.param(n, "weight").value(), g, spec(n), withBias,
                ctx.needsInputGrad(n));
        ctx.param(n, "weight").accumulateGrad(gr.weight());
        if (withBias) ctx.param(n, "bias").accumulateGrad(gr.bias());
        return Arrays.asList(gr.input());
    }
}

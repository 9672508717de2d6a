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
 * 2-D convolution; params {@code weight} [O, C/groups, kH, kW] and optional {@code bias} [O]. With attr
 * {@code relu=1} (set by the ReLU fusion pass, see {@link FusedRelu}) the output is relu(conv(x)).
 * Attributes beyond stride and padding (issue 17: grouped, depthwise and dilated convs, asymmetric
 * padding) are optional, so files written before them load unchanged: {@code groups} (1),
 * {@code dilation_h}/{@code dilation_w} (1), {@code pad_bottom}/{@code pad_right} (absent = pad_h/pad_w;
 * pad_h/pad_w are the top and left padding).
 */
public final class Conv2dOp implements Op {
    /** Upper bound of the groups attribute: far above any real layer's channel count, far below int overflow. */
    public static final int MAX_GROUPS = 1 << 20;

    private static final List<AttrSpec> ATTRS = List.of(AttrSpec.integer("stride_h", 1, AttrSpec.MAX_WINDOW),
            AttrSpec.integer("stride_w", 1, AttrSpec.MAX_WINDOW), AttrSpec.integer("pad_h", 0, AttrSpec.MAX_WINDOW),
            AttrSpec.integer("pad_w", 0, AttrSpec.MAX_WINDOW), AttrSpec.flag(FusedRelu.ATTR),
            // ---- conv family (issue 17): optional geometry; a NaN default marks "derived by spec(), see there" ----
            optional("pad_bottom", 0, AttrSpec.MAX_WINDOW, Double.NaN), optional("pad_right", 0, AttrSpec.MAX_WINDOW, Double.NaN),
            optional("dilation_h", 1, AttrSpec.MAX_WINDOW, 1), optional("dilation_w", 1, AttrSpec.MAX_WINDOW, 1),
            optional("groups", 1, MAX_GROUPS, 1));

    @Override public List<AttrSpec> attributes() { return ATTRS; }

    private static AttrSpec optional(String name, int min, int max, double absent) {
        return new AttrSpec(name, true, min, false, max, false, absent);
    }

    public static Conv2dSpec spec(Node n) {
        int padH = n.intAttr("pad_h"), padW = n.intAttr("pad_w");
        return new Conv2dSpec(n.intAttr("stride_h"), n.intAttr("stride_w"), padH, padW, optionalInt(n, "pad_bottom", padH),
                optionalInt(n, "pad_right", padW), optionalInt(n, "dilation_h", 1), optionalInt(n, "dilation_w", 1), optionalInt(n, "groups", 1));
    }

    private static int optionalInt(Node n, String key, int absent) { return n.attrs().containsKey(key) ? n.intAttr(key) : absent; }

    /**
     * The attributes of {@code s} as a node stores them: the optional ones only where they differ from
     * their absent value, so a plain conv's node (and file) is what it was before issue 17.
     */
    public static java.util.Map<String, Double> attrs(Conv2dSpec s) {
        java.util.Map<String, Double> m = new java.util.LinkedHashMap<>();
        m.put("stride_h", (double) s.strideH());
        m.put("stride_w", (double) s.strideW());
        m.put("pad_h", (double) s.padH());
        m.put("pad_w", (double) s.padW());
        if (s.padBottom() != s.padH()) m.put("pad_bottom", (double) s.padBottom());
        if (s.padRight() != s.padW()) m.put("pad_right", (double) s.padRight());
        if (s.dilationH() != 1) m.put("dilation_h", (double) s.dilationH());
        if (s.dilationW() != 1) m.put("dilation_w", (double) s.dilationW());
        if (s.groups() != 1) m.put("groups", (double) s.groups());
        return m;
    }

    @Override
    public Shape outputShape(Node n, List<Shape> in, Graph g) {
        Shape x = OpChecks.single(n, in, 3);
        Shape w = g.param(n.paramName("weight")).value().shape();
        Conv2dSpec s = spec(n);
        int groups = s.groups();
        if (w.rank() != 4 || (long) w.dim(1) * groups != x.dim(0) || w.dim(0) % groups != 0) {
            throw new IllegalArgumentException("weight " + w + " does not fit input " + x + " (expects [O, " + (x.dim(0) / groups) + ", kH, kW]"
                    + (groups > 1 ? " with O a multiple of " + groups + " and " + groups + " dividing the " + x.dim(0) + " input channels" : "") + ")");
        }
        if (g.params().containsKey(n.paramName("bias"))) OpChecks.vector(g, n.paramName("bias"), w.dim(0));
        // a window wholly inside the padding only adds zeros (PyTorch allows it, no model needs it); with
        // each pad below the (dilated) kernel extent every output reads at least one input value, and the
        // pads stay below the kernel bound
        OpChecks.padBelowKernel("pad_h", s.padH(), "kernel height", (int) Math.min(Integer.MAX_VALUE, s.extentH(w.dim(2))));
        OpChecks.padBelowKernel("pad_w", s.padW(), "kernel width", (int) Math.min(Integer.MAX_VALUE, s.extentW(w.dim(3))));
        OpChecks.padBelowKernel("pad_bottom", s.padBottom(), "kernel height", (int) Math.min(Integer.MAX_VALUE, s.extentH(w.dim(2))));
        OpChecks.padBelowKernel("pad_right", s.padRight(), "kernel width", (int) Math.min(Integer.MAX_VALUE, s.extentW(w.dim(3))));
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

    /**
     * What a training forward that ran this conv fused with its ReLU saves (graph.TrainingFusion, issue 23): the input
     * alone, as the conv's output was never made and its backward (without the node's own ReLU attribute) needs only x.
     */
    public static void saveInputOnly(Node n, Tensor x, OpContext ctx) {
        if (FusedRelu.on(n)) throw new IllegalStateException("conv " + n.name() + " applies its own ReLU: its backward needs its output");
        ctx.save(n, x, null);
    }

    @Override
    public List<Tensor> backward(Node n, Tensor gradOut, OpContext ctx) { return backward(n, gradOut, ctx, false); }

    /**
     * The backward of conv {@code n} whose input is a ReLU's output read by this conv alone (graph.TrainingFusion): the
     * input gradient comes back with the ReLU's backward applied ({@code Backend.conv2dBackwardReluInput}), so the
     * runner passes it through the ReLU's node unchanged.
     */
    public static List<Tensor> backwardReluInput(Node n, Tensor gradOut, OpContext ctx) { return backward(n, gradOut, ctx, true); }

    private static List<Tensor> backward(Node n, Tensor gradOut, OpContext ctx, boolean reluInput) {
        Object[] s = ctx.saved(n);
        Tensor x = (Tensor) s[0];
        Tensor g = FusedRelu.backward(n, (Tensor) s[1], gradOut, ctx);
        boolean withBias = ctx.hasParam(n, "bias");
        Tensor w = ctx.param(n, "weight").value();
        Conv2dGrads gr = reluInput ? ctx.backend().conv2dBackwardReluInput(x, w, g, spec(n), withBias)
                : ctx.backend().conv2dBackward(x, w, g, spec(n), withBias, ctx.needsInputGrad(n));
        ctx.param(n, "weight").accumulateGrad(gr.weight());
        if (withBias) ctx.param(n, "bias").accumulateGrad(gr.bias());
        return Arrays.asList(gr.input());
    }
}

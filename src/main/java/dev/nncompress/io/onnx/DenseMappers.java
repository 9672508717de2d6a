package dev.nncompress.io.onnx;

import dev.nncompress.graph.OpType;
import dev.nncompress.graph.Parameter;
import dev.nncompress.io.onnx.Value.Activation;
import dev.nncompress.io.onnx.proto.OnnxProto.NodeProto;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The ops around the classifier: Gemm and MatMul onto LINEAR (weights stored [out, in] as ours,
 * transposed at import where ONNX has [in, out]), the constant Add after them (and after a Conv) folded
 * into the bias, and Add of two activations onto ADD. (Flatten and Reshape: {@link ShapeMappers}.)
 */
final class DenseMappers {
    private DenseMappers() {}

    /**
     * Y = alpha op(A) op(B) + beta C with A the activation [N, F] and B, C constants. transB=1 (PyTorch's
     * Linear) is our layout; transB=0 is transposed here. alpha and beta are folded into the weight and
     * bias: the same function, with float rounding of one product per weight (within 1 ulp). Refused:
     * transA=1 on the activation (A^T is [F, N]: the batch would be the second dim), a C that is not one
     * row ([N, O] varies per sample), and a constant A with the activation as B ({@link #constantTimesActivation}).
     */
    static Activation gemm(NodeProto n, String where, List<Value> in, ImportContext ctx) {
        Attrs a = new Attrs(n, where, Attrs.of("alpha", "beta", "transA", "transB"));
        boolean transA = a.integer("transA", 0) != 0, transB = a.integer("transB", 0) != 0;
        float alpha = a.real("alpha", 1f), beta = a.real("beta", 1f);
        if (!Float.isFinite(alpha) || !Float.isFinite(beta)) throw new IllegalArgumentException(where + ": alpha " + alpha + " and beta " + beta + " must be finite");
        if (in.size() > 1 && in.get(0) instanceof Const && in.get(1) instanceof Activation) {
            return constantTimesActivation(n, where, in, ctx, transA, transB, alpha, beta);
        }
        if (transA) {
            throw new IllegalArgumentException(where + " has transA 1 on the activation A: A^T is [features, N], the batch would be the second dim;"
                    + " not supported (export the layer as x @ W^T, transA 0)");
        }
        Activation x = Inputs.activation(in, 0, where, "A", 1);
        Const b = Inputs.weight(in, 1, where, "B", 2);
        Const w = transB ? b : transpose(b);
        int features = ctx.shape(x).dim(0);
        if (w.dims()[1] != features) {
            throw new IllegalArgumentException(where + ": B " + Inputs.name(b) + " has shape " + Arrays.toString(b.dims()) + " (transB " + (transB ? 1 : 0)
                    + "), which does not fit " + features + " input features");
        }
        if (!transB) ctx.countFolded("Gemm transB=0 (weight transposed)");
        return linear(n, ctx, x, w, b.source(), in.size() > 2 ? in.get(2) : null, where, alpha, beta);
    }

    /**
     * A constant A times the activation B: Y = op(A) op(B) has op(A)'s rows first, so the batch of B is
     * contracted (op(B) = B) or becomes the second dim (op(B) = B^T). That is a Linear only when both are 1:
     * a batch fixed at 1 by the export, transB 1 and one row of op(A), Y = [1, 1] = B op(A)^T, our LINEAR
     * with the weight op(A). Anything else is refused.
     */
    private static Activation constantTimesActivation(NodeProto n, String where, List<Value> in, ImportContext ctx, boolean transA,
                                                      boolean transB, float alpha, float beta) {
        Const a = Inputs.checkWeight(in.get(0), where, "A", 2);
        Activation x = Inputs.activation(in, 1, where, "B", 1);
        Const w = transA ? transpose(a) : a;
        if (!(ctx.fixedBatch == 1 && transB && w.dims()[0] == 1)) {
            throw new IllegalArgumentException(where + " multiplies the constant A " + Inputs.name(a) + " by the activation B (transA " + (transA ? 1 : 0)
                    + ", transB " + (transB ? 1 : 0) + "), which puts B's batch dim second or sums over it; only the activation as A"
                    + " (x W^T, a Linear) is supported, or a batch-1 export's one-row A times B^T");
        }
        int features = ctx.shape(x).dim(0);
        if (w.dims()[1] != features) {
            throw new IllegalArgumentException(where + ": A " + Inputs.name(a) + " has shape " + Arrays.toString(a.dims()) + ", which does not fit "
                    + features + " features of B");
        }
        ctx.countFolded("Gemm constant A x activation B^T (batch 1, as a Linear)");
        return linear(n, ctx, x, w, a.source(), in.size() > 2 ? in.get(2) : null, where, alpha, beta);
    }

    /** LINEAR with weight alpha w [out, in] and, when C is given and beta is not 0, bias beta C (one row or a scalar). */
    private static Activation linear(NodeProto n, ImportContext ctx, Activation x, Const w, String weightSource, Value cValue, String where,
                                     float alpha, float beta) {
        if (alpha != 1f) w = scaled(w, alpha, w.source());
        Map<String, Const> params = new LinkedHashMap<>();
        params.put("weight", w);
        Const c = cValue == null ? null : Inputs.checkWeight(cValue, where, "C", -1);
        if (c != null && beta != 0f) {
            Const bias = rowBias(c, w.dims()[0], where, "C");
            params.put("bias", beta == 1f ? bias : scaled(bias, beta, bias.source()));
        }
        if (alpha != 1f || (c != null && beta != 1f)) ctx.countFolded("Gemm alpha/beta (into weight and bias)");
        String name = ctx.nodeName(weightSource, n.getName(), n.getOpType());
        return ctx.add(name, OpType.LINEAR, List.of(x), Map.of(), params, n.getName(), n.getOutput(0));
    }

    /** A [N, F] x B [F, O] with B constant: LINEAR with weight B^T and no bias (a following Add may fold one in). */
    static Activation matMul(NodeProto n, String where, List<Value> in, ImportContext ctx) {
        new Attrs(n, where, Attrs.of());
        Activation x = Inputs.activation(in, 0, where, "A", 1);
        Const b = Inputs.weight(in, 1, where, "B", 2);
        int features = ctx.shape(x).dim(0);
        if (b.dims()[0] != features) {
            throw new IllegalArgumentException(where + ": B " + Inputs.name(b) + " has shape " + Arrays.toString(b.dims()) + ", which does not fit "
                    + features + " input features");
        }
        String name = ctx.nodeName(b.source(), n.getName(), n.getOpType());
        ctx.countFolded("MatMul weight transposed");
        return ctx.add(name, OpType.LINEAR, List.of(x), Map.of(), Map.of("weight", transpose(b)), n.getName(), n.getOutput(0));
    }

    /**
     * An activation and a constant: the constant is folded into the bias of the LINEAR or CONV2D node that
     * computes the activation, when nothing else reads that node's output and it fits a bias (MatMul + Add
     * is how exporters write a Linear with bias). Anything else, two activations included, is ADD with
     * broadcasting ({@link PointwiseMappers#arithmetic}).
     */
    static Activation add(NodeProto n, String where, List<Value> in, ImportContext ctx) {
        new Attrs(n, where, Attrs.of());
        if (in.size() != 2 || in.get(0) == null || in.get(1) == null) throw new IllegalArgumentException(where + " must have 2 inputs");
        if (in.get(0) instanceof Activation && in.get(1) instanceof Activation) return PointwiseMappers.arithmetic(n, where, in, ctx, OpType.ADD);
        int xi = in.get(0) instanceof Activation ? 0 : 1;
        if (!(in.get(xi) instanceof Activation x)) throw new IllegalArgumentException(where + " adds two constants; folding does not cover float arithmetic");
        Const c = Inputs.checkWeight(in.get(1 - xi), where, "constant addend", -1);
        String value = n.getInput(xi);
        OpType producer = ctx.node(x.node()) == null ? null : ctx.node(x.node()).op();
        boolean linear = producer == OpType.LINEAR && ctx.soleReaderOf(x, OpType.LINEAR, value);
        boolean conv = producer == OpType.CONV2D && ctx.soleReaderOf(x, OpType.CONV2D, value);
        int channels = x.shape().dim(0);
        if (!(linear ? isRowBias(c, channels) : conv && isChannelBias(c, channels))) return PointwiseMappers.arithmetic(n, where, in, ctx, OpType.ADD);
        Const bias = linear ? rowBias(c, channels, where, "constant addend") : channelBias(c, channels, where);
        String biasName = x.node() + ".bias";
        Parameter old = ctx.param(biasName);
        if (old != null) {
            float[] sum = old.value().toFloatArray();
            for (int i = 0; i < sum.length; i++) sum[i] += bias.floats()[i];
            bias = Const.ofFloats(bias.dims(), sum, bias.source());
        }
        ctx.putParam(biasName, bias, true);
        ctx.countFolded("Add (bias into " + (linear ? "MatMul/Gemm" : "Conv") + ")");
        return x;
    }

    private static boolean isRowBias(Const c, int o) {
        int[] d = c.dims();
        return (d.length == 1 && d[0] == o) || (d.length == 2 && d[0] == 1 && d[1] == o) || (c.numel() == 1 && d.length <= 2);
    }

    private static boolean isChannelBias(Const c, int o) {
        int[] d = c.dims();
        return (d.length == 3 && d[0] == o && d[1] == 1 && d[2] == 1) || (d.length == 4 && d[0] == 1 && d[1] == o && d[2] == 1 && d[3] == 1)
                || (c.numel() == 1 && d.length <= 1);
    }

    /** A bias over {@code o} outputs from a constant of shape [o], [1, o], [1] or [] (the last two broadcast). */
    private static Const rowBias(Const c, int o, String where, String role) {
        int[] d = c.dims();
        if (!isRowBias(c, o)) {
            throw new IllegalArgumentException(where + ": " + role + " " + Inputs.name(c) + " has shape " + Arrays.toString(d) + "; a bias of "
                    + o + " outputs must be [" + o + "], [1, " + o + "] or a scalar");
        }
        return broadcast(c, o);
    }

    /** A conv bias over {@code o} channels from a constant of shape [o, 1, 1], [1, o, 1, 1], [1] or []. */
    private static Const channelBias(Const c, int o, String where) {
        int[] d = c.dims();
        if (!isChannelBias(c, o)) {
            throw new IllegalArgumentException(where + ": constant addend " + Inputs.name(c) + " has shape " + Arrays.toString(d)
                    + "; after a Conv of " + o + " channels it must be [" + o + ", 1, 1], [1, " + o + ", 1, 1] or a scalar");
        }
        return broadcast(c, o);
    }

    private static Const broadcast(Const c, int o) {
        float[] v = new float[o];
        for (int i = 0; i < o; i++) v[i] = c.floats()[c.numel() == 1 ? 0 : i];
        return Const.ofFloats(new int[] {o}, v, c.source());
    }

    private static Const transpose(Const b) {
        int rows = b.dims()[0], cols = b.dims()[1];
        float[] t = new float[b.numel()];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) t[j * rows + i] = b.floats()[i * cols + j];
        return Const.ofFloats(new int[] {cols, rows}, t, b.source());
    }

    private static Const scaled(Const c, float k, String source) {
        float[] v = c.floats().clone();
        for (int i = 0; i < v.length; i++) {
            v[i] *= k;
            if (!Float.isFinite(v[i])) throw new IllegalArgumentException("scaling " + Inputs.name(c) + " by " + k + " overflows");
        }
        return Const.ofFloats(c.dims(), v, source);
    }
}

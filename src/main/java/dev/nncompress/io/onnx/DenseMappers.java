package dev.nncompress.io.onnx;

import dev.nncompress.graph.OpType;
import dev.nncompress.graph.Parameter;
import dev.nncompress.io.onnx.Value.Activation;
import dev.nncompress.io.onnx.proto.OnnxProto.NodeProto;
import dev.nncompress.tensor.Shape;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The ops around the classifier: Gemm and MatMul onto LINEAR (weights stored [out, in] as ours,
 * transposed at import where ONNX has [in, out]), the constant Add after them (and after a Conv) folded
 * into the bias, Add of two activations onto ADD, and Flatten / Reshape that flatten [N, C, H, W] to
 * [N, C*H*W] onto FLATTEN (an identity Reshape is dropped).
 */
final class DenseMappers {
    private DenseMappers() {}

    /**
     * Y = alpha A op(B) + beta C with A the activation [N, F] and B, C constants. transB=1 (PyTorch's
     * Linear) is our layout; transB=0 is transposed here. alpha and beta are folded into the weight and
     * bias: the same function, with float rounding of one product per weight (within 1 ulp). transA=1
     * would transpose the batch and is refused, as is a C that is not one row ([N, O] varies per sample).
     */
    static Activation gemm(NodeProto n, String where, List<Value> in, ImportContext ctx) {
        Attrs a = new Attrs(n, where, Attrs.of("alpha", "beta", "transA", "transB"));
        if (a.integer("transA", 0) != 0) throw new IllegalArgumentException(where + " has transA 1, which transposes the batch; not supported");
        Activation x = Inputs.activation(in, 0, where, "A", 1);
        Const b = Inputs.weight(in, 1, where, "B", 2);
        boolean transB = a.integer("transB", 0) != 0;
        float alpha = a.real("alpha", 1f), beta = a.real("beta", 1f);
        if (!Float.isFinite(alpha) || !Float.isFinite(beta)) throw new IllegalArgumentException(where + ": alpha " + alpha + " and beta " + beta + " must be finite");
        Const w = transB ? b : transpose(b);
        if (alpha != 1f) w = scaled(w, alpha, w.source());
        int features = ctx.shape(x).dim(0);
        if (w.dims()[1] != features) {
            throw new IllegalArgumentException(where + ": B " + Inputs.name(b) + " has shape " + Arrays.toString(b.dims()) + " (transB " + (transB ? 1 : 0)
                    + "), which does not fit " + features + " input features");
        }
        Map<String, Const> params = new LinkedHashMap<>();
        params.put("weight", w);
        Const c = in.size() > 2 ? Inputs.optionalWeight(in, 2, where, "C", -1) : null;
        if (c != null && beta != 0f) {
            Const bias = rowBias(c, w.dims()[0], where, "C");
            params.put("bias", beta == 1f ? bias : scaled(bias, beta, bias.source()));
        }
        if (!transB) ctx.countFolded("Gemm transB=0 (weight transposed)");
        if (alpha != 1f || (c != null && beta != 1f)) ctx.countFolded("Gemm alpha/beta (into weight and bias)");
        String name = ctx.nodeName(b.source(), n.getName(), n.getOpType());
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

    /** Flatten(axis=1) of [N, ...] is our FLATTEN (nothing to do on [N, F]); other axes are refused. */
    static Activation flatten(NodeProto n, String where, List<Value> in, ImportContext ctx) {
        Attrs a = new Attrs(n, where, Attrs.of("axis"));
        Activation x = Inputs.activation(in, 0, where, "input", -1);
        long axis = a.integer("axis", 1);
        int r = x.shape().rank() + 1;
        int k = ConstantFolder.axis(axis, r + 1, where);
        if (k != 1) {
            throw new IllegalArgumentException(where + " flattens [N, " + x.shape() + "] at axis " + axis + "; only axis 1 ([N, C, H, W] to [N, C*H*W]) is supported");
        }
        return toFlat(n, x, ctx);
    }

    /**
     * Reshape of an activation by a folded constant shape: supported when the result is [N, C*H*W] (our
     * FLATTEN) or the input's own shape (dropped). The first target dim must be the batch: {@link Const#BATCH}
     * (from a folded Shape), 0 (copy, unless allowzero), -1 with the rest fixed, or the batch size fixed in
     * the ONNX input.
     */
    static Activation reshape(NodeProto n, String where, List<Value> in, ImportContext ctx) {
        Attrs a = new Attrs(n, where, Attrs.of("allowzero"));
        Activation x = Inputs.activation(in, 0, where, "data", -1);
        Const shape = Inputs.ints(in, 1, where, "shape");
        boolean allowZero = a.integer("allowzero", 0) != 0;
        long[] t = shape.ints();
        Shape s = x.shape();
        String refusal = where + " reshapes [N, " + s + "] to " + shape.describe() + "; only a flatten to [N, " + s.numel()
                + "] or the same shape is supported yet (general Reshape: later slice of issue 17)";
        if (shape.rank() != 1 || t.length < 1) throw new IllegalArgumentException(refusal);
        boolean batchFirst = t[0] == Const.BATCH || (t[0] == 0 && !allowZero) || (ctx.fixedBatch > 0 && t[0] == ctx.fixedBatch);
        long[] rest = new long[t.length - 1];
        int infer = -1;
        long known = 1;
        for (int i = 1; i < t.length; i++) {
            long v = t[i];
            if (v == 0 && !allowZero) v = i - 1 < s.rank() ? s.dim(i - 1) : -2;
            if (v == -1 && infer < 0) {
                infer = i - 1;
            } else if (v < 1 || v > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(refusal);
            } else {
                known *= v; // each <= 2^31, and known stays <= numel below
                if (known > s.numel()) throw new IllegalArgumentException(refusal);
            }
            rest[i - 1] = v;
        }
        if (!batchFirst && !(t[0] == -1 && infer < 0 && known == s.numel())) throw new IllegalArgumentException(refusal);
        if (infer >= 0) {
            if (s.numel() % known != 0) throw new IllegalArgumentException(refusal);
            rest[infer] = s.numel() / known;
        } else if (known != s.numel()) {
            throw new IllegalArgumentException(refusal);
        }
        int[] target = Arrays.stream(rest).mapToInt(v -> (int) v).toArray();
        if (Arrays.equals(target, s.dims())) {
            ctx.countFolded("Reshape (identity)");
            return x;
        }
        if (target.length != 1) throw new IllegalArgumentException(refusal);
        ctx.countFolded("Reshape (as flatten)");
        return toFlat(n, x, ctx);
    }

    private static Activation toFlat(NodeProto n, Activation x, ImportContext ctx) {
        if (x.shape().rank() == 1) return x;
        return ctx.add(ctx.nodeName(null, n.getName(), n.getOpType()), OpType.FLATTEN, List.of(x), Map.of(), Map.of(), n.getName(), n.getOutput(0));
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

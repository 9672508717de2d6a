package dev.nncompress.backend;

import dev.nncompress.quant.QParams;
import dev.nncompress.tensor.Shape;

import java.util.List;

/**
 * The argument checks of {@link Backend}'s int8 ops (issue 21), made once for every implementation (the host
 * backends' {@code backend.ref.HostInt8Ops}/{@code HostCodeOps} and the CUDA backend's {@code CudaInt8Ops}/
 * {@code CudaQGemm}), so that all reject the same calls with the same messages before any kernel sees a size.
 * Each message starts with the op's name. What differs per backend (whose codes a tensor holds, who prepared a
 * weight) stays with the backend; {@link #codes} takes its storage class. The kernels' own argument checks are
 * {@link Int8Checks}.
 */
public final class Int8OpChecks {
    private Int8OpChecks() {}

    /** x's codes as the backend's storage class {@code type} ({@code where} names the backend kind in the message). */
    public static <T> T codes(String op, QTensor x, Class<T> type, String where) {
        if (x == null) throw new IllegalArgumentException(op + ": input is null");
        if (!type.isInstance(x.codes())) {
            throw new IllegalArgumentException(op + ": codes " + x.shape() + " belong to backend '" + x.codes().owner().name() + "', not to " + where);
        }
        return type.cast(x.codes());
    }

    /** x's one scale and zero point; the ops on codes take per-tensor activations. */
    public static QParams perTensor(String op, QTensor x) {
        if (!x.params().perTensor()) throw new IllegalArgumentException(op + ": takes per-tensor activations, got " + x.params());
        return x.params();
    }

    /** The output parameters of an op on codes: present and per tensor. */
    public static void out(String op, QParams out) {
        if (out == null || !out.perTensor()) throw new IllegalArgumentException(op + ": needs per-tensor output parameters, got " + out);
    }

    /** Per-channel parameters along a dimension of {@code s} with one pair per index. */
    public static void axis(String op, Shape s, QParams q) {
        if (q.axis() >= s.rank() || s.dim(q.axis()) != q.channels()) throw new IllegalArgumentException(op + ": " + q + " does not match shape " + s);
    }

    // ---- conv / linear ----

    /** The conv's geometry after the checks every int8 conv makes (ranks, spec, groups, bias length). */
    public static ConvGeometry conv(String op, Shape s, QWeight w, float[] bias, Conv2dSpec spec) {
        Shape ws = w.shape();
        if (s.rank() != 4 || ws.rank() != 4) throw new IllegalArgumentException(op + ": input " + s + " and weight " + ws + " must be rank 4");
        if (spec == null) throw new IllegalArgumentException(op + ": spec is null");
        if (spec.groups() != w.groups()) throw new IllegalArgumentException(op + ": spec has " + spec.groups() + " groups, the weight was prepared for " + w.groups());
        ConvGeometry g = ConvGeometry.of(s.dim(0), s.dim(1), s.dim(2), s.dim(3), ws.dim(0), ws.dim(2), ws.dim(3), spec);
        bias(op, bias, ws.dim(0));
        return g;
    }

    /** A depthwise conv: its weight prepared for the input's channels, int8 output per tensor. */
    public static void depthwise(ConvGeometry g, int weightChannels, QParams out) {
        if (weightChannels != g.c()) throw new IllegalArgumentException("qconv2d: depthwise weight for " + weightChannels + " channels, input has " + g.c());
        if (out == null) throw new IllegalArgumentException("qconv2d: a depthwise int8 conv writes int8 codes; float output is for plain convs");
        gemmOut(out);
    }

    /** A conv that runs as an int8 GEMM: one group, undilated, symmetric padding, the weight's channels the input's. */
    public static void gemmConv(String op, Shape s, Shape ws, ConvGeometry g) {
        if (!g.spec().plain()) throw new IllegalArgumentException(op + ": int8 GEMM convs take one group, no dilation, symmetric padding; got " + g.spec().notPlain());
        if (ws.dim(1) != g.c()) throw new IllegalArgumentException(op + ": weight " + ws + " for input " + s);
    }

    /** An int8 Linear {@code x [n, f] W^T}. */
    public static void linear(Shape s, Shape ws, float[] bias) {
        if (s.rank() != 2 || ws.rank() != 2 || s.dim(1) != ws.dim(1)) throw new IllegalArgumentException("qlinear: input " + s + " does not fit weight " + ws);
        bias("qlinear", bias, ws.dim(0));
    }

    /** The output of an int8 conv or Linear: per tensor, or null (float output). */
    public static void gemmOut(QParams out) {
        if (out != null && !out.perTensor()) throw new IllegalArgumentException("int8 conv/linear: takes per-tensor output parameters, got " + out);
    }

    private static void bias(String op, float[] bias, int o) {
        if (bias != null && bias.length != o) throw new IllegalArgumentException(op + ": " + bias.length + " biases for " + o + " output channels");
    }

    // ---- pooling ----

    /** Max-pool's output shape [n, c, oh, ow] of a rank-4 input. */
    public static Shape maxPool(Shape is, Pool2dSpec s) {
        if (is.rank() != 4 || s == null) throw new IllegalArgumentException("qmaxPool2d: input " + is + " must be rank 4, spec non-null");
        return Shape.of(is.dim(0), is.dim(1), s.outH(is.dim(2)), s.outW(is.dim(3)));
    }

    /** Global average pool's output shape [n, c, 1, 1] of a rank-4 input, per-tensor output parameters. */
    public static Shape globalAvgPool(Shape is, QParams out) {
        if (is.rank() != 4 || out == null || !out.perTensor()) throw new IllegalArgumentException("qglobalAvgPool: input " + is + " must be rank 4, output per tensor");
        return Shape.of(is.dim(0), is.dim(1), 1, 1);
    }

    // ---- elementwise, concat, reshape ----

    /** Two code tensors of the same rank whose shapes broadcast: their broadcast geometry. */
    public static BroadcastGeometry binary(Binary kind, Shape a, Shape b) {
        if (a.rank() != b.rank()) throw new IllegalArgumentException("qbinary " + kind + ": " + a + " and " + b + " differ in rank");
        return BroadcastGeometry.of("qbinary " + kind, a, b);
    }

    /**
     * A float constant of shape {@code constShape} aligned from the right with x's shape {@code xs}: the constant's
     * shape at x's rank (leading 1s), checked to broadcast with x.
     */
    public static Shape constant(Binary kind, Shape xs, float[] constant, Shape constShape) {
        if (constant == null || constShape == null || constant.length != constShape.numel() || constShape.rank() > xs.rank()) {
            throw new IllegalArgumentException("qbinaryConstant " + kind + ": constant " + constShape + " does not fit input " + xs);
        }
        int[] aligned = new int[xs.rank()];
        for (int i = 0; i < aligned.length; i++) aligned[i] = i < xs.rank() - constShape.rank() ? 1 : constShape.dim(i - (xs.rank() - constShape.rank()));
        Shape a = Shape.of(aligned);
        BroadcastGeometry.of("qbinaryConstant " + kind, xs, a);
        return a;
    }

    /** The parts of a concatenation along per-sample dimension {@code axis}, each per tensor: the output shape. */
    public static Shape concat(List<QTensor> parts, int axis, QParams out) {
        out("qconcat", out);
        if (parts == null || parts.isEmpty()) throw new IllegalArgumentException("qconcat: no inputs");
        if (parts.get(0) == null) throw new IllegalArgumentException("qconcat: input is null");
        Shape first = parts.get(0).shape();
        if (axis < 1 || axis >= first.rank()) throw new IllegalArgumentException("qconcat: axis " + axis + " must be a per-sample dim of " + first);
        int[] dims = first.dims();
        dims[axis] = 0;
        for (QTensor p : parts) {
            if (p == null) throw new IllegalArgumentException("qconcat: input is null");
            perTensor("qconcat", p);
            Shape s = p.shape();
            boolean fits = s.rank() == first.rank();
            for (int d = 0; fits && d < s.rank(); d++) fits = d == axis || s.dim(d) == first.dim(d);
            if (!fits) throw new IllegalArgumentException("qconcat: " + s + " does not fit " + first + " along axis " + axis);
            dims[axis] += s.dim(axis);
        }
        return Shape.of(dims);
    }

    /** A reshape of x to {@code shape} (same count): the output parameters, x's own where {@code out} is null. */
    public static QParams reshape(QTensor x, Shape shape, QParams out) {
        QParams q = perTensor("qreshape", x);
        QParams o = out == null ? q : out;
        out("qreshape", o);
        if (shape == null || shape.numel() != x.shape().numel()) throw new IllegalArgumentException("qreshape: cannot view " + x.shape() + " as " + shape);
        return o;
    }
}

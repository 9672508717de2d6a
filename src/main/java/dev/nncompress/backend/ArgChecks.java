package dev.nncompress.backend;

import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

/**
 * Argument checks every backend makes before computing, so that all backends reject the same
 * inputs with the same messages (op, argument name, shapes). Geometry helpers return the derived
 * sizes once the inputs are known to fit.
 */
public final class ArgChecks {
    private ArgChecks() {}

    public static void rank(String op, String name, Tensor t, int rank) {
        if (t.shape().rank() != rank) throw new IllegalArgumentException(op + ": " + name + " " + t.shape() + " must have rank " + rank);
    }

    public static void sameShape(String op, String an, Tensor a, String bn, Tensor b) {
        if (!a.shape().equals(b.shape())) {
            throw new IllegalArgumentException(op + ": " + an + " " + a.shape() + " and " + bn + " " + b.shape() + " differ in shape");
        }
    }

    public static void expectShape(String op, String name, Tensor t, Shape expected) {
        if (!t.shape().equals(expected)) throw new IllegalArgumentException(op + ": " + name + " is " + t.shape() + ", expected " + expected);
    }

    /** Checks op(a) x op(b) and returns {m, k, n}. */
    public static int[] matmul(Tensor a, boolean transA, Tensor b, boolean transB) {
        rank("matmul", "a", a, 2);
        rank("matmul", "b", b, 2);
        int m = a.shape().dim(transA ? 1 : 0);
        int k = a.shape().dim(transA ? 0 : 1);
        int kb = b.shape().dim(transB ? 1 : 0);
        int n = b.shape().dim(transB ? 0 : 1);
        if (k != kb) {
            throw new IllegalArgumentException("matmul: inner dimensions differ: a " + a.shape() + (transA ? " transposed" : "")
                    + " has " + k + " columns, b " + b.shape() + (transB ? " transposed" : "") + " has " + kb + " rows");
        }
        return new int[] {m, k, n};
    }

    /**
     * Checks a sparse op's weight (made by {@code backend}, of the kind the op needs) and bias ([O] or
     * null); for a linear op also the input [N, F]. Returns the weight's dense shape.
     */
    public static Shape sparse(String op, Backend backend, Tensor x, SparseWeight w, SparseWeight.Kind kind, Tensor bias) {
        if (x == null) throw new IllegalArgumentException(op + ": input is null");
        if (w == null) throw new IllegalArgumentException(op + ": sparse weight is null");
        if (w.owner() != backend) {
            throw new IllegalArgumentException(op + ": sparse weight " + w.shape() + " was prepared by backend '" + w.owner().name()
                    + "', not by this '" + backend.name() + "' backend");
        }
        if (w.kind() != kind) throw new IllegalArgumentException(op + ": needs a " + kind + " weight, got " + w.shape());
        Shape ws = w.shape();
        if (bias != null && (bias.shape().rank() != 1 || bias.shape().dim(0) != ws.dim(0))) {
            throw new IllegalArgumentException(op + ": bias " + bias.shape() + " does not match weight " + ws + ", expected [" + ws.dim(0) + "]");
        }
        if (kind == SparseWeight.Kind.LINEAR) {
            rank(op, "input", x, 2);
            if (x.shape().dim(1) != ws.dim(1)) {
                throw new IllegalArgumentException(op + ": weight " + ws + " expects " + ws.dim(1) + " input features, input is " + x.shape());
            }
        }
        return ws;
    }

    /** Checks NCHW input against OIHW weight and returns the call's geometry. */
    public static ConvGeometry conv(String op, Tensor x, Tensor w, Conv2dSpec spec) {
        rank(op, "weight", w, 4);
        return conv(op, x, w.shape(), spec);
    }

    /** As {@link #conv(String, Tensor, Tensor, Conv2dSpec)} for a weight given by its shape (a sparse weight). */
    public static ConvGeometry conv(String op, Tensor x, Shape ws, Conv2dSpec spec) {
        if (spec == null) throw new IllegalArgumentException(op + ": spec is null");
        rank(op, "input", x, 4);
        if (ws.rank() != 4) throw new IllegalArgumentException(op + ": weight must be [O, C, kH, kW], got " + ws);
        Shape xs = x.shape();
        int g = spec.groups();
        if ((long) ws.dim(1) * g != xs.dim(1) || ws.dim(0) % g != 0) {
            throw new IllegalArgumentException(op + ": weight " + ws + (g > 1 ? " in " + g + " groups" : "") + " expects "
                    + ((long) ws.dim(1) * g) + " input channels" + (ws.dim(0) % g != 0 ? " and a multiple of " + g + " filters" : "")
                    + ", input is " + xs);
        }
        try {
            return new ConvGeometry(xs.dim(0), xs.dim(1), xs.dim(2), xs.dim(3), ws.dim(0), ws.dim(2), ws.dim(3),
                    spec.outH(xs.dim(2), ws.dim(2)), spec.outW(xs.dim(3), ws.dim(3)), spec);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(op + ": input " + xs + ", weight " + ws + ", " + spec + ": " + e.getMessage(), e);
        }
    }

    /**
     * The sparse conv kernels (native, CUDA CSR) take one group, no dilation and symmetric padding;
     * graph.SparseInference keeps other convs dense, so this refuses only a direct call.
     */
    public static void plainSparseConv(String op, Conv2dSpec spec) {
        if (!spec.plain()) {
            throw new IllegalArgumentException(op + ": the sparse kernels take one group, no dilation and symmetric padding, got " + spec);
        }
    }

    /** Checks an NCHW input shape against the pool window and returns the call's geometry. */
    public static PoolGeometry pool(String op, Shape in, Pool2dSpec spec) {
        if (spec == null) throw new IllegalArgumentException(op + ": spec is null");
        if (in == null || in.rank() != 4) throw new IllegalArgumentException(op + ": input " + in + " must have rank 4 (NCHW)");
        try {
            return new PoolGeometry(Math.multiplyExact(in.dim(0), in.dim(1)), in.dim(2), in.dim(3), spec.outH(in.dim(2)), spec.outW(in.dim(3)), spec);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(op + ": input " + in + ", " + spec + ": " + e.getMessage(), e);
        }
    }

    /** [N, C, spatial...] seen as {N, C, S}; rank 2 ([N, C]) has S = 1. */
    public static int[] normLayout(String op, Tensor x) {
        int[] d = x.shape().dims();
        if (d.length < 2) throw new IllegalArgumentException(op + ": input " + x.shape() + " needs rank >= 2 ([N, C, ...])");
        int s = 1;
        for (int i = 2; i < d.length; i++) s = Math.multiplyExact(s, d[i]); // fits: Shape bounds its products
        if ((long) d[0] * s == 0) throw new IllegalArgumentException(op + ": input " + x.shape() + " has no values per channel");
        return new int[] {d[0], d[1], s};
    }

    /** A per-channel vector [C] matching dimension 1 of {@code x}. */
    public static void channelVector(String op, String name, Tensor t, Tensor x) {
        int c = x.shape().dim(1);
        if (t.shape().rank() != 1 || t.shape().dim(0) != c) {
            throw new IllegalArgumentException(op + ": " + name + " " + t.shape() + " does not match the " + c
                    + " channels of input " + x.shape() + ", expected [" + c + "]");
        }
    }

    public static void labels(String op, Tensor logits, int[] labels) {
        rank(op, "logits", logits, 2);
        int n = logits.shape().dim(0);
        int k = logits.shape().dim(1);
        if (labels == null || labels.length != n) {
            throw new IllegalArgumentException(op + ": " + (labels == null ? "no" : labels.length) + " labels for logits "
                    + logits.shape() + ", expected " + n);
        }
        if (n == 0 || k == 0) throw new IllegalArgumentException(op + ": empty logits " + logits.shape());
        for (int i = 0; i < n; i++) {
            if (labels[i] < 0 || labels[i] >= k) {
                throw new IllegalArgumentException(op + ": label " + labels[i] + " at row " + i + " is outside [0, " + k
                        + ") for logits " + logits.shape());
            }
        }
    }

    /** param, grad and (when given) velocity of one shape; hyper-parameters in range. */
    public static void sgd(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum, float wd, boolean nesterov) {
        String op = "sgdUpdate";
        sameShape(op, "param", param, "grad", grad);
        if (velocity != null) sameShape(op, "param", param, "velocity", velocity);
        if (!(lr >= 0f) || !(momentum >= 0f) || !(wd >= 0f)) {
            throw new IllegalArgumentException(op + ": lr, momentum and weight decay must be >= 0, got lr=" + lr
                    + " momentum=" + momentum + " weightDecay=" + wd);
        }
        if (velocity == null && momentum != 0f) throw new IllegalArgumentException(op + ": momentum " + momentum + " needs a velocity tensor");
        if (nesterov && momentum == 0f) throw new IllegalArgumentException(op + ": nesterov needs momentum > 0");
    }

    public static void adam(String op, Tensor param, Tensor grad, Tensor m, Tensor v, int step, float lr, float beta1, float beta2,
                            float eps, float wd) {
        sameShape(op, "param", param, "grad", grad);
        sameShape(op, "param", param, "m", m);
        sameShape(op, "param", param, "v", v);
        if (step < 1) throw new IllegalArgumentException(op + ": step counts from 1, got " + step);
        if (!(lr >= 0f) || !(eps >= 0f) || !(wd >= 0f) || !(beta1 >= 0f && beta1 < 1f) || !(beta2 >= 0f && beta2 < 1f)) {
            throw new IllegalArgumentException(op + ": need lr, eps, weightDecay >= 0 and betas in [0, 1), got lr=" + lr
                    + " beta1=" + beta1 + " beta2=" + beta2 + " eps=" + eps + " weightDecay=" + wd);
        }
    }

    /** The lists of a many-parameter optimiser step have one entry per parameter ({@code params} first); none is null. */
    @SafeVarargs
    public static void sameCount(String op, java.util.List<Tensor> params, java.util.List<Tensor>... others) {
        if (params == null) throw new IllegalArgumentException(op + ": params is null");
        for (java.util.List<Tensor> o : others) {
            if (o == null) throw new IllegalArgumentException(op + ": a list beside the " + params.size() + " parameters is null");
            if (o.size() != params.size()) {
                throw new IllegalArgumentException(op + ": " + params.size() + " parameters but a list of " + o.size() + " tensors beside them");
            }
        }
    }
}

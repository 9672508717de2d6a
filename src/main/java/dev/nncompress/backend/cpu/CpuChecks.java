package dev.nncompress.backend.cpu;

import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.Pool2dSpec;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

/** Argument checks of {@link CpuBackend}; messages name the op, the argument and the shapes. */
final class CpuChecks {
    private CpuChecks() {}

    static CpuTensor cpu(String op, String name, Tensor t) {
        if (t == null) throw new IllegalArgumentException(op + ": " + name + " is null");
        if (!(t instanceof CpuTensor c)) {
            String owner = t.backend() == null ? "no backend" : "backend '" + t.backend().name() + "'";
            throw new IllegalArgumentException(op + ": " + name + " " + t.shape() + " belongs to " + owner + " ("
                    + t.getClass().getSimpleName() + "), not to the cpu backend; copy it with fromFloats(t.toFloatArray(), t.shape())");
        }
        if (c.isClosed()) throw new IllegalArgumentException(op + ": " + name + " " + t.shape() + " was closed");
        return c;
    }

    static void rank(String op, String name, Tensor t, int rank) {
        if (t.shape().rank() != rank) throw new IllegalArgumentException(op + ": " + name + " " + t.shape() + " must have rank " + rank);
    }

    static void sameShape(String op, String an, Tensor a, String bn, Tensor b) {
        if (!a.shape().equals(b.shape())) {
            throw new IllegalArgumentException(op + ": " + an + " " + a.shape() + " and " + bn + " " + b.shape() + " differ in shape");
        }
    }

    static void expectShape(String op, String name, Tensor t, Shape expected) {
        if (!t.shape().equals(expected)) throw new IllegalArgumentException(op + ": " + name + " is " + t.shape() + ", expected " + expected);
    }

    static CpuConv.Geometry conv(String op, Tensor x, Tensor w, Conv2dSpec spec) {
        if (spec == null) throw new IllegalArgumentException(op + ": spec is null");
        rank(op, "input", x, 4);
        rank(op, "weight", w, 4);
        int[] xs = x.shape().dims();
        int[] ws = w.shape().dims();
        if (ws[1] != xs[1]) {
            throw new IllegalArgumentException(op + ": weight " + w.shape() + " expects " + ws[1] + " input channels, input is " + x.shape());
        }
        try {
            return new CpuConv.Geometry(xs[0], xs[1], xs[2], xs[3], ws[0], ws[2], ws[3], spec.outH(xs[2], ws[2]),
                    spec.outW(xs[3], ws[3]), spec);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(op + ": input " + x.shape() + ", weight " + w.shape() + ", " + spec + ": " + e.getMessage(), e);
        }
    }

    static CpuPool.Geometry pool(String op, Shape in, Pool2dSpec spec) {
        if (spec == null) throw new IllegalArgumentException(op + ": spec is null");
        if (in == null || in.rank() != 4) throw new IllegalArgumentException(op + ": input " + in + " must have rank 4 (NCHW)");
        try {
            return new CpuPool.Geometry(in.dim(0) * in.dim(1), in.dim(2), in.dim(3), spec.outH(in.dim(2)), spec.outW(in.dim(3)), spec);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(op + ": input " + in + ", " + spec + ": " + e.getMessage(), e);
        }
    }

    static CpuNorm.Layout norm(String op, Tensor x) {
        int[] d = x.shape().dims();
        if (d.length < 2) throw new IllegalArgumentException(op + ": input " + x.shape() + " needs rank >= 2 ([N, C, ...])");
        int s = 1;
        for (int i = 2; i < d.length; i++) s *= d[i];
        if ((long) d[0] * s == 0) throw new IllegalArgumentException(op + ": input " + x.shape() + " has no values per channel");
        return new CpuNorm.Layout(d[0], d[1], s);
    }

    static long channelVector(String op, String name, Tensor t, Tensor x) {
        CpuTensor c = cpu(op, name, t);
        int ch = x.shape().dim(1);
        if (t.shape().rank() != 1 || t.shape().dim(0) != ch) {
            throw new IllegalArgumentException(op + ": " + name + " " + t.shape() + " does not match the " + ch
                    + " channels of input " + x.shape() + ", expected [" + ch + "]");
        }
        return c.address();
    }

    static void labels(String op, Tensor logits, int[] labels) {
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

    static void sgd(float lr, float momentum, float wd, boolean nesterov, Tensor velocity) {
        String op = "sgdUpdate";
        if (!(lr >= 0f) || !(momentum >= 0f) || !(wd >= 0f)) {
            throw new IllegalArgumentException(op + ": lr, momentum and weight decay must be >= 0, got lr=" + lr
                    + " momentum=" + momentum + " weightDecay=" + wd);
        }
        if (velocity == null && momentum != 0f) throw new IllegalArgumentException(op + ": momentum " + momentum + " needs a velocity tensor");
        if (nesterov && momentum == 0f) throw new IllegalArgumentException(op + ": nesterov needs momentum > 0");
    }

    static void adam(String op, int step, float lr, float beta1, float beta2, float eps, float wd) {
        if (step < 1) throw new IllegalArgumentException(op + ": step counts from 1, got " + step);
        if (!(lr >= 0f) || !(eps >= 0f) || !(wd >= 0f) || !(beta1 >= 0f && beta1 < 1f) || !(beta2 >= 0f && beta2 < 1f)) {
            throw new IllegalArgumentException(op + ": need lr, eps, weightDecay >= 0 and betas in [0, 1), got lr=" + lr
                    + " beta1=" + beta1 + " beta2=" + beta2 + " eps=" + eps + " weightDecay=" + wd);
        }
    }
}

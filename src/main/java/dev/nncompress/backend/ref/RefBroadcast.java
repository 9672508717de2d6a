package dev.nncompress.backend.ref;

import dev.nncompress.backend.Binary;
import dev.nncompress.tensor.Shape;

/**
 * Broadcasting arithmetic ({@link Binary}) written as its definition, on the original shapes (not the
 * collapsed {@code BroadcastGeometry} the fast loops use): output element by element, each operand
 * read at its dims aligned from the right, a size-1 dim at index 0. The twin of cuda-kernels/broadcast.cu
 * and what the CPU backend's loops are tested against.
 */
public final class RefBroadcast {
    private RefBroadcast() {}

    /** a op b in float: one rounding (division with Java's IEEE {@code /}). */
    public static float apply(Binary kind, float a, float b) {
        return switch (kind) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
        };
    }

    /**
     * d(a op b)/d(operand) times g, in double: ADD g, g; SUB g, -g; MUL g b, g a (exact products);
     * DIV g / b, -g a / (b b) (PyTorch's order: the exact product g a over the exact square b b).
     */
    public static double term(Binary kind, int operand, float g, float a, float b) {
        return switch (kind) {
            case ADD -> g;
            case SUB -> operand == 0 ? g : -(double) g;
            case MUL -> (double) g * (operand == 0 ? b : a);
            case DIV -> operand == 0 ? (double) g / b : -((double) g * a) / ((double) b * b);
        };
    }

    static float[] forward(Binary kind, float[] a, Shape as, float[] b, Shape bs, Shape out) {
        float[] y = new float[out.numel()];
        Walk w = new Walk(as, bs, out);
        for (int i = 0; i < y.length; i++, w.next()) y[i] = apply(kind, a[w.ia], b[w.ib]);
        return y;
    }

    /**
     * The gradient of operand 0 (a) or 1 (b): for each of its elements, the terms of the output elements
     * it contributed to, summed in output order in double (starting from the first term, so an operand
     * that was not stretched gets its one term rounded once), then rounded; 0 where it contributed to none.
     */
    static float[] backward(Binary kind, int operand, float[] a, Shape as, float[] b, Shape bs, float[] g, Shape out) {
        int n = (operand == 0 ? as : bs).numel();
        double[] acc = new double[n];
        boolean[] seen = new boolean[n];
        Walk w = new Walk(as, bs, out);
        for (int i = 0; i < g.length; i++, w.next()) {
            int at = operand == 0 ? w.ia : w.ib;
            double t = term(kind, operand, g[i], a[w.ia], b[w.ib]);
            acc[at] = seen[at] ? acc[at] + t : t;
            seen[at] = true;
        }
        return RefMath.toFloats(acc);
    }

    /** An odometer over the output's indices that keeps both operands' offsets. */
    private static final class Walk {
        private final int[] dims, idx, aStride, bStride;
        int ia, ib;

        Walk(Shape as, Shape bs, Shape out) {
            int r = out.rank();
            dims = out.dims();
            idx = new int[r];
            aStride = strides(as, out);
            bStride = strides(bs, out);
        }

        /** Per output dim, the operand's element stride, 0 where it has no such dim or size 1. */
        private static int[] strides(Shape s, Shape out) {
            int r = out.rank();
            int[] st = new int[r];
            int stride = 1;
            for (int k = s.rank() - 1; k >= 0; k--) {
                int i = k + r - s.rank();
                st[i] = s.dim(k) == 1 ? 0 : stride;
                stride *= s.dim(k);
            }
            return st;
        }

        void next() {
            for (int k = dims.length - 1; k >= 0; k--) {
                ia += aStride[k];
                ib += bStride[k];
                if (++idx[k] < dims[k]) return;
                ia -= aStride[k] * dims[k];
                ib -= bStride[k] * dims[k];
                idx[k] = 0;
            }
        }
    }
}

package dev.nncompress.backend;

import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

/**
 * The argument checks of the pointwise ops ({@link Backend#unary}, {@link Backend#binary},
 * {@link Backend#softmax} and their backwards), shared by every backend so that all reject the same
 * inputs with the same messages, as {@link ArgChecks} does for the others.
 */
public final class PointwiseChecks {
    private PointwiseChecks() {}

    /** A kind and its parameters: CLIP's bounds may be infinite (no bound) but not NaN; the others' are finite. */
    public static void unary(String op, Unary kind, float a, float b) {
        if (kind == null) throw new IllegalArgumentException(op + ": kind is null");
        boolean ok = kind == Unary.CLIP ? !Float.isNaN(a) && !Float.isNaN(b) : Float.isFinite(a) && Float.isFinite(b);
        if (!ok) throw new IllegalArgumentException(op + ": " + kind + " parameters " + a + ", " + b + " must be " + (kind == Unary.CLIP ? "numbers" : "finite"));
    }

    /** x, y (the forward's output) and gradOut of one shape. */
    public static void unaryBackward(String op, Unary kind, float a, float b, Tensor x, Tensor y, Tensor gradOut) {
        unary(op, kind, a, b);
        ArgChecks.sameShape(op, "x", x, "y", y);
        ArgChecks.sameShape(op, "x", x, "gradOut", gradOut);
    }

    public static BroadcastGeometry binary(String op, Binary kind, Tensor a, Tensor b) {
        if (kind == null) throw new IllegalArgumentException(op + ": kind is null");
        return BroadcastGeometry.of(op, a.shape(), b.shape());
    }

    /** operand 0 (a) or 1 (b), gradOut of the broadcast shape. */
    public static BroadcastGeometry binaryBackward(String op, Binary kind, int operand, Tensor a, Tensor b, Tensor gradOut) {
        if (operand != 0 && operand != 1) throw new IllegalArgumentException(op + ": operand must be 0 (a) or 1 (b), got " + operand);
        BroadcastGeometry g = binary(op, kind, a, b);
        ArgChecks.expectShape(op, "gradOut", gradOut, g.out());
        return g;
    }

    /** {outer, k, inner}: x viewed as [outer, k, inner] with k the softmax axis, which must be a dim of x. */
    public static int[] softmax(String op, Tensor x, int axis) {
        Shape s = x.shape();
        if (axis < 0 || axis >= s.rank()) throw new IllegalArgumentException(op + ": axis " + axis + " is not a dim of " + s);
        int outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= s.dim(i); // a product of some dims of a Shape fits an int
        for (int i = axis + 1; i < s.rank(); i++) inner *= s.dim(i);
        return new int[] {outer, s.dim(axis), inner};
    }

    public static int[] softmaxBackward(String op, Tensor y, Tensor gradOut, int axis) {
        ArgChecks.sameShape(op, "y", y, "gradOut", gradOut);
        return softmax(op, y, axis);
    }
}

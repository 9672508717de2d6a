package dev.nncompress.io.onnx;

import dev.nncompress.io.onnx.Value.Activation;
import dev.nncompress.util.Quoted;

import java.util.List;

/** Checks on a node's inputs shared by the mappers: which must be activations, which constant float weights, of which rank. */
final class Inputs {
    private Inputs() {}

    /** Input {@code i}, an activation of per-sample rank {@code rank} (-1: any). */
    static Activation activation(List<Value> in, int i, String where, String role, int rank) {
        Value v = i < in.size() ? in.get(i) : null;
        if (v == null) throw new IllegalArgumentException(where + " lacks input " + role);
        if (!(v instanceof Activation a)) {
            throw new IllegalArgumentException(where + ": input " + role + " is the constant " + name((Const) v)
                    + "; this importer maps it only when it computes on the image");
        }
        if (rank >= 0 && a.shape().rank() != rank) {
            throw new IllegalArgumentException(where + ": input " + role + " has shape [N, " + dims(a) + "]; expected rank " + (rank + 1)
                    + (rank == 3 ? " ([N, C, H, W])" : rank == 1 ? " ([N, features])" : ""));
        }
        return a;
    }

    /** Input {@code i}, a constant FLOAT weight of rank {@code rank} with every dim >= 1. */
    static Const weight(List<Value> in, int i, String where, String role, int rank) {
        Value v = i < in.size() ? in.get(i) : null;
        if (v == null) throw new IllegalArgumentException(where + " lacks input " + role);
        return checkWeight(v, where, role, rank);
    }

    /** As {@link #weight} when the input is given, else null. */
    static Const optionalWeight(List<Value> in, int i, String where, String role, int rank) {
        Value v = i < in.size() ? in.get(i) : null;
        return v == null ? null : checkWeight(v, where, role, rank);
    }

    static Const checkWeight(Value v, String where, String role, int rank) {
        if (!(v instanceof Const c)) {
            throw new IllegalArgumentException(where + ": input " + role + " is computed from the image; this importer needs it to be a constant (an initializer)");
        }
        if (!c.isFloat()) {
            throw new IllegalArgumentException(where + ": " + role + " " + name(c) + " has data type " + DataTypes.name(c.type()) + "; weights must be FLOAT");
        }
        if (rank >= 0 && c.rank() != rank) {
            throw new IllegalArgumentException(where + ": " + role + " " + name(c) + " has shape " + java.util.Arrays.toString(c.dims()) + "; expected rank " + rank);
        }
        for (int d : c.dims()) {
            if (d < 1) throw new IllegalArgumentException(where + ": " + role + " " + name(c) + " has an empty shape " + java.util.Arrays.toString(c.dims()));
        }
        return c;
    }

    /** An integer constant (shape, axes), e.g. Reshape's shape input. */
    static Const ints(List<Value> in, int i, String where, String role) {
        Value v = i < in.size() ? in.get(i) : null;
        if (v == null) throw new IllegalArgumentException(where + " lacks input " + role);
        if (!(v instanceof Const c)) {
            throw new IllegalArgumentException(where + ": input " + role + " is computed from the image, not folded to a constant; "
                    + "this importer folds Constant, Shape, Gather, Unsqueeze, Squeeze, Concat and Cast");
        }
        if (c.isFloat()) throw new IllegalArgumentException(where + ": input " + role + " " + name(c) + " is FLOAT, expected integers");
        return c;
    }

    static String name(Const c) { return Quoted.of(c.source() == null ? "?" : c.source()); }

    private static String dims(Activation a) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < a.shape().rank(); i++) sb.append(i == 0 ? "" : ", ").append(a.shape().dim(i));
        return sb.toString();
    }
}

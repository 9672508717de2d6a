package dev.nncompress.io.onnx;

import dev.nncompress.io.onnx.Value.Activation;
import dev.nncompress.io.onnx.proto.OnnxProto.AttributeProto;
import dev.nncompress.io.onnx.proto.OnnxProto.NodeProto;
import dev.nncompress.tensor.Shape;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Computes at import the nodes whose result does not depend on the image: Constant, Shape (of an
 * activation, whose per-sample dims are static and whose batch dim becomes {@link Const#BATCH}), and
 * Gather, Unsqueeze, Squeeze, Concat, Cast, Reshape, Flatten, Identity on constants. These are the
 * shape subgraphs PyTorch's exporter writes around Reshape ({@code x.view(x.size(0), -1)} becomes
 * Shape, Gather, Unsqueeze, Concat), which fold to the constant the Reshape then reads.
 */
final class ConstantFolder {
    static final List<String> OPS = List.of("Cast", "Concat", "Constant", "Gather", "Shape", "Squeeze", "Unsqueeze");

    private ConstantFolder() {}

    static Const constant(NodeProto n, String where, String out) {
        Attrs a = new Attrs(n, where, Attrs.of("value", "value_float", "value_floats", "value_int", "value_ints"));
        int given = 0;
        for (String k : List.of("value", "value_float", "value_floats", "value_int", "value_ints")) if (a.has(k)) given++;
        if (given != 1) throw new IllegalArgumentException(where + " must have exactly one of value, value_float(s), value_int(s), has " + given);
        if (a.has("value")) {
            AttributeProto t = a.tensor("value");
            Const c = TensorReader.read(t.getT(), where + " value");
            return c.reshaped(c.dims(), out);
        }
        if (a.has("value_float")) return Const.ofFloats(new int[0], new float[] {finite(a.real("value_float", 0), where)}, out);
        if (a.has("value_int")) return Const.ofInts(new int[0], new long[] {noBatch(a.integer("value_int", 0), where)}, out);
        if (a.has("value_floats")) {
            float[] v = a.reals("value_floats");
            for (float f : v) finite(f, where);
            return Const.ofFloats(new int[] {v.length}, v, out);
        }
        long[] v = a.ints("value_ints");
        for (long x : v) noBatch(x, where);
        return Const.ofInts(new int[] {v.length}, v, out);
    }

    /** Shape of an activation ([N, C, H, W] with N the batch) or of a constant, sliced by start/end (opset 15). */
    static Const shape(NodeProto n, String where, Value x, Shape perSample, String out) {
        Attrs a = new Attrs(n, where, Attrs.of("start", "end"));
        long[] full;
        if (x instanceof Activation) {
            full = new long[perSample.rank() + 1];
            full[0] = Const.BATCH;
            for (int i = 0; i < perSample.rank(); i++) full[i + 1] = perSample.dim(i);
        } else {
            int[] d = ((Const) x).dims();
            full = new long[d.length];
            for (int i = 0; i < d.length; i++) full[i] = d[i];
        }
        int r = full.length;
        int start = clampAxis(a.integer("start", 0), r);
        int end = clampAxis(a.integer("end", r), r);
        long[] v = Arrays.copyOfRange(full, start, Math.max(start, end));
        return Const.ofInts(new int[] {v.length}, v, out);
    }

    /** Gather on a 1-D constant (a shape): picks elements; the output has the indices' shape. */
    static Const gather(NodeProto n, String where, Const data, Const idx, String out) {
        Attrs a = new Attrs(n, where, Attrs.of("axis"));
        long axis = a.integer("axis", 0);
        if (data.rank() != 1 || (axis != 0 && axis != -1)) {
            throw new IllegalArgumentException(where + " gathers from a rank-" + data.rank() + " constant on axis " + axis
                    + "; folding covers 1-D shape vectors only");
        }
        if (idx.isFloat()) throw new IllegalArgumentException(where + ": indices must be integers");
        int len = data.numel();
        long[] iv = idx.ints();
        float[] f = data.isFloat() ? new float[iv.length] : null;
        long[] l = data.isFloat() ? null : new long[iv.length];
        for (int k = 0; k < iv.length; k++) {
            long i = iv[k];
            if (i < -len || i >= len) throw new IllegalArgumentException(where + ": index " + i + " is outside a vector of " + len);
            int j = (int) (i < 0 ? i + len : i);
            if (f != null) f[k] = data.floats()[j]; else l[k] = data.ints()[j];
        }
        return data.isFloat() ? Const.ofFloats(idx.dims(), f, out) : Const.ofInts(idx.dims(), l, out);
    }

    /** Unsqueeze (axes from the attribute before opset 13, from input 2 since) of a constant. */
    static Const unsqueeze(String where, Const data, long[] axes, String out) {
        int r = data.rank() + axes.length;
        if (r > OnnxLimits.MAX_RANK) throw new IllegalArgumentException(where + " would make a rank-" + r + " constant");
        boolean[] inserted = new boolean[r];
        for (long ax : axes) {
            int k = axis(ax, r, where);
            if (inserted[k]) throw new IllegalArgumentException(where + ": axis " + ax + " given twice");
            inserted[k] = true;
        }
        int[] dims = new int[r];
        for (int i = 0, j = 0; i < r; i++) dims[i] = inserted[i] ? 1 : data.dims()[j++];
        return data.reshaped(dims, out);
    }

    /** Squeeze of a constant: the listed dims (each of size 1), or every dim of size 1 when none is listed. */
    static Const squeeze(String where, Const data, long[] axes, String out) {
        int r = data.rank();
        boolean[] drop = new boolean[r];
        if (axes == null) {
            for (int i = 0; i < r; i++) drop[i] = data.dims()[i] == 1;
        } else {
            for (long ax : axes) {
                int k = axis(ax, r, where);
                if (data.dims()[k] != 1) throw new IllegalArgumentException(where + ": dim " + ax + " has size " + data.dims()[k] + ", not 1");
                drop[k] = true;
            }
        }
        List<Integer> dims = new ArrayList<>();
        for (int i = 0; i < r; i++) if (!drop[i]) dims.add(data.dims()[i]);
        return data.reshaped(dims.stream().mapToInt(Integer::intValue).toArray(), out);
    }

    /** Concat of 1-D constants (shape vectors) of one kind. */
    static Const concat(NodeProto n, String where, List<Const> parts, String out) {
        Attrs a = new Attrs(n, where, Attrs.of("axis"));
        if (!a.has("axis")) throw new IllegalArgumentException(where + " lacks attribute axis");
        long axis = a.integer("axis", 0);
        boolean floats = parts.get(0).isFloat();
        int total = 0;
        for (Const c : parts) {
            if (c.rank() != 1 || (axis != 0 && axis != -1)) {
                throw new IllegalArgumentException(where + " concatenates rank-" + c.rank() + " constants on axis " + axis
                        + "; folding covers 1-D shape vectors only");
            }
            if (c.isFloat() != floats) throw new IllegalArgumentException(where + " concatenates float and integer constants");
            total += c.numel();
            if (total > OnnxLimits.MAX_FOLDED_VALUES) throw new IllegalArgumentException(where + " would make more than " + OnnxLimits.MAX_FOLDED_VALUES + " values");
        }
        float[] f = floats ? new float[total] : null;
        long[] l = floats ? null : new long[total];
        int at = 0;
        for (Const c : parts) {
            if (floats) System.arraycopy(c.floats(), 0, f, at, c.numel()); else System.arraycopy(c.ints(), 0, l, at, c.numel());
            at += c.numel();
        }
        return floats ? Const.ofFloats(new int[] {total}, f, out) : Const.ofInts(new int[] {total}, l, out);
    }

    /** Cast of a constant between integer types, from integers to FLOAT, or FLOAT to FLOAT. */
    static Const cast(NodeProto n, String where, Const x, String out) {
        Attrs a = new Attrs(n, where, Attrs.of("to", "saturate"));
        if (!a.has("to")) throw new IllegalArgumentException(where + " lacks attribute to");
        int to = (int) Math.max(-1, Math.min(1000, a.integer("to", 0)));
        if (to == DataTypes.FLOAT) {
            if (x.isFloat()) return x.reshaped(x.dims(), out);
            if (x.hasBatch()) throw new IllegalArgumentException(where + " casts the batch size to FLOAT; folding cannot");
            float[] f = new float[x.numel()];
            for (int i = 0; i < f.length; i++) f[i] = x.ints()[i];
            return Const.ofFloats(x.dims(), f, out);
        }
        if (to == DataTypes.INT64 || to == DataTypes.INT32) {
            if (x.isFloat()) throw new IllegalArgumentException(where + " casts FLOAT to " + DataTypes.name(to) + "; folding covers integer and to-FLOAT casts");
            for (long v : x.ints()) {
                if (to == DataTypes.INT32 && v != Const.BATCH && (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE)) {
                    throw new IllegalArgumentException(where + ": " + v + " does not fit INT32");
                }
            }
            return x.reshaped(x.dims(), out);
        }
        throw new IllegalArgumentException(where + " casts to " + DataTypes.name(to) + "; folding covers casts to FLOAT, INT64 and INT32");
    }

    /** Reshape of a constant to a constant shape (0 copies a dim unless allowzero, -1 is inferred). */
    static Const reshape(String where, Const data, Const shape, boolean allowZero, String out) {
        if (shape.isFloat() || shape.rank() != 1) throw new IllegalArgumentException(where + ": the shape must be a 1-D integer tensor");
        if (shape.hasBatch()) throw new IllegalArgumentException(where + " reshapes a constant by the batch size");
        long[] t = shape.ints();
        if (t.length > OnnxLimits.MAX_RANK) throw new IllegalArgumentException(where + ": target rank " + t.length + " is more than " + OnnxLimits.MAX_RANK);
        int[] dims = new int[t.length];
        int infer = -1;
        long known = 1;
        for (int i = 0; i < t.length; i++) {
            long v = t[i];
            if (v == 0 && !allowZero) {
                if (i >= data.rank()) throw new IllegalArgumentException(where + ": 0 at position " + i + " has no input dim to copy");
                v = data.dims()[i];
            }
            if (v == -1) {
                if (infer >= 0) throw new IllegalArgumentException(where + " has two -1 in its shape");
                infer = i;
                continue;
            }
            if (v < 0 || v > Integer.MAX_VALUE) throw new IllegalArgumentException(where + ": dim " + v + " is not valid");
            dims[i] = (int) v;
            known *= Math.max(v, 1); // <= 2^28 * 2^31 after the check below: no overflow
            if (known > OnnxLimits.MAX_TENSOR_VALUES) throw new IllegalArgumentException(where + " reshapes to more than " + OnnxLimits.MAX_TENSOR_VALUES + " values");
            if (v == 0) known = 0;
        }
        if (infer >= 0) {
            if (known == 0 || data.numel() % known != 0) throw new IllegalArgumentException(where + " cannot infer -1 for " + data.numel() + " values");
            dims[infer] = (int) (data.numel() / known);
        }
        if (Const.numel(dims) != data.numel()) {
            throw new IllegalArgumentException(where + " reshapes " + data.numel() + " values to " + Arrays.toString(dims));
        }
        return data.reshaped(dims, out);
    }

    /** Flatten of a constant to 2-D around {@code axis}. */
    static Const flatten(String where, Const data, long axis, String out) {
        int k = axis(axis, data.rank() + 1, where);
        long outer = 1;
        for (int i = 0; i < k; i++) outer *= data.dims()[i];
        return data.reshaped(new int[] {(int) outer, (int) (data.numel() / Math.max(outer, 1))}, out);
    }

    /** An axis in [-r, r-1] as a position in [0, r-1]. */
    static int axis(long ax, int r, String where) {
        if (ax < -r || ax >= r) throw new IllegalArgumentException(where + ": axis " + ax + " is outside [" + -r + ", " + (r - 1) + "]");
        return (int) (ax < 0 ? ax + r : ax);
    }

    private static int clampAxis(long v, int r) {
        long x = v < 0 ? v + r : v;
        return (int) Math.max(0, Math.min(r, x));
    }

    private static float finite(float f, String where) {
        if (!Float.isFinite(f)) throw new IllegalArgumentException(where + " holds " + f);
        return f;
    }

    private static long noBatch(long v, String where) {
        if (v == Const.BATCH) throw new IllegalArgumentException(where + " holds " + v + ", which no shape, axis or index can be");
        return v;
    }
}

package dev.nncompress.io.onnx;

import dev.nncompress.io.onnx.proto.OnnxProto.NodeProto;

/**
 * Add, Sub, Mul and Div of two constants, computed at import with numpy broadcasting: FLOAT as float
 * (one rounding, as ONNX Runtime), integers as 64-bit integers with Div truncating toward zero (C's, and
 * ONNX Runtime's). What cannot be a constant is refused: mixed types, the batch size (unknown until run
 * time) in the arithmetic, integer overflow or division by zero, a float result that is not finite.
 */
final class ConstantArithmetic {
    static final java.util.List<String> OPS = java.util.List.of("Add", "Div", "Mul", "Sub");

    private ConstantArithmetic() {}

    static Const fold(NodeProto n, String where, String op, Const a, Const b, String out) {
        new Attrs(n, where, Attrs.of());
        if (a.isFloat() != b.isFloat()) {
            throw new IllegalArgumentException(where + " mixes " + DataTypes.name(a.type()) + " and " + DataTypes.name(b.type()) + "; ONNX's " + op
                    + " takes one type");
        }
        if (a.hasBatch() || b.hasBatch()) throw new IllegalArgumentException(where + " computes with the batch size, which is unknown until run time");
        int[] dims = broadcast(where, a.dims(), b.dims());
        long count = Const.numel(dims); // <= numel(a) * numel(b) < 2^56: no overflow
        if (count > OnnxLimits.MAX_FOLDED_VALUES) throw new IllegalArgumentException(where + " would fold to " + count + " values, more than " + OnnxLimits.MAX_FOLDED_VALUES);
        int total = (int) count;
        int[] ia = offsets(a.dims(), dims), ib = offsets(b.dims(), dims);
        if (a.isFloat()) {
            float[] v = new float[total];
            for (int i = 0; i < total; i++) {
                float x = a.floats()[ia[i]], y = b.floats()[ib[i]];
                v[i] = switch (op) {
                    case "Add" -> x + y;
                    case "Sub" -> x - y;
                    case "Mul" -> x * y;
                    default -> x / y;
                };
                if (!Float.isFinite(v[i])) throw new IllegalArgumentException(where + " folds to " + v[i] + " (" + x + " " + op + " " + y + ")");
            }
            return Const.ofFloats(dims, v, out);
        }
        long[] v = new long[total];
        for (int i = 0; i < total; i++) {
            long x = a.ints()[ia[i]], y = b.ints()[ib[i]];
            try {
                v[i] = switch (op) {
                    case "Add" -> Math.addExact(x, y);
                    case "Sub" -> Math.subtractExact(x, y);
                    case "Mul" -> Math.multiplyExact(x, y);
                    default -> {
                        if (y == 0) throw new IllegalArgumentException(where + " divides " + x + " by 0");
                        if (x == Long.MIN_VALUE && y == -1) throw new ArithmeticException();
                        yield x / y;
                    }
                };
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException(where + ": " + x + " " + op + " " + y + " overflows 64 bits");
            }
            if (v[i] == Const.BATCH) throw new IllegalArgumentException(where + " folds to " + v[i] + ", which no shape, axis or index can be");
        }
        return Const.ofInts(dims, v, out);
    }

    /** numpy's broadcast of two shapes (aligned from the right, 1 stretches), or a message naming both. */
    private static int[] broadcast(String where, int[] a, int[] b) {
        int r = Math.max(a.length, b.length);
        if (r > OnnxLimits.MAX_RANK) throw new IllegalArgumentException(where + " would make a rank-" + r + " constant");
        int[] o = new int[r];
        for (int i = 0; i < r; i++) {
            int x = at(a, i, r), y = at(b, i, r);
            if (x != y && x != 1 && y != 1) {
                throw new IllegalArgumentException(where + ": shapes " + java.util.Arrays.toString(a) + " and " + java.util.Arrays.toString(b) + " do not broadcast");
            }
            o[i] = x == 1 ? y : x;
        }
        return o;
    }

    private static int at(int[] d, int i, int r) {
        int k = i - (r - d.length);
        return k < 0 ? 1 : d[k];
    }

    /** For each element of the broadcast shape {@code out}, the index into a constant of shape {@code d}. */
    private static int[] offsets(int[] d, int[] out) {
        int total = (int) Const.numel(out), r = out.length;
        int[] idx = new int[total];
        for (int e = 0; e < total; e++) {
            int rem = e, off = 0, stride = 1;
            for (int k = r - 1; k >= 0; k--) {
                int c = rem % out[k];
                rem /= out[k];
                int dk = at(d, k, r);
                if (dk != 1) off += c * stride;
                stride *= dk;
            }
            idx[e] = off;
        }
        return idx;
    }
}

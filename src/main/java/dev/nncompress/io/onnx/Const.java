package dev.nncompress.io.onnx;

import java.util.Arrays;

/**
 * A tensor whose value the importer knows: an initializer, a Constant node's value, or what constant
 * folding computed from them. Float data are weights; integer data are shapes, axes and indices. An
 * integer element may be {@link #BATCH}, the batch size that is unknown until run time: what
 * {@code Shape} of an activation yields in its first element, so that PyTorch's
 * {@code x.view(x.size(0), -1)} subgraph folds to a Reshape to {@code [BATCH, -1]}, i.e. a flatten.
 *
 * @param dims   the shape, each dim >= 0 (a scalar has none)
 * @param floats the values when the data type is float, else null
 * @param ints   the values when the data type is integral (int64, int32, ...), else null
 * @param source the ONNX name it was read under (an initializer or a Constant's output)
 * @param type   the ONNX data type it was stored as ({@link DataTypes}), for messages
 */
record Const(int[] dims, float[] floats, long[] ints, String source, int type) implements Value {
    /** Stands for the run-time batch size in integer data; never a real value (no shape has a dim of -2^63). */
    static final long BATCH = Long.MIN_VALUE;

    Const {
        if ((floats == null) == (ints == null)) throw new IllegalArgumentException("a constant holds either floats or ints");
        long n = numel(dims);
        if (n != (floats != null ? floats.length : ints.length)) {
            throw new IllegalArgumentException("constant " + source + ": " + n + " values expected for shape " + Arrays.toString(dims));
        }
    }

    static Const ofInts(int[] dims, long[] values, String source) { return new Const(dims, null, values, source, DataTypes.INT64); }

    static Const ofFloats(int[] dims, float[] values, String source) { return new Const(dims, values, null, source, DataTypes.FLOAT); }

    boolean isFloat() { return floats != null; }

    int rank() { return dims.length; }

    int numel() { return isFloat() ? floats.length : ints.length; }

    /** The same values under another shape (same number of elements), sharing the arrays. */
    Const reshaped(int[] newDims, String newSource) {
        return new Const(newDims, floats, ints, newSource, type);
    }

    /** True when integer data contain {@link #BATCH}. */
    boolean hasBatch() {
        if (isFloat()) return false;
        for (long v : ints) if (v == BATCH) return true;
        return false;
    }

    static long numel(int[] dims) {
        long n = 1;
        for (int d : dims) n *= d; // callers bound each dim and the product (OnnxLimits) before building
        return n;
    }

    /** [2, 3] as "[2, 3]", integer values with "N" for the batch: "[N, -1]". */
    String describe() {
        StringBuilder sb = new StringBuilder(Arrays.toString(dims));
        if (!isFloat() && ints.length <= 8) {
            sb.append(" = [");
            for (int i = 0; i < ints.length; i++) sb.append(i == 0 ? "" : ", ").append(ints[i] == BATCH ? "N" : Long.toString(ints[i]));
            sb.append(']');
        }
        return sb.toString();
    }
}

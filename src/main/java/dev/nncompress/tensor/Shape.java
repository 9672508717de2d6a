package dev.nncompress.tensor;

import java.util.Arrays;

/**
 * An immutable list of non-negative dimensions, row-major (last dimension contiguous). The product of
 * its non-zero dimensions fits in an {@code int} (checked on construction with exact arithmetic), so
 * that {@link #numel}, {@link #rowSize} and every product of some of its dimensions fit too: tensors are
 * int-indexed, and a product that wrapped (to 0, or negative) would size a buffer smaller than the
 * loops that read it.
 */
public final class Shape {
    private final int[] dims;

    private Shape(int[] dims) {
        long product = 1;
        for (int d : dims) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(dims));
            if (d > 0) {
                product = Math.multiplyExact(product, (long) d); // at most 2^31 * 2^31 before the check below
                if (product > Integer.MAX_VALUE) {
                    throw new IllegalArgumentException("shape " + Arrays.toString(dims) + " has more than " + Integer.MAX_VALUE + " elements");
                }
            }
        }
        this.dims = dims;
    }

    public static Shape of(int... dims) { return new Shape(dims.clone()); }

    public int rank() { return dims.length; }

    public int dim(int i) { return dims[i < 0 ? dims.length + i : i]; }

    public int[] dims() { return dims.clone(); }

    public long[] dimsLong() { return Arrays.stream(dims).asLongStream().toArray(); }

    /** Number of elements (fits: see the class comment). */
    public int numel() { return product(0); }

    /** Product of the dimensions after the first: the row length of the [dim0, rest] view (also when dim0 is 0). */
    public int rowSize() { return dims.length == 0 ? 1 : product(1); }

    /**
     * Product of the dimensions after {@code axis}: the run of elements that share one index of {@code axis} in
     * row-major order (the "inner" size of the per-channel quantisation layout; 1 for the last axis).
     */
    public int sizeAfter(int axis) { return product(axis + 1); }

    private int product(int from) {
        int n = 1;
        for (int i = from; i < dims.length; i++) n = Math.multiplyExact(n, dims[i]);
        return n;
    }

    /** The same shape with dimension 0 replaced, e.g. for a smaller last batch. */
    public Shape withDim(int i, int value) {
        int[] d = dims.clone();
        d[i] = value;
        return new Shape(d);
    }

    @Override public boolean equals(Object o) { return o instanceof Shape s && Arrays.equals(dims, s.dims); }

    @Override public int hashCode() { return Arrays.hashCode(dims); }

    @Override public String toString() { return Arrays.toString(dims); }
}

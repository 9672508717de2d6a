package dev.nncompress.tensor;

import java.util.Arrays;

/** An immutable list of non-negative dimensions, row-major (last dimension contiguous). */
public final class Shape {
    private final int[] dims;

    private Shape(int[] dims) {
        for (int d : dims) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(dims));
        }
        this.dims = dims;
    }

    public static Shape of(int... dims) { return new Shape(dims.clone()); }

    public int rank() { return dims.length; }

    public int dim(int i) { return dims[i < 0 ? dims.length + i : i]; }

    public int[] dims() { return dims.clone(); }

    public long[] dimsLong() { return Arrays.stream(dims).asLongStream().toArray(); }

    public int numel() {
        long n = 1;
        for (int d : dims) n *= d;
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("shape too large: " + this);
        return (int) n;
    }

    /** Product of the dimensions after the first: the row length of the [dim0, rest] view. */
    public int rowSize() { return dims.length == 0 ? 1 : numel() / Math.max(1, dims[0]); }

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

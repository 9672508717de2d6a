package dev.nncompress.backend;

import dev.nncompress.tensor.Shape;

/**
 * A mean over the consecutive dimensions [first, first + count) of a tensor, viewed as [outer, reduce,
 * inner]: y[o, i] = mean over r of x[o, r, i]. Shared by every backend; {@link #output} keeps the
 * reduced dims with size 1 (ONNX ReduceMean's keepdims; the graph op drops them by a reshape).
 */
public record ReduceGeometry(Shape input, int first, int count, int outer, int reduce, int inner) {
    /** Checks the axes against {@code x} (at least one, inside its rank). */
    public static ReduceGeometry of(String op, Shape x, int first, int count) {
        if (x == null) throw new IllegalArgumentException(op + ": input shape is null");
        if (first < 0 || count < 1 || (long) first + count > x.rank()) {
            throw new IllegalArgumentException(op + ": dims [" + first + ", " + ((long) first + count) + ") are not inside the rank-" + x.rank()
                    + " input " + x);
        }
        int outer = 1, reduce = 1, inner = 1;
        for (int d = 0; d < x.rank(); d++) { // products of an int-sized shape's dims fit
            if (d < first) outer *= x.dim(d);
            else if (d < first + count) reduce *= x.dim(d);
            else inner *= x.dim(d);
        }
        return new ReduceGeometry(x, first, count, outer, reduce, inner);
    }

    /** The input shape with the reduced dims set to 1. */
    public Shape output() {
        int[] d = input.dims();
        for (int k = first; k < first + count; k++) d[k] = 1;
        return Shape.of(d);
    }
}

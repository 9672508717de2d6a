package dev.nncompress.backend;

import dev.nncompress.tensor.Shape;

import java.util.Arrays;
import java.util.List;

/**
 * Concatenation along one dimension as block copies, shared by every backend and by both directions:
 * each part, viewed as [outer, inner(i)] (outer = the product of the dims before the axis, inner = the
 * part's axis length times the dims after it), is the column block [offset(i), offset(i) + inner(i)) of
 * the output viewed as [outer, rowLength()]. Concat copies each part into its block; its backward
 * (split) copies the blocks back out. Made by {@link #of} or {@link #split}, which check the shapes.
 *
 * @param sizes each part's length along the axis
 * @param after the product of the dims after the axis
 */
public record ConcatGeometry(Shape output, int axis, int outer, int after, int[] sizes) {
    public ConcatGeometry {
        sizes = sizes.clone();
    }

    public int parts() { return sizes.length; }

    /** Values per outer row of part {@code i}. */
    public int inner(int i) { return sizes[i] * after; }

    /** Where part {@code i}'s block starts in an output row. */
    public int offset(int i) {
        int at = 0;
        for (int k = 0; k < i; k++) at += sizes[k];
        return at * after;
    }

    /** Values per outer row of the output. */
    public int rowLength() { return output.dim(axis) * after; }

    /** The shape of part {@code i}. */
    public Shape part(int i) { return output.withDim(axis, sizes[i]); }

    /**
     * The geometry of joining tensors of {@code parts} shapes along {@code axis}: at least one part, all of
     * one rank, equal in every other dimension; the output (a {@link Shape}) must fit an int, so do all
     * the products above.
     */
    public static ConcatGeometry of(String op, List<Shape> parts, int axis) {
        if (parts == null || parts.isEmpty()) throw new IllegalArgumentException(op + ": no tensors to concatenate");
        Shape first = parts.get(0);
        if (first == null) throw new IllegalArgumentException(op + ": part 0 is null");
        int rank = first.rank();
        if (axis < 0 || axis >= rank) throw new IllegalArgumentException(op + ": axis " + axis + " is outside the rank-" + rank + " part " + first);
        int[] sizes = new int[parts.size()];
        long along = 0;
        for (int i = 0; i < parts.size(); i++) {
            Shape s = parts.get(i);
            if (s == null) throw new IllegalArgumentException(op + ": part " + i + " is null");
            boolean fits = s.rank() == rank;
            for (int d = 0; fits && d < rank; d++) fits = d == axis || s.dim(d) == first.dim(d);
            if (!fits) throw new IllegalArgumentException(op + ": part " + i + " " + s + " does not match part 0 " + first + " outside axis " + axis);
            sizes[i] = s.dim(axis);
            along += sizes[i];
            if (along > Integer.MAX_VALUE) throw new IllegalArgumentException(op + ": axis " + axis + " would be longer than " + Integer.MAX_VALUE);
        }
        int[] dims = first.dims();
        dims[axis] = (int) along;
        Shape out = Shape.of(dims); // refuses more than 2^31 - 1 elements
        int outer = 1, after = 1;
        for (int d = 0; d < axis; d++) outer *= dims[d]; // a product of some dims of an int-sized shape fits
        for (int d = axis + 1; d < rank; d++) after *= dims[d];
        return new ConcatGeometry(out, axis, outer, after, sizes);
    }

    /** The geometry of cutting a tensor of shape {@code x} along {@code axis} into pieces of {@code sizes}, which add up to that dim. */
    public static ConcatGeometry split(String op, Shape x, int axis, int[] sizes) {
        if (x == null || sizes == null || sizes.length == 0) throw new IllegalArgumentException(op + ": needs a shape and at least one size");
        if (axis < 0 || axis >= x.rank()) throw new IllegalArgumentException(op + ": axis " + axis + " is outside the rank-" + x.rank() + " input " + x);
        long sum = 0;
        for (int s : sizes) {
            if (s < 0) throw new IllegalArgumentException(op + ": negative size in " + Arrays.toString(sizes));
            sum += s;
        }
        if (sum != x.dim(axis)) {
            throw new IllegalArgumentException(op + ": sizes " + Arrays.toString(sizes) + " add up to " + sum + ", not to dim " + axis + " of " + x);
        }
        Shape[] parts = new Shape[sizes.length];
        for (int i = 0; i < sizes.length; i++) parts[i] = x.withDim(axis, sizes[i]);
        return of(op, List.of(parts), axis);
    }
}

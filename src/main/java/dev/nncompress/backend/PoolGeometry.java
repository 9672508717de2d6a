package dev.nncompress.backend;

import dev.nncompress.tensor.Shape;

/**
 * Sizes of one pooling call over {@code planes} = N*C independent h x w planes giving oh x ow each;
 * made by {@link ArgChecks#pool}, shared by every backend. The constructor bounds what the helpers
 * multiply (the last window lies inside the padded input, so {@link #y0}/{@link #x0} fit in an int);
 * element counts are the input {@link Shape}'s, bounded there (a geometry made by hand may describe
 * more, e.g. to test a library's int-range fallback).
 */
public record PoolGeometry(int planes, int h, int w, int oh, int ow, Pool2dSpec spec) {
    public PoolGeometry {
        if (spec == null) throw new IllegalArgumentException("pool geometry: spec is null");
        if (planes < 0 || h < 1 || w < 1 || oh < 1 || ow < 1) {
            throw new IllegalArgumentException("pool geometry: sizes must be >= 1 (planes >= 0), got " + planes + " planes " + h + "x" + w
                    + " -> " + oh + "x" + ow);
        }
        long paddedH = h + 2L * spec.padH(), paddedW = w + 2L * spec.padW();
        if (paddedH > Integer.MAX_VALUE || paddedW > Integer.MAX_VALUE
                || (long) (oh - 1) * spec.strideH() + spec.kernelH() > paddedH
                || (long) (ow - 1) * spec.strideW() + spec.kernelW() > paddedW) {
            throw new IllegalArgumentException("pool geometry: output " + oh + "x" + ow + " does not fit input " + h + "x" + w + ", " + spec);
        }
    }

    /** First input row of output row {@code oy} (may be negative inside the padding). */
    public int y0(int oy) { return oy * spec.strideH() - spec.padH(); }

    public int x0(int ox) { return ox * spec.strideW() - spec.padW(); }

    /** The pooled shape of an NCHW input. */
    public Shape outputShape(Shape in) { return Shape.of(in.dim(0), in.dim(1), oh, ow); }
}

package dev.nncompress.backend;

import dev.nncompress.tensor.Shape;

/**
 * Sizes of one pooling call over {@code planes} = N*C independent h x w planes giving oh x ow each;
 * made by {@link ArgChecks#pool}, shared by every backend. The constructor bounds what the helpers
 * multiply (the last window starts inside the input or its start padding, so {@link #y0}/{@link #x0} fit in an int);
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
        long paddedH = (long) h + spec.padH() + spec.padBottom(), paddedW = (long) w + spec.padW() + spec.padRight();
        // every window starts inside the input or its start padding (so y0, x0 fit an int and no window is
        // empty); in floor mode it also ends inside the padded input
        long lastY = (long) (oh - 1) * spec.strideH(), lastX = (long) (ow - 1) * spec.strideW();
        if (paddedH > Integer.MAX_VALUE || paddedW > Integer.MAX_VALUE || lastY >= h + (long) spec.padH() || lastX >= w + (long) spec.padW()
                || (!spec.ceilMode() && (lastY + spec.kernelH() > paddedH || lastX + spec.kernelW() > paddedW))) {
            throw new IllegalArgumentException("pool geometry: output " + oh + "x" + ow + " does not fit input " + h + "x" + w + ", " + spec);
        }
    }

    /** First input row of output row {@code oy} (may be negative inside the padding). */
    public int y0(int oy) { return oy * spec.strideH() - spec.padH(); }

    public int x0(int ox) { return ox * spec.strideW() - spec.padW(); }

    /**
     * What the average of window (oy, ox) divides by: its input positions, or with count_include_pad the
     * window clipped to the padded input (see {@link Pool2dSpec}); >= 1 since no window is empty.
     */
    public int divisor(int oy, int ox) {
        int y0 = y0(oy), x0 = x0(ox);
        Pool2dSpec s = spec;
        int rows = s.countIncludePad() ? Math.min(y0 + s.kernelH(), h + s.padBottom()) - y0 : Math.min(y0 + s.kernelH(), h) - Math.max(y0, 0);
        int cols = s.countIncludePad() ? Math.min(x0 + s.kernelW(), w + s.padRight()) - x0 : Math.min(x0 + s.kernelW(), w) - Math.max(x0, 0);
        return rows * cols;
    }

    /** The pooled shape of an NCHW input. */
    public Shape outputShape(Shape in) { return Shape.of(in.dim(0), in.dim(1), oh, ow); }
}

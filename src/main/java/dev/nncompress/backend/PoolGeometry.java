package dev.nncompress.backend;

import dev.nncompress.tensor.Shape;

/**
 * Sizes of one pooling call over {@code planes} = N*C independent h x w planes giving oh x ow each;
 * made by {@link ArgChecks#pool}, shared by every backend.
 */
public record PoolGeometry(int planes, int h, int w, int oh, int ow, Pool2dSpec spec) {
    /** First input row of output row {@code oy} (may be negative inside the padding). */
    public int y0(int oy) { return oy * spec.strideH() - spec.padH(); }

    public int x0(int ox) { return ox * spec.strideW() - spec.padW(); }

    /** The pooled shape of an NCHW input. */
    public Shape outputShape(Shape in) { return Shape.of(in.dim(0), in.dim(1), oh, ow); }
}

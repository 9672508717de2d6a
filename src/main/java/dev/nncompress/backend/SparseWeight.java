package dev.nncompress.backend;

import dev.nncompress.sparse.CsrWeights;
import dev.nncompress.tensor.Shape;

/**
 * A pruned conv or linear weight prepared once for one backend's sparse ops
 * ({@link Backend#conv2dSparse}, {@link Backend#linearSparse}): the CSR entries (a linear weight
 * [O, F] is CSR over [O, F, 1, 1]) plus whatever the backend made of them (native or device memory),
 * freed by {@link #close()}. Made by {@link Backend#prepareSparse}; only that backend accepts it.
 */
public final class SparseWeight implements AutoCloseable {
    /** The two layer kinds with sparse kernels; their break-evens differ, so they are decided apart. */
    public enum Kind { CONV, LINEAR }

    private final CsrWeights csr;
    private final Shape shape;
    private final Backend owner;
    private final Object prepared;
    private final AutoCloseable release;

    /** @param prepared the backend's own form (its ops cast it back); {@code release} frees it, or null */
    public SparseWeight(CsrWeights csr, Shape shape, Backend owner, Object prepared, AutoCloseable release) {
        if (csr == null || shape == null || owner == null) throw new IllegalArgumentException("sparse weight: csr, shape and owner must not be null");
        checkShape(csr, shape);
        this.csr = csr;
        this.shape = shape;
        this.owner = owner;
        this.prepared = prepared;
        this.release = release;
    }

    /** The CSR form of a dense [O, C, kH, kW] or [O, F] weight, keeping exactly the elements that are not +0.0 or -0.0. */
    public static CsrWeights csrOf(float[] dense, Shape shape) {
        if (shape.rank() != 4 && shape.rank() != 2) throw new IllegalArgumentException("sparse weight: expected [O, C, kH, kW] or [O, F], got " + shape);
        if (dense.length != shape.numel()) throw new IllegalArgumentException("sparse weight: " + dense.length + " values for " + shape);
        byte[] mask = new byte[dense.length];
        for (int i = 0; i < dense.length; i++) mask[i] = (byte) (dense[i] != 0f ? 1 : 0);
        return shape.rank() == 4
                ? CsrWeights.fromDense(dense, mask, shape.dim(0), shape.dim(1), shape.dim(2), shape.dim(3))
                : CsrWeights.fromDense(dense, mask, shape.dim(0), shape.dim(1), 1, 1);
    }

    public CsrWeights csr() { return csr; }

    /** The dense weight's shape: [O, C, kH, kW] (conv) or [O, F] (linear). */
    public Shape shape() { return shape; }

    public Kind kind() { return shape.rank() == 4 ? Kind.CONV : Kind.LINEAR; }

    public Backend owner() { return owner; }

    /** The backend's prepared form, for that backend's ops only. */
    public Object prepared() { return prepared; }

    /** Fraction of the weight's elements that are zero. */
    public double zeroFraction() { return 1.0 - (double) csr.nnz() / shape.numel(); }

    @Override public void close() {
        if (release == null) return;
        try {
            release.close();
        } catch (Exception e) {
            throw new IllegalStateException("sparse weight: cannot free " + shape + ": " + e.getMessage(), e);
        }
    }

    private static void checkShape(CsrWeights csr, Shape shape) {
        boolean fits = shape.rank() == 4
                ? csr.outChannels() == shape.dim(0) && csr.inChannels() == shape.dim(1) && csr.kh() == shape.dim(2) && csr.kw() == shape.dim(3)
                : shape.rank() == 2 && csr.outChannels() == shape.dim(0) && csr.inChannels() == shape.dim(1) && csr.kh() == 1 && csr.kw() == 1;
        if (!fits) throw new IllegalArgumentException("sparse weight: " + csr + " does not describe a weight of shape " + shape);
    }

    @Override public String toString() { return "SparseWeight" + shape + "[nnz=" + csr.nnz() + ", " + owner.name() + "]"; }
}

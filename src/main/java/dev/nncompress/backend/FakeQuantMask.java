package dev.nncompress.backend;

import dev.nncompress.tensor.Shape;

/**
 * Where a {@link Backend#fakeQuantize} forward did not clamp: one byte per element, 1 inside [qmin, qmax], 0
 * where the code was clamped (NaN and infinities included), which is what its straight-through backward
 * ({@link Backend#fakeQuantizeBackward}) reads. It lives where the backend keeps it (a heap array, device
 * memory) in the backend's own form; only that backend accepts it. Close it to free device memory.
 */
public final class FakeQuantMask implements AutoCloseable {
    private final Shape shape;
    private final Backend owner;
    private final Object prepared;
    private final AutoCloseable release;
    private boolean closed;

    /** @param prepared the backend's own form (its ops cast it back); {@code release} frees it, or null */
    public FakeQuantMask(Shape shape, Backend owner, Object prepared, AutoCloseable release) {
        if (shape == null || owner == null || prepared == null) throw new IllegalArgumentException("fake-quantisation mask: shape, owner and data must not be null");
        this.shape = shape;
        this.owner = owner;
        this.prepared = prepared;
        this.release = release;
    }

    /** The shape of the forward's input (and of the gradients the backward takes). */
    public Shape shape() { return shape; }

    public Backend owner() { return owner; }

    public boolean isClosed() { return closed; }

    /** The backend's own form, for the backend that made it. */
    public Object prepared() {
        if (closed) throw new IllegalStateException("fake-quantisation mask " + shape + " was closed");
        return prepared;
    }

    @Override public void close() {
        if (closed) return;
        closed = true;
        if (release != null) {
            try {
                release.close();
            } catch (Exception e) {
                throw new IllegalStateException("freeing a fake-quantisation mask failed: " + e.getMessage(), e);
            }
        }
    }
}

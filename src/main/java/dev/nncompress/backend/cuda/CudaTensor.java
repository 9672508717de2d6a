package dev.nncompress.backend.cuda;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.cuda.driver.DeviceBuffer;
import dev.nncompress.backend.cuda.driver.DeviceMemoryPool;
import dev.nncompress.backend.memory.Storage;
import dev.nncompress.tensor.DType;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

/**
 * A tensor of the {@link CudaBackend}: contiguous row-major elements (F32, or I8/I32 for int8 work)
 * in a device block lent by the backend's {@link DeviceMemoryPool}. Reshaped views share the block's
 * {@link Storage} (the ref-counted class the CPU tensors share too); it goes back to the pool when the last
 * tensor over it is closed, or when the garbage collector finds the storage unreachable (its Cleaner, so a
 * forgotten tensor cannot leak device memory for good; the block's {@link DeviceBuffer}, which an op holds
 * while it launches or copies, refers to the storage and so keeps it).
 */
public final class CudaTensor implements Tensor {
    private final CudaBackend backend;
    private final Shape shape;
    private final DType dtype;
    private final DeviceBuffer buffer;
    private volatile boolean closed;

    private CudaTensor(CudaBackend backend, Shape shape, DType dtype, DeviceBuffer buffer) {
        this.backend = backend;
        this.shape = shape;
        this.dtype = dtype;
        this.buffer = buffer;
    }

    /** A new tensor over an uninitialised block; every op that makes one writes all its elements. */
    static CudaTensor allocate(CudaBackend backend, Shape shape, DType dtype) {
        return new CudaTensor(backend, shape, dtype, backend.memory().take((long) dtype.bytes() * shape.numel()));
    }

    /** Another view of this tensor's block under {@code newShape} (same element count). */
    CudaTensor view(Shape newShape) {
        checkOpen();
        buffer.storage().retain();
        return new CudaTensor(backend, newShape, dtype, buffer);
    }

    /** The device block, for kernel arguments. */
    DeviceBuffer buffer() {
        checkOpen();
        return buffer;
    }

    long bytes() { return (long) dtype.bytes() * shape.numel(); }

    @Override public Shape shape() { return shape; }

    @Override public DType dtype() { return dtype; }

    @Override public Backend owner() { return backend; }

    /** Copies the values to the host (integers converted to float). */
    @Override public float[] toFloatArray() {
        DeviceBuffer b = buffer();
        int n = shape.numel();
        if (n == 0) return new float[0];
        backend.checkOpen();
        return switch (dtype) {
            case F32 -> truncate(b.toFloats(), n);
            case I32 -> {
                int[] v = b.toInts();
                float[] out = new float[n];
                for (int i = 0; i < n; i++) out[i] = v[i];
                yield out;
            }
            case I8 -> {
                byte[] v = b.toBytes();
                float[] out = new float[n];
                for (int i = 0; i < n; i++) out[i] = v[i];
                yield out;
            }
        };
    }

    private static float[] truncate(float[] v, int n) { return v.length == n ? v : java.util.Arrays.copyOf(v, n); }

    @Override public void close() {
        if (closed) return;
        closed = true;
        buffer.storage().drop();
    }

    boolean isClosed() { return closed; }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("CudaTensor" + shape + " was closed");
    }

    @Override public String toString() { return "CudaTensor" + shape + (dtype == DType.F32 ? "" : " " + dtype); }
}

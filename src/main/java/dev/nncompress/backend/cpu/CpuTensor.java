package dev.nncompress.backend.cpu;

import dev.nncompress.backend.Backend;
import dev.nncompress.tensor.DType;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A float32 tensor of the {@link CpuBackend}: a c-order, offset-0 ND4J array in off-heap memory.
 * Reshaped views share the memory; it is freed when the last tensor over it is closed (or, for
 * tensors never closed, when the garbage collector finds their arrays unreachable, as ND4J does).
 */
public final class CpuTensor implements Tensor {
    /** The shared off-heap buffer and how many open tensors view it. */
    private static final class Storage {
        final INDArray base;
        final AtomicInteger refs = new AtomicInteger(1);

        Storage(INDArray base) { this.base = base; }
    }

    private final CpuBackend backend;
    private final Shape shape;
    private final Storage storage;
    private final INDArray array;
    private final long address;
    private volatile boolean closed;

    private CpuTensor(CpuBackend backend, Shape shape, Storage storage, INDArray array) {
        this.backend = backend;
        this.shape = shape;
        this.storage = storage;
        this.array = array;
        this.address = shape.numel() == 0 ? 0L : array.data().addressPointer().address();
    }

    /** Takes ownership of {@code array}, which must be a fresh c-order float array of {@code shape}. */
    static CpuTensor own(CpuBackend backend, INDArray array, Shape shape) {
        return new CpuTensor(backend, shape, new Storage(array), array);
    }

    /** Another view of this tensor's memory under {@code newShape} (same element count). */
    CpuTensor view(Shape newShape) {
        checkOpen();
        storage.refs.incrementAndGet();
        INDArray v = newShape.equals(shape) ? array : array.reshape('c', false, newShape.dimsLong());
        return new CpuTensor(backend, newShape, storage, v);
    }

    /** The ND4J array (for native ops); valid until {@link #close()}. */
    INDArray array() {
        checkOpen();
        return array;
    }

    /** Address of element 0 (the array is contiguous, c-order, offset 0). */
    long address() {
        checkOpen();
        return address;
    }

    @Override public Shape shape() { return shape; }

    @Override public DType dtype() { return DType.F32; }

    @Override public Backend backend() { return backend; }

    @Override public float[] toFloatArray() {
        checkOpen();
        float[] out = new float[shape.numel()];
        if (out.length > 0) Mem.toArray(address, 0, out, 0, out.length);
        return out;
    }

    @Override public void close() {
        if (closed) return;
        closed = true;
        if (storage.refs.decrementAndGet() == 0 && storage.base.closeable()) storage.base.close();
    }

    boolean isClosed() { return closed; }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("CpuTensor" + shape + " was closed");
    }

    @Override public String toString() { return "CpuTensor" + shape; }
}

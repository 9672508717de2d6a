package dev.nncompress.backend.cpu;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.memory.Storage;
import dev.nncompress.tensor.DType;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A float32 tensor of the {@link CpuBackend}: contiguous c-order floats in off-heap memory from
 * {@link CpuMemory}, seen by native ops as a c-order ND4J array over the same memory (made on first
 * use). Reshaped views share the memory through one {@link Storage} (the class the CUDA tensors share too);
 * it goes back to the pool when the last tensor over it is closed, when the {@link CpuScope} that recorded
 * it closes, or when the garbage collector finds the storage unreachable (its Cleaner, for a tensor made
 * outside any scope). Ops read a raw address and then no longer refer to the tensor, so every address
 * handed out parks the storage in {@link RecentStorages} for the op's duration.
 */
public final class CpuTensor implements Tensor {
    private final CpuBackend backend;
    private final Shape shape;
    private final Storage<CpuMemory.Block> storage;
    /** Element 0 of the storage's block (a copy of it, read on every op). */
    private final long address;
    private INDArray array;
    private volatile boolean closed;

    private CpuTensor(CpuBackend backend, Shape shape, Storage<CpuMemory.Block> storage) {
        this.backend = backend;
        this.shape = shape;
        this.storage = storage;
        this.address = storage.block().address();
    }

    /** A new tensor over an uninitialised block; every op that makes one writes all its elements. */
    static CpuTensor allocate(CpuBackend backend, Shape shape) {
        CpuScope scope = CpuScope.current();
        Storage<CpuMemory.Block> s = CpuMemory.take(4L * shape.numel(), scope != null);
        if (scope != null) scope.record(s);
        return new CpuTensor(backend, shape, s);
    }

    /** Another view of this tensor's memory under {@code newShape} (same element count). */
    CpuTensor view(Shape newShape) {
        checkOpen();
        storage.retain();
        return new CpuTensor(backend, newShape, storage);
    }

    /**
     * The ND4J array over this tensor's memory (for native ops); valid until {@link #close()}. A weight is
     * read by many threads at once: two may each wrap it (equivalent views), and one read of the field
     * keeps a racing thread from seeing null.
     */
    INDArray array() {
        checkOpen();
        RecentStorages.hold(storage);
        INDArray a = array;
        if (a == null) array = a = CpuMemory.wrap(address, shape.dimsLong(), shape.numel());
        return a;
    }

    /** The storage's contents stamp ({@link Storage#stamp()}). */
    long stamp() { return storage.stamp(); }

    /**
     * Every CpuBackend op that writes into an existing tensor (copyInto, addInPlace, the optimiser updates) calls
     * this after the write, so that values cached from the old contents are not reused.
     */
    void written() { storage.written(); }

    Storage<CpuMemory.Block> storage() { return storage; }

    /** Address of element 0 (contiguous, c-order). */
    long address() {
        checkOpen();
        RecentStorages.hold(storage);
        return address;
    }

    @Override public Shape shape() { return shape; }

    @Override public DType dtype() { return DType.F32; }

    @Override public Backend owner() { return backend; }

    @Override public float[] toFloatArray() {
        checkOpen();
        float[] out = new float[shape.numel()];
        if (out.length > 0) Mem.toArray(address, 0, out, 0, out.length);
        java.lang.ref.Reference.reachabilityFence(this); // the Cleaner must not give the block back mid-copy
        return out;
    }

    @Override public void close() {
        if (closed) return;
        closed = true;
        storage.drop();
    }

    boolean isClosed() { return closed || storage.isReleased(); }

    private void checkOpen() {
        if (closed || storage.isReleased()) throw new IllegalStateException("CpuTensor" + shape + " was closed");
    }

    @Override public String toString() { return "CpuTensor" + shape; }
}

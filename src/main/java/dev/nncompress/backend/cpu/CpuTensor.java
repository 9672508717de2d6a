package dev.nncompress.backend.cpu;

import dev.nncompress.backend.Backend;
import dev.nncompress.tensor.DType;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A float32 tensor of the {@link CpuBackend}: contiguous c-order floats in off-heap memory from
 * {@link CpuMemory}, seen by native ops as a c-order ND4J array over the same memory (made on first
 * use). Reshaped views share the memory; it goes back to the pool when the last tensor over it is
 * closed, or when the garbage collector finds them all unreachable.
 */
public final class CpuTensor implements Tensor {
    /** The shared block and how many open tensors view it. */
    private static final class Storage {
        final long address;
        final AtomicInteger refs = new AtomicInteger(1);
        Cleaner.Cleanable release;

        Storage(long address) { this.address = address; }
    }

    private final CpuBackend backend;
    private final Shape shape;
    private final Storage storage;
    private INDArray array;
    private volatile boolean closed;

    private CpuTensor(CpuBackend backend, Shape shape, Storage storage) {
        this.backend = backend;
        this.shape = shape;
        this.storage = storage;
    }

    /** A new tensor over an uninitialised block; every op that makes one writes all its elements. */
    static CpuTensor allocate(CpuBackend backend, Shape shape) {
        long[] block = CpuMemory.take(4L * shape.numel());
        Storage s = new Storage(block[0]);
        s.release = CpuMemory.register(s, block);
        return new CpuTensor(backend, shape, s);
    }

    /** Another view of this tensor's memory under {@code newShape} (same element count). */
    CpuTensor view(Shape newShape) {
        checkOpen();
        storage.refs.incrementAndGet();
        return new CpuTensor(backend, newShape, storage);
    }

    /**
     * The ND4J array over this tensor's memory (for native ops); valid until {@link #close()}. A weight is
     * read by many threads at once: two may each wrap it (equivalent views), and one read of the field
     * keeps a racing thread from seeing null.
     */
    INDArray array() {
        checkOpen();
        INDArray a = array;
        if (a == null) array = a = CpuMemory.wrap(storage.address, shape.dimsLong(), shape.numel());
        return a;
    }

    /** Address of element 0 (contiguous, c-order). */
    long address() {
        checkOpen();
        return storage.address;
    }

    @Override public Shape shape() { return shape; }

    @Override public DType dtype() { return DType.F32; }

    @Override public Backend backend() { return backend; }

    @Override public float[] toFloatArray() {
        checkOpen();
        float[] out = new float[shape.numel()];
        if (out.length > 0) Mem.toArray(storage.address, 0, out, 0, out.length);
        return out;
    }

    @Override public void close() {
        if (closed) return;
        closed = true;
        if (storage.refs.decrementAndGet() == 0) storage.release.clean();
    }

    boolean isClosed() { return closed; }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("CpuTensor" + shape + " was closed");
    }

    @Override public String toString() { return "CpuTensor" + shape; }
}

package dev.nncompress.backend.cpu;

import dev.nncompress.backend.Backend;
import dev.nncompress.tensor.DType;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A float32 tensor of the {@link CpuBackend}: contiguous c-order floats in off-heap memory from
 * {@link CpuMemory}, seen by native ops as a c-order ND4J array over the same memory (made on first
 * use). Reshaped views share the memory; it goes back to the pool when the last tensor over it is
 * closed, or when the garbage collector finds them all unreachable.
 */
public final class CpuTensor implements Tensor {
    /**
     * The shared block and how many open tensors view it. Released once: by the last close, the Cleaner (a
     * tensor made outside any {@link CpuScope}) or the scope that recorded it, whichever comes first.
     */
    static final class Storage {
        /** Source of {@link #stamp}s: never repeats in a process. */
        private static final AtomicLong STAMPS = new AtomicLong();

        final long address;
        final AtomicInteger refs = new AtomicInteger(1);
        private final long[] block;
        private final AtomicBoolean released = new AtomicBoolean();
        private Cleaner.Cleanable cleanable;
        /**
         * Names this block's contents: new at creation and after every in-place write ({@link #written}), so a
         * value derived from the contents (batch norm's folded scale and shift) can be cached under the stamps of
         * its inputs and is recomputed after an optimiser step or a running-statistics update.
         */
        private volatile long stamp = STAMPS.incrementAndGet();
        /** A value derived from this block's contents and others' (e.g. {@link BnScaleShift}), or null. */
        volatile Object derived;

        Storage(long[] block) {
            this.block = block;
            this.address = block[0];
        }

        long stamp() { return stamp; }

        void written() { stamp = STAMPS.incrementAndGet(); }

        void release() {
            if (!released.compareAndSet(false, true)) return;
            if (cleanable != null) cleanable.clean();
            else CpuMemory.give(block);
        }

        boolean isReleased() { return released.get(); }
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
        Storage s = new Storage(CpuMemory.take(4L * shape.numel()));
        CpuScope scope = CpuScope.current();
        if (scope != null) scope.record(s);
        else s.cleanable = CpuMemory.register(s, s.block);
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
        RecentStorages.hold(storage);
        INDArray a = array;
        if (a == null) array = a = CpuMemory.wrap(storage.address, shape.dimsLong(), shape.numel());
        return a;
    }

    /** The storage's contents stamp ({@link Storage#stamp}). */
    long stamp() { return storage.stamp(); }

    /**
     * Every CpuBackend op that writes into an existing tensor (copyInto, addInPlace, the optimiser updates) calls
     * this after the write, so that values cached from the old contents are not reused.
     */
    void written() { storage.written(); }

    Storage storage() { return storage; }

    /** Address of element 0 (contiguous, c-order). */
    long address() {
        checkOpen();
        RecentStorages.hold(storage);
        return storage.address;
    }

    @Override public Shape shape() { return shape; }

    @Override public DType dtype() { return DType.F32; }

    @Override public Backend owner() { return backend; }

    @Override public float[] toFloatArray() {
        checkOpen();
        float[] out = new float[shape.numel()];
        if (out.length > 0) Mem.toArray(storage.address, 0, out, 0, out.length);
        java.lang.ref.Reference.reachabilityFence(this); // the Cleaner must not give the block back mid-copy
        return out;
    }

    @Override public void close() {
        if (closed) return;
        closed = true;
        if (storage.refs.decrementAndGet() == 0) storage.release();
    }

    boolean isClosed() { return closed || storage.isReleased(); }

    private void checkOpen() {
        if (closed || storage.isReleased()) throw new IllegalStateException("CpuTensor" + shape + " was closed");
    }

    @Override public String toString() { return "CpuTensor" + shape; }
}

package dev.nncompress.backend.cuda.driver;

import dev.nncompress.backend.memory.Storage;
import jcuda.Pointer;
import jcuda.Sizeof;
import jcuda.driver.CUdeviceptr;

import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuMemsetD8;

/**
 * A block of device memory with synchronous copies from and to Java arrays (each one counted in {@link Transfers}): either its own
 * {@code cuMemAlloc} ({@link #allocate}, {@link #of}...; close frees it) or a block lent by a
 * {@link DeviceMemoryPool} through a {@link Storage} (close releases the storage, which gives the block back
 * to the pool's cache). The copies run on the legacy default stream, which waits for the driver's (blocking)
 * stream, so a read after a launch sees the kernel's result, and a write into a recycled block waits for
 * kernels still reading it. Close is idempotent.
 *
 * <p>A lent block also goes back when the garbage collector finds its storage unreachable (the storage's
 * Cleaner). This buffer refers to the storage, and an op holds the buffer, not the tensor, while it launches
 * or copies, so a tensor the caller no longer references cannot lose its block under a running
 * {@code toFloatArray} (it did, on a JIT-compiled test in CI, when the Cleaner sat on the tensor).
 */
public final class DeviceBuffer implements AutoCloseable {
    private final CUdeviceptr pointer;
    private final long bytes;
    private final Storage<CUdeviceptr> storage; // null: the buffer owns its allocation
    private volatile boolean freed;

    private DeviceBuffer(long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("negative size " + bytes);
        this.bytes = bytes;
        this.storage = null;
        this.pointer = new CUdeviceptr();
        CudaDriver.get(); // context current on this thread, or a clear BackendUnavailableException
        cuMemAlloc(pointer, Math.max(bytes, 1)); // a zero-size allocation is an error in CUDA
    }

    private DeviceBuffer(Storage<CUdeviceptr> storage) {
        this.bytes = storage.bytes();
        this.pointer = storage.block();
        this.storage = storage;
    }

    /** The buffer over a block lent by a pool; closing the buffer (or the storage's last view) returns the block. */
    public static DeviceBuffer pooled(Storage<CUdeviceptr> storage) { return new DeviceBuffer(storage); }

    /** Uninitialised memory of {@code bytes}. */
    public static DeviceBuffer allocate(long bytes) { return new DeviceBuffer(bytes); }

    /** Zero-filled memory of {@code bytes}. */
    public static DeviceBuffer zeros(long bytes) {
        DeviceBuffer b = new DeviceBuffer(bytes);
        cuMemsetD8(b.pointer, (byte) 0, Math.max(bytes, 1));
        return b;
    }

    public static DeviceBuffer of(float[] data) { return upload(Pointer.to(data), (long) data.length * Sizeof.FLOAT); }

    public static DeviceBuffer of(int[] data) { return upload(Pointer.to(data), (long) data.length * Sizeof.INT); }

    public static DeviceBuffer of(byte[] data) { return upload(Pointer.to(data), data.length); }

    private static DeviceBuffer upload(Pointer host, long bytes) {
        DeviceBuffer b = new DeviceBuffer(bytes);
        if (bytes > 0) {
            cuMemcpyHtoD(b.pointer, host, bytes);
            Transfers.upload(bytes);
        }
        return b;
    }

    public float[] toFloats() {
        float[] out = new float[(int) (bytes / Sizeof.FLOAT)];
        download(Pointer.to(out), (long) out.length * Sizeof.FLOAT);
        return out;
    }

    public int[] toInts() {
        int[] out = new int[(int) (bytes / Sizeof.INT)];
        download(Pointer.to(out), (long) out.length * Sizeof.INT);
        return out;
    }

    public byte[] toBytes() {
        byte[] out = new byte[Math.toIntExact(bytes)];
        download(Pointer.to(out), out.length);
        return out;
    }

    /** Copies {@code data} to the start of this buffer. */
    public void write(float[] data) { copyIn(Pointer.to(data), (long) data.length * Sizeof.FLOAT); }

    public void write(int[] data) { copyIn(Pointer.to(data), (long) data.length * Sizeof.INT); }

    public void write(byte[] data) { copyIn(Pointer.to(data), data.length); }

    private void copyIn(Pointer host, long n) {
        checkOpen();
        if (n > bytes) throw new IllegalArgumentException("writing " + n + " bytes into a buffer of " + bytes);
        CudaDriver.get();
        if (n > 0) {
            cuMemcpyHtoD(pointer, host, n);
            Transfers.upload(n);
        }
    }

    /** The first {@code out.length} doubles of this buffer. */
    public void read(double[] out) {
        if ((long) out.length * Sizeof.DOUBLE > bytes) throw new IllegalArgumentException("reading " + out.length + " doubles from " + bytes + " bytes");
        download(Pointer.to(out), (long) out.length * Sizeof.DOUBLE);
    }

    private void download(Pointer host, long n) {
        checkOpen();
        CudaDriver.get();
        if (n > 0) {
            cuMemcpyDtoH(host, pointer, n);
            Transfers.download(n);
        }
    }

    /** The device address, for kernel arguments. */
    public CUdeviceptr pointer() {
        checkOpen();
        return pointer;
    }

    /** The raw device address, for the vendor libraries (cuBLAS, cuDNN), which take plain addresses. */
    public long address() { return NativeAddress.of(pointer()); }

    public long bytes() { return bytes; }

    /** The pool's storage this buffer views (its views' count, its contents stamp), or null for an own allocation. */
    public Storage<CUdeviceptr> storage() { return storage; }

    private void checkOpen() {
        if (freed || storage != null && storage.isReleased()) throw new IllegalStateException("device buffer of " + bytes + " bytes used after close");
    }

    @Override public void close() {
        if (freed) return;
        freed = true;
        if (storage != null) {
            storage.release(); // gives the block back once, whether close, the last view or the Cleaner comes first
            return;
        }
        CudaDriver.get();
        cuMemFree(pointer);
    }
}

package dev.nncompress.backend.cuda.driver;

import dev.nncompress.backend.cuda.CudaBackend;
import dev.nncompress.backend.memory.BlockCache;
import dev.nncompress.backend.memory.SizeClasses;
import dev.nncompress.backend.memory.Storage;

import jcuda.driver.CUdeviceptr;

import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;

/**
 * Device memory for one {@link CudaBackend}: a {@link BlockCache} over cuMemAlloc/cuMemFree (the caching
 * allocator the CPU backend's memory shares) that lends blocks as {@link DeviceBuffer}s over a {@link Storage}
 * (closing the buffer returns the block). Reusing a block is safe without events because all our work is
 * ordered: kernels run on the driver's one stream and copies on the legacy default stream, which synchronises
 * with it. {@link #close()} frees all.
 */
public final class DeviceMemoryPool implements AutoCloseable {
    private final BlockCache<CUdeviceptr> cache = new BlockCache<>(new BlockCache.Allocator<>() {
        @Override public CUdeviceptr allocate(long bytes) {
            CudaDriver.get();
            CUdeviceptr p = new CUdeviceptr();
            cuMemAlloc(p, bytes);
            return p;
        }

        @Override public void free(CUdeviceptr block) {
            CudaDriver.get();
            cuMemFree(block);
        }
    }, SizeClasses.DEVICE, BlockCache.UNLIMITED);

    /** A buffer of {@code bytes} (contents undefined). */
    public DeviceBuffer take(long bytes) { return DeviceBuffer.pooled(Storage.lend(cache, bytes)); }

    public long bytesInUse() { return cache.bytesInUse(); }

    public long bytesCached() { return cache.bytesCached(); }

    /** cuMemAlloc calls so far; constant once a training loop reaches its steady state. */
    public long allocations() { return cache.allocations(); }

    public void trim() { cache.trim(); }

    public boolean isClosed() { return cache.isClosed(); }

    @Override public void close() { cache.close(); }
}

package dev.nncompress.backend.memory;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The bookkeeping of a caching allocator, free of any driver: blocks are rounded up to a size class,
 * a freed block goes to a per-class free list and is handed out again for the next request of that
 * class (as PyTorch's CUDA caching allocator does), so a training step that repeats the previous
 * one's allocations makes no driver calls. The {@link Allocator} makes and frees the real blocks;
 * the CUDA backend's {@code DeviceMemoryPool} plugs in cuMemAlloc/cuMemFree. In package {@code backend.memory},
 * below every backend, so that the CPU and CUDA pools share it. Thread-safe: a Cleaner may give blocks back.
 *
 * @param <B> the allocator's handle type (a device pointer); compared by identity
 */
public final class BlockCache<B> {
    /** Makes and frees real blocks of an exact size. */
    public interface Allocator<B> {
        B allocate(long bytes);

        void free(B block);
    }

    private final Allocator<B> allocator;
    private final Map<Long, ArrayDeque<B>> free = new HashMap<>();
    private final Map<B, Long> inUse = new IdentityHashMap<>();
    private long bytesInUse;
    private long bytesCached;
    private long allocations;
    private boolean closed;

    public BlockCache(Allocator<B> allocator) { this.allocator = allocator; }

    /**
     * Size class of a request: multiples of 512 bytes up to 1 MiB, then of 128 KiB (under 12.5%
     * waste), never 0 (CUDA rejects empty allocations).
     */
    public static long sizeClass(long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("negative size " + bytes);
        long b = Math.max(bytes, 1);
        long unit = b <= (1L << 20) ? 512 : 128L << 10;
        return (b + unit - 1) / unit * unit;
    }

    /**
     * A block of at least {@code bytes}: a cached one of the same class, else a new one; when the
     * allocator fails (out of memory) the cache is emptied and the allocation tried once more.
     */
    public synchronized B take(long bytes) {
        if (closed) throw new IllegalStateException("the device memory pool was closed");
        long size = sizeClass(bytes);
        ArrayDeque<B> q = free.get(size);
        B block;
        if (q != null && !q.isEmpty()) {
            block = q.pop();
            bytesCached -= size;
        } else {
            try {
                block = allocator.allocate(size);
            } catch (RuntimeException outOfMemory) {
                if (bytesCached == 0) throw outOfMemory;
                trim();
                block = allocator.allocate(size);
            }
            allocations++;
        }
        inUse.put(block, size);
        bytesInUse += size;
        return block;
    }

    /** Returns a block to the cache; a block the cache does not lend (after close) is ignored. */
    public synchronized void give(B block) {
        Long size = inUse.remove(block);
        if (size == null) return;
        bytesInUse -= size;
        if (closed) {
            allocator.free(block);
            return;
        }
        free.computeIfAbsent(size, k -> new ArrayDeque<>()).push(block);
        bytesCached += size;
    }

    /** Frees every cached (unused) block. */
    public synchronized void trim() {
        for (ArrayDeque<B> q : free.values()) {
            for (B b : q) allocator.free(b);
        }
        free.clear();
        bytesCached = 0;
    }

    /** Frees everything, lent blocks included: tensors still open become unusable. Idempotent. */
    public synchronized void close() {
        if (closed) return;
        closed = true;
        trim();
        for (B b : inUse.keySet()) allocator.free(b);
        inUse.clear();
        bytesInUse = 0;
    }

    public synchronized boolean isClosed() { return closed; }

    /** Bytes of the blocks lent out now (size classes, not requests). */
    public synchronized long bytesInUse() { return bytesInUse; }

    /** Bytes of the free blocks kept for reuse. */
    public synchronized long bytesCached() { return bytesCached; }

    /** Blocks obtained from the allocator so far (a steady-state loop adds none). */
    public synchronized long allocations() { return allocations; }
}

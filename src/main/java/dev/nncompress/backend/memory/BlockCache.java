package dev.nncompress.backend.memory;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The bookkeeping of a caching allocator, free of any driver: blocks are rounded up to a size class
 * ({@link SizeClasses}), a freed block goes to a per-class free list and is handed out again for the next
 * request of that class (as PyTorch's CUDA caching allocator does), so a training step that repeats the
 * previous one's allocations makes no allocator calls. The {@link Allocator} makes and frees the real
 * blocks: the CUDA backend's {@code DeviceMemoryPool} plugs in cuMemAlloc/cuMemFree, the CPU backend's
 * {@code CpuMemory} aligned C-heap blocks. In package {@code backend.memory}, below every backend, so that
 * both share it. Thread-safe: a Cleaner may give blocks back ({@link Storage}).
 *
 * @param <B> the allocator's handle type (a device pointer, a host block); compared by identity
 */
public final class BlockCache<B> {
    /** No bound on the cached bytes (the device pool: everything stays until {@link #trim} or {@link #close}). */
    public static final long UNLIMITED = Long.MAX_VALUE;

    /** Makes and frees real blocks of an exact size. */
    public interface Allocator<B> {
        B allocate(long bytes);

        void free(B block);
    }

    private final Allocator<B> allocator;
    private final SizeClasses classes;
    private final long cacheLimit;
    private final boolean tracked;
    private final Map<Long, ArrayDeque<B>> free = new HashMap<>();
    private final Map<B, Long> inUse = new IdentityHashMap<>();
    private long bytesInUse;
    private long bytesCached;
    private long allocations;
    private boolean closed;

    /**
     * A cache rounding requests by {@code classes}; a block given back while {@code cacheLimit} bytes are
     * cached goes back to the allocator instead ({@link #UNLIMITED}: never).
     */
    public BlockCache(Allocator<B> allocator, SizeClasses classes, long cacheLimit) { this(allocator, classes, cacheLimit, true); }

    private BlockCache(Allocator<B> allocator, SizeClasses classes, long cacheLimit, boolean tracked) {
        if (cacheLimit < 0) throw new IllegalArgumentException("negative cache limit " + cacheLimit);
        this.allocator = allocator;
        this.classes = classes;
        this.cacheLimit = cacheLimit;
        this.tracked = tracked;
    }

    /**
     * A cache that keeps no record of the blocks it lends, for garbage-collected blocks (heap arrays): one never given
     * back is simply collected, where a record would hold it for good; blocks come back through
     * {@link #giveUntracked} with their size, {@link #bytesInUse} stays 0 and {@link #close} frees only the cached ones.
     */
    public static <B> BlockCache<B> untracked(Allocator<B> allocator, SizeClasses classes, long cacheLimit) {
        return new BlockCache<>(allocator, classes, cacheLimit, false);
    }

    /**
     * A block of at least {@code bytes}: a cached one of the same class, else a new one; when the
     * allocator fails (out of memory) the cache is emptied and the allocation tried once more.
     */
    public synchronized B take(long bytes) {
        if (closed) throw new IllegalStateException("the memory pool was closed");
        long size = classes.of(bytes);
        ArrayDeque<B> q = free.get(classes.index(size));
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
        if (tracked) {
            inUse.put(block, size);
            bytesInUse += size;
        }
        return block;
    }

    /**
     * Returns a block to the cache (to the allocator past the cache limit); a block the cache does not lend
     * (after close, or given twice) is ignored.
     */
    public synchronized void give(B block) {
        if (!tracked) throw new IllegalStateException("an untracked cache takes blocks back with their size (giveUntracked)");
        Long size = inUse.remove(block);
        if (size == null) return;
        bytesInUse -= size;
        cache(block, size);
    }

    /**
     * Returns a block of {@code bytes} (its request, or its size class) to an {@link #untracked} cache; the caller
     * makes sure it gives each block once.
     */
    public synchronized void giveUntracked(B block, long bytes) {
        if (tracked) throw new IllegalStateException("a tracked cache knows its blocks' sizes (give)");
        cache(block, classes.of(bytes));
    }

    /** Keeps a free block of class {@code size} for reuse, or frees it (closed, or past the cache limit). */
    private void cache(B block, long size) {
        if (closed || size > cacheLimit - bytesCached) {
            allocator.free(block);
            return;
        }
        free.computeIfAbsent(classes.index(size), k -> new ArrayDeque<>()).push(block);
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

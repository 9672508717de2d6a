package dev.nncompress.backend.ref;

import dev.nncompress.backend.memory.BlockCache;
import dev.nncompress.backend.memory.SizeClasses;

/**
 * Code arrays of closed {@link ByteTensor}s, by length, for the next tensor of that length: an int8 inference call
 * makes the same arrays batch after batch (what the int8 engine's per-call workspaces did before its steps became
 * backend ops). On the one pool implementation, {@link BlockCache}: exact sizes (a tensor's array holds exactly its
 * codes) and untracked (a tensor never closed leaves its array to the garbage collector, as a plain array would be).
 * Bounded: beyond {@link #CAP_BYTES} a returned array is left to the garbage collector. Arrays taken from the pool
 * hold old codes; every op that takes one writes all of it.
 */
final class CodePool {
    /** Enough for a few concurrent teacher calls at batch 256 (~20 MB of codes each). */
    static final long CAP_BYTES = 256L << 20;

    /** Heap arrays: made by the JVM, "freed" by dropping them. */
    private static final BlockCache.Allocator<byte[]> HEAP = new BlockCache.Allocator<>() {
        @Override public byte[] allocate(long bytes) { return new byte[Math.toIntExact(bytes)]; }

        @Override public void free(byte[] block) {}
    };

    private final BlockCache<byte[]> cache = BlockCache.untracked(HEAP, SizeClasses.EXACT, CAP_BYTES);

    /** An array of {@code len} codes, contents undefined. */
    byte[] take(int len) { return len == 0 ? new byte[0] : cache.take(len); }

    void give(byte[] b) {
        if (b.length > 0) cache.giveUntracked(b, b.length);
    }
}

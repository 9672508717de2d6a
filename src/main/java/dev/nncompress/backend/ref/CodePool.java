package dev.nncompress.backend.ref;

import java.util.ArrayDeque;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Code arrays of closed {@link ByteTensor}s, by length, for the next tensor of that length: an int8 inference call
 * makes the same arrays batch after batch (what the int8 engine's per-call workspaces did before its steps became
 * backend ops). Bounded: beyond {@link #CAP_BYTES} a returned array is left to the garbage collector. Arrays taken
 * from the pool hold old codes; every op that takes one writes all of it.
 */
final class CodePool {
    /** Enough for a few concurrent teacher calls at batch 256 (~20 MB of codes each). */
    static final long CAP_BYTES = 256L << 20;

    /** Free arrays by length, most recent first (likeliest still in cache); each deque is guarded by itself (uncontended: no node per push, unlike a lock-free deque). */
    private final ConcurrentHashMap<Integer, ArrayDeque<byte[]>> free = new ConcurrentHashMap<>();
    private final AtomicLong held = new AtomicLong();

    /** An array of {@code len} codes, contents undefined. */
    byte[] take(int len) {
        ArrayDeque<byte[]> q = free.get(len);
        byte[] b = null;
        if (q != null) {
            synchronized (q) {
                b = q.pollFirst();
            }
        }
        if (b == null) return new byte[len];
        held.addAndGet(-len);
        return b;
    }

    void give(byte[] b) {
        if (held.addAndGet(b.length) > CAP_BYTES) {
            held.addAndGet(-b.length);
            return;
        }
        ArrayDeque<byte[]> q = free.computeIfAbsent(b.length, k -> new ArrayDeque<>());
        synchronized (q) {
            q.offerFirst(b);
        }
    }
}

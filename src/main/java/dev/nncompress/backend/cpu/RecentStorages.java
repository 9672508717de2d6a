package dev.nncompress.backend.cpu;

/**
 * Keeps the last {@value #DEPTH} tensor storages whose memory this thread handed to native code strongly
 * reachable. An op reads a tensor's raw address and then runs a loop on it; once the JIT sees no later use
 * of the tensor object, the garbage collector may find it unreachable mid-loop, and its Cleaner would give
 * the block back to {@link CpuMemory} (where another thread's allocation can take it, or, past the cache
 * limit, the C heap frees it) while the loop still reads or writes it. {@code Reference.reachabilityFence}
 * in every op would say the same at ~60 call sites; holding the storages here covers every current and
 * future op at one place. An op touches far fewer than {@value #DEPTH} tensors, so a storage stays held
 * until its op has returned. Closed tensors are released by their close as before: this only delays the
 * Cleaner's backstop for forgotten tensors by {@value #DEPTH} later address reads on the same thread.
 */
final class RecentStorages {
    static final int DEPTH = 256;

    private static final class Ring {
        final Object[] held = new Object[DEPTH];
        int next;
    }

    private static final ThreadLocal<Ring> RING = ThreadLocal.withInitial(Ring::new);

    private RecentStorages() {}

    static void hold(Object storage) {
        Ring r = RING.get();
        r.held[r.next] = storage;
        r.next = (r.next + 1) & (DEPTH - 1);
    }
}

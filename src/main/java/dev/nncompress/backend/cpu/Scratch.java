package dev.nncompress.backend.cpu;

import java.util.ArrayDeque;

/**
 * Per-thread reusable off-heap blocks for im2col columns and reordered gradients, so a training step
 * does not malloc and page-fault megabytes per convolution. Blocks only grow; they live as long as
 * their thread (the largest is a few MiB, see {@link CpuConv#block}).
 */
final class Scratch implements AutoCloseable {
    private static final ThreadLocal<ArrayDeque<Scratch>> FREE = ThreadLocal.withInitial(ArrayDeque::new);

    /** Blocks malloc'ed so far, all threads (a steady-state training step adds none: {@code StepAllocationCount}). */
    private static final java.util.concurrent.atomic.LongAdder ALLOCATIONS = new java.util.concurrent.atomic.LongAdder();

    private long address;
    private long capacity;

    private Scratch() {}

    static Scratch floats(long n) {
        ArrayDeque<Scratch> free = FREE.get();
        Scratch s = free.isEmpty() ? new Scratch() : free.pop();
        long bytes = Math.max(64, n * 4);
        if (s.capacity < bytes) {
            if (s.address != 0L) Mem.U.freeMemory(s.address);
            s.address = Mem.U.allocateMemory(bytes);
            s.capacity = bytes;
            ALLOCATIONS.increment();
        }
        return s;
    }

    static long allocations() { return ALLOCATIONS.sum(); }

    long address() { return address; }

    @Override public void close() { FREE.get().push(this); }
}

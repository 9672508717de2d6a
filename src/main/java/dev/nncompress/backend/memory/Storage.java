package dev.nncompress.backend.memory;

import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A block lent by a {@link BlockCache}, shared by the tensors that view it (a tensor and its reshaped views)
 * and counted by them: the CPU and CUDA backends' tensors both sit on this class. The block goes back to its
 * pool once: when the last view is closed ({@link #drop}), when its owner releases it outright
 * ({@link #release}: a buffer's close, a scope's end), or when the garbage collector finds the storage
 * unreachable (a Cleaner, so a forgotten tensor cannot keep its block for good).
 *
 * <p>Where the Cleaner sits matters: on this object, which must stay reachable from whatever an op holds
 * while it uses the block's address. The CUDA ops hold the {@code DeviceBuffer}, which refers to its storage;
 * the CPU ops read a raw address and then hold nothing, so {@code CpuTensor} parks the storage in
 * {@code RecentStorages} as it hands the address out. With the Cleaner on the tensors instead, a temporary
 * tensor the JIT saw no later use of lost its block in the middle of a copy (CI, issue 21; the tests
 * {@code DeviceBufferReleaseGpuTest} and {@code CpuTensorReachabilityTest} hold both backends to this).
 *
 * @param <B> the pool's block type
 */
public final class Storage<B> {
    private static final Cleaner CLEANER = Cleaner.create();
    /** Source of {@link #stamp}s: never repeats in a process. */
    private static final AtomicLong STAMPS = new AtomicLong();

    private final B block;
    private final long bytes;
    private final BlockCache<B> pool;
    private final AtomicInteger refs = new AtomicInteger(1);
    private final AtomicBoolean released = new AtomicBoolean();
    private final Cleaner.Cleanable cleanable; // null: the scope that asked for it releases it
    /**
     * Names the block's contents: new at creation and after every in-place write ({@link #written}), so a value
     * derived from the contents (the CPU's folded batch-norm scale and shift) can be cached under the stamps of
     * its inputs and is recomputed after an optimiser step or a running-statistics update.
     */
    private volatile long stamp = STAMPS.incrementAndGet();
    private volatile Object derived;

    /** The give-back; holds the pool and the block, never the storage (or the Cleaner could never run). */
    private record GiveBack<B>(BlockCache<B> pool, B block) implements Runnable {
        // no driver call (the device pool caches without a limit; a host pool past its limit frees to the C heap), so the Cleaner thread may do it
        @Override public void run() { pool.give(block); }
    }

    private Storage(BlockCache<B> pool, long bytes, boolean backstop) {
        this.pool = pool;
        this.bytes = bytes;
        this.block = pool.take(bytes);
        this.cleanable = backstop ? CLEANER.register(this, new GiveBack<>(pool, block)) : null;
    }

    /** {@code bytes} of a block from {@code pool}, viewed once, given back by the last view or the Cleaner. */
    public static <B> Storage<B> lend(BlockCache<B> pool, long bytes) { return new Storage<>(pool, bytes, true); }

    /**
     * As {@link #lend} without the Cleaner: for a caller that is sure to {@link #release} it (a scope that
     * records its storages), saving the registration, which costs a phantom reference and GC work per block.
     */
    public static <B> Storage<B> lendScoped(BlockCache<B> pool, long bytes) { return new Storage<>(pool, bytes, false); }

    /** The block; the caller checks {@link #isReleased} where a released block must not be used. */
    public B block() { return block; }

    /** The bytes asked for (the block itself may be larger: its size class). */
    public long bytes() { return bytes; }

    /** One more view of the block. */
    public void retain() { refs.incrementAndGet(); }

    /** A view is closed; the last one releases the block. */
    public void drop() {
        if (refs.decrementAndGet() == 0) release();
    }

    /** Gives the block back now, whatever the views; idempotent (the Cleaner's give-back runs at most once). */
    public void release() {
        if (!released.compareAndSet(false, true)) return;
        if (cleanable != null) cleanable.clean();
        else pool.give(block);
    }

    public boolean isReleased() { return released.get(); }

    /** The contents stamp ({@link #stamp}'s doc). */
    public long stamp() { return stamp; }

    /** Every op that writes into an existing block calls this after the write, so values cached from the old contents are not reused. */
    public void written() { stamp = STAMPS.incrementAndGet(); }

    /** A value derived from this block's contents and others' (a backend's cache slot), or null. */
    public Object derived() { return derived; }

    /** Caches a value derived from the contents; immutable values only (published through a volatile field). */
    public void derived(Object value) { derived = value; }
}

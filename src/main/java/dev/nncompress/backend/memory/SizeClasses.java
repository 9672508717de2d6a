package dev.nncompress.backend.memory;

/**
 * How a {@link BlockCache} rounds requests: up to {@code smallLimit} bytes to a multiple of
 * {@code smallUnit}, beyond it to a multiple of {@code largeUnit} (coarser steps for large blocks keep
 * the number of free lists small at a bounded waste). Never 0: CUDA rejects empty allocations, and a
 * host block must hold at least one vector register. All three are powers of two.
 */
public record SizeClasses(long smallUnit, long smallLimit, long largeUnit) {
    /** Device memory (as before on the CUDA pool): 512-byte steps up to 1 MiB, then 128 KiB (under 12.5% waste). */
    public static final SizeClasses DEVICE = new SizeClasses(512, 1L << 20, 128L << 10);
    /**
     * Host memory (as before on the CPU pool): 64-byte steps (the vector kernels' alignment) up to 64 KiB, then
     * 4 KiB pages (under 7% waste from 64 KiB on).
     */
    public static final SizeClasses HOST = new SizeClasses(64, 64L << 10, 4L << 10);
    /**
     * Exact sizes (no rounding but 0 to 1): for blocks whose length is their meaning, the host int8 backends' code
     * arrays ({@code backend.ref.CodePool}), where a tensor's array holds exactly its codes.
     */
    public static final SizeClasses EXACT = new SizeClasses(1, 1L << 62, 1);

    public SizeClasses {
        if (Long.bitCount(smallUnit) != 1 || Long.bitCount(smallLimit) != 1 || Long.bitCount(largeUnit) != 1
                || smallUnit > largeUnit || largeUnit > smallLimit) {
            throw new IllegalArgumentException("size classes need powers of two with smallUnit <= largeUnit <= smallLimit: "
                    + smallUnit + ", " + largeUnit + ", " + smallLimit);
        }
    }

    /** The size class of a request of {@code bytes}. */
    public long of(long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("negative size " + bytes);
        long b = Math.max(bytes, 1);
        long unit = b <= smallLimit ? smallUnit : largeUnit;
        return (b + unit - 1) & -unit;
    }

    /**
     * A small distinct number per size class, the key of its free list: the classes themselves are multiples of
     * the unit, which {@code Long.hashCode} keeps, so every class shared one HashMap bucket (a tree walk per take,
     * seen in batch-1 profiles of the CPU pool).
     */
    long index(long sizeClass) {
        return sizeClass <= smallLimit ? sizeClass / smallUnit : smallLimit / smallUnit + sizeClass / largeUnit;
    }
}

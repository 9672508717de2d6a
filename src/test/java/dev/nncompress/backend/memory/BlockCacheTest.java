package dev.nncompress.backend.memory;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The caching allocator's bookkeeping with a fake allocator (no GPU needed). */
class BlockCacheTest {
    /** Hands out fresh objects as "blocks", records frees, and can be told to fail once memory is "full". */
    static final class FakeAllocator implements BlockCache.Allocator<Object> {
        final java.util.Map<Object, Long> sizes = new java.util.IdentityHashMap<>();
        final List<Object> freed = new ArrayList<>();
        long capacity = Long.MAX_VALUE;
        long live;

        @Override public Object allocate(long bytes) {
            if (live + bytes > capacity) throw new IllegalStateException("out of memory");
            live += bytes;
            Object block = new Object();
            sizes.put(block, bytes);
            return block;
        }

        @Override public void free(Object block) {
            freed.add(block);
            live -= sizes.get(block);
        }
    }

    @Test void deviceSizeClasses() {
        SizeClasses d = SizeClasses.DEVICE;
        assertEquals(512, d.of(0));
        assertEquals(512, d.of(1));
        assertEquals(512, d.of(512));
        assertEquals(1024, d.of(513));
        assertEquals(1L << 20, d.of((1L << 20) - 3));
        assertEquals((1L << 20) + (128L << 10), d.of((1L << 20) + 1));
        for (long b = 1; b < (64L << 20); b = b * 3 + 7) {
            long c = d.of(b);
            assertTrue(c >= b && (c - b) <= Math.max(511, b / 8), b + " -> " + c);
        }
        assertThrows(IllegalArgumentException.class, () -> d.of(-1));
    }

    @Test void hostSizeClassesAndTheirDistinctKeys() {
        SizeClasses h = SizeClasses.HOST;
        assertEquals(64, h.of(0));
        assertEquals(64, h.of(64));
        assertEquals(128, h.of(65));
        assertEquals(65536, h.of(65536));
        assertEquals(65536 + 4096, h.of(65537));
        java.util.Set<Long> keys = new java.util.HashSet<>();
        for (long c = 64; c <= (4L << 20); c = h.of(c + 1)) {
            assertTrue(keys.add(h.index(c)), "size class " + c + " has a free list of its own");
        }
        assertThrows(IllegalArgumentException.class, () -> new SizeClasses(64, 1000, 4096), "not a power of two");
        assertThrows(IllegalArgumentException.class, () -> new SizeClasses(64, 1024, 4096), "large unit above the limit");
    }

    @Test void blocksGivenBackPastTheCacheLimitAreFreed() {
        FakeAllocator a = new FakeAllocator();
        BlockCache<Object> cache = new BlockCache<>(a, SizeClasses.HOST, 8192);
        Object x = cache.take(4096);
        Object y = cache.take(4096);
        Object z = cache.take(64);
        cache.give(x);
        cache.give(y);
        assertEquals(8192, cache.bytesCached());
        assertEquals(List.of(), a.freed);
        cache.give(z); // 64 more bytes would pass the limit
        assertEquals(List.of(z), a.freed);
        assertEquals(8192, cache.bytesCached());
        assertEquals(0, cache.bytesInUse());
    }

    @Test void freedBlocksAreReusedAndCounted() {
        FakeAllocator a = new FakeAllocator();
        BlockCache<Object> cache = new BlockCache<>(a, SizeClasses.DEVICE, BlockCache.UNLIMITED);
        Object x = cache.take(1000);
        Object y = cache.take(1000);
        assertNotSame(x, y);
        assertEquals(2048, cache.bytesInUse());
        cache.give(x);
        assertEquals(1024, cache.bytesInUse());
        assertEquals(1024, cache.bytesCached());
        assertSame(x, cache.take(900), "same size class: the cached block comes back");
        assertEquals(0, cache.bytesCached());
        assertEquals(2, cache.allocations());
        Object z = cache.take(5000); // another class: a new block
        assertEquals(3, cache.allocations());
        cache.give(z);
        cache.give(z); // a second give of the same block is ignored
        assertEquals(5120, cache.bytesCached());
        // a steady loop of the same requests makes no new allocations
        for (int i = 0; i < 100; i++) {
            Object t = cache.take(4700);
            cache.give(t);
        }
        assertEquals(3, cache.allocations());
    }

    @Test void outOfMemoryEmptiesTheCacheAndRetries() {
        FakeAllocator a = new FakeAllocator();
        a.capacity = 4096;
        BlockCache<Object> cache = new BlockCache<>(a, SizeClasses.DEVICE, BlockCache.UNLIMITED);
        Object x = cache.take(2048);
        cache.give(x); // cached: the "device" still holds its 2048 bytes
        Object z = cache.take(3000); // 3072 more do not fit until the cache lets x go
        assertEquals(List.of(x), a.freed, "the cached block was freed to make room");
        assertEquals(0, cache.bytesCached());
        assertEquals(3072, cache.bytesInUse());
        cache.give(z);
        FakeAllocator b = new FakeAllocator();
        b.capacity = 100;
        BlockCache<Object> small = new BlockCache<>(b, SizeClasses.DEVICE, BlockCache.UNLIMITED);
        assertThrows(IllegalStateException.class, () -> small.take(1000), "nothing cached: the failure is the caller's");
    }

    @Test void closeFreesEverythingOnce() {
        FakeAllocator a = new FakeAllocator();
        BlockCache<Object> cache = new BlockCache<>(a, SizeClasses.DEVICE, BlockCache.UNLIMITED);
        Object lent = cache.take(100);
        Object cached = cache.take(100_000);
        cache.give(cached);
        cache.close();
        assertEquals(2, a.freed.size());
        assertTrue(a.freed.contains(lent) && a.freed.contains(cached));
        assertEquals(0, cache.bytesInUse());
        assertEquals(0, cache.bytesCached());
        cache.give(lent); // a tensor closed after the pool: ignored, not freed twice
        cache.close();
        assertEquals(2, a.freed.size());
        assertThrows(IllegalStateException.class, () -> cache.take(10));
    }

    /** The host int8 code arrays' pool (backend.ref.CodePool): exact sizes, no record of what is lent, a cap. */
    @Test void anUntrackedCacheReusesExactSizesKeepsNoLentBlockAndHonoursItsCap() {
        assertEquals(1, SizeClasses.EXACT.of(0));
        assertEquals(777, SizeClasses.EXACT.of(777));
        assertEquals(3L << 40, SizeClasses.EXACT.of(3L << 40));
        FakeAllocator a = new FakeAllocator();
        BlockCache<Object> cache = BlockCache.untracked(a, SizeClasses.EXACT, 1000);
        Object first = cache.take(777), second = cache.take(777);
        assertNotSame(first, second);
        assertEquals(0, cache.bytesInUse(), "nothing lent is recorded");
        cache.giveUntracked(first, 777);
        assertEquals(777, cache.bytesCached());
        assertSame(first, cache.take(777), "the same length gets the given block back");
        assertNotSame(second, cache.take(778), "another length does not");
        cache.giveUntracked(first, 777);
        cache.giveUntracked(second, 777);
        assertEquals(List.of(second), a.freed, "past the cap a returned block is freed");
        assertThrows(IllegalStateException.class, () -> cache.give(first), "an untracked cache needs the size");
        assertThrows(IllegalStateException.class, () -> new BlockCache<>(a, SizeClasses.HOST, 10).giveUntracked(first, 1));

        java.lang.ref.WeakReference<Object> forgotten = new java.lang.ref.WeakReference<>(cache.take(500));
        a.sizes.clear(); // the fake allocator's own record of the block
        for (int i = 0; i < 50 && forgotten.get() != null; i++) System.gc();
        assertEquals(null, forgotten.get(), "a block never given back is left to the garbage collector");
    }
}

package dev.nncompress.backend.memory;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The ref-counted storage both backends' tensors sit on, over a fake allocator (no native memory, no GPU). */
class StorageTest {
    private static BlockCache<Object> pool() {
        return new BlockCache<>(new BlockCacheTest.FakeAllocator(), SizeClasses.HOST, BlockCache.UNLIMITED);
    }

    @Test void theLastViewGivesTheBlockBackOnce() {
        BlockCache<Object> pool = pool();
        Storage<Object> s = Storage.lend(pool, 100);
        assertEquals(128, pool.bytesInUse());
        assertEquals(100, s.bytes());
        s.retain(); // a reshaped view
        s.drop();
        assertFalse(s.isReleased(), "one view is still open");
        assertEquals(128, pool.bytesInUse());
        s.drop();
        assertTrue(s.isReleased());
        assertEquals(0, pool.bytesInUse());
        assertEquals(128, pool.bytesCached());
        s.release(); // a scope or a buffer's close after the views: nothing more
        assertEquals(128, pool.bytesCached());
        Storage<Object> again = Storage.lend(pool, 70);
        assertEquals(s.block(), again.block(), "the cached block is lent again");
        again.release();
    }

    @Test void releaseGivesTheBlockBackWhateverTheViews() {
        BlockCache<Object> pool = pool();
        Storage<Object> scoped = Storage.lendScoped(pool, 1000);
        scoped.retain();
        scoped.release(); // a scope's end
        assertTrue(scoped.isReleased());
        assertEquals(0, pool.bytesInUse());
        scoped.drop();
        scoped.drop();
        assertEquals(1024, pool.bytesCached(), "given back once");
    }

    @Test void writesRenewTheContentsStamp() {
        Storage<Object> s = Storage.lend(pool(), 10);
        long before = s.stamp();
        s.derived("folded");
        s.written();
        assertNotEquals(before, s.stamp());
        assertNotEquals(Storage.lend(pool(), 10).stamp(), s.stamp(), "stamps never repeat");
        assertEquals("folded", s.derived(), "the cached value stays; its users compare the stamps they were made from");
    }

    @Test void theCleanerGivesAForgottenBlockBackButNotAScopedOne() throws InterruptedException {
        BlockCache<Object> pool = pool();
        forget(pool, false);
        assertEquals(64, pool.bytesInUse());
        for (int i = 0; i < 200 && pool.bytesInUse() > 0; i++) {
            System.gc();
            Thread.sleep(10);
        }
        assertEquals(0, pool.bytesInUse(), "the Cleaner gave the forgotten block back");
        forget(pool, true);
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(10);
        }
        assertEquals(64, pool.bytesInUse(), "a scoped storage is its scope's to release, never the Cleaner's");
    }

    private static void forget(BlockCache<Object> pool, boolean scoped) {
        Storage<Object> s = scoped ? Storage.lendScoped(pool, 1) : Storage.lend(pool, 1);
        assertFalse(s.isReleased());
    }
}

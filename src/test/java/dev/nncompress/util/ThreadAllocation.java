package dev.nncompress.util;

import java.lang.management.ManagementFactory;

/**
 * Heap bytes the current thread allocates while running an action (HotSpot's per-thread counter): lets a test
 * show that a reader refused a file before allocating what its header claimed, in the test's own JVM, with no
 * timing and no dependence on the heap size the suite runs with.
 */
public final class ThreadAllocation {
    private static final com.sun.management.ThreadMXBean MX = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private ThreadAllocation() {}

    /** Bytes allocated by this thread while {@code action} ran (wrap an assertThrows in it). */
    public static long during(Runnable action) {
        long before = MX.getCurrentThreadAllocatedBytes();
        action.run();
        return MX.getCurrentThreadAllocatedBytes() - before;
    }
}

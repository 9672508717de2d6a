package dev.nncompress.backend.cpu;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A task's caps, read back from the libraries: OpenMP and our loops capped on the task's thread only, OpenBLAS and
 * libnd4j's threads per op for the process (restored here afterwards: other tests share this JVM).
 */
class TaskThreadsTest {
    @Test
    void aTaskThreadRunsCappedAndOtherThreadsKeepTheirOwnPools() throws Exception {
        assumeTrue(Runtime.getRuntime().availableProcessors() > 1, "one core: every count is 1 anyway");
        TaskThreads.Counts before = onNewThread(TaskThreads::inEffect);
        int master = Nd4j.getEnvironment().maxMasterThreads();
        try {
            TaskThreads.Counts task = onNewThread(() -> TaskThreads.limit(1));
            assertEquals(new TaskThreads.Counts(1, 1, 1, 1), task, task.describe());
            assertTrue(task.within(1));
            TaskThreads.Counts other = onNewThread(TaskThreads::inEffect);
            assertEquals(before.openmp(), other.openmp(), "OpenMP's team size is per thread");
            assertEquals(before.javaLoops(), other.javaLoops(), "the loop cap is per thread");
            assertTrue(other.openmp() > 1 && other.javaLoops() > 1, other.describe());
            assertEquals(1, other.blas(), "OpenBLAS has one count per process");
            assertEquals(1, other.nd4j(), "libnd4j's threads per op are per process");
        } finally {
            Blas.capThreads(BlasThreads.started());
            Nd4j.getEnvironment().setMaxMasterThreads(master);
        }
        assertEquals(before, onNewThread(TaskThreads::inEffect), "restored for the tests after this one");
    }

    private static TaskThreads.Counts onNewThread(java.util.function.Supplier<TaskThreads.Counts> s) throws InterruptedException {
        AtomicReference<TaskThreads.Counts> out = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                out.set(s.get());
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        t.start();
        t.join();
        if (failure.get() != null) throw new AssertionError(failure.get());
        return out.get();
    }
}

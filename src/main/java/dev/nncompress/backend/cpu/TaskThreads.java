package dev.nncompress.backend.cpu;

import org.nd4j.linalg.factory.Environment;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

import java.util.Locale;

/**
 * Caps every CPU thread pool a task runs on at the task's share of the cores, for several tasks in one process (a
 * sweep's points on Spark's {@code local[N]} or on an executor with several cores): N tasks of T threads each keep
 * N x T threads busy, not N x cores.
 *
 * <p>The pools differ in scope, and so does the cap:
 * <ul>
 * <li>OpenMP (libnd4j's and oneDNN's convolutions): per calling thread. {@code omp_set_num_threads} sets the calling
 *     thread's own ICV (libgomp: a thread outside a team gets its own copy), so each task thread has its own team
 *     size and the others keep theirs.</li>
 * <li>Our Java loops ({@link CpuPar}): per calling thread; the helpers are one shared pool, a capped caller splits
 *     into at most its cap.</li>
 * <li>OpenBLAS ({@link BlasThreads}) and libnd4j's threads per op ({@code Environment.maxMasterThreads}): one per process,
 *     so the cap is process-wide; every task of a sweep has the same T, so it is also each task's.</li>
 * </ul>
 * A cap stays for the thread (Spark reuses its task threads for the same sweep's next tasks).
 */
public final class TaskThreads {
    /** What a thread runs with, read back from each library (not from what was asked). */
    public record Counts(int blas, int openmp, int nd4j, int javaLoops) {
        /** {@code blas 1, openmp 1, nd4j 1, java 1}. */
        public String describe() {
            return String.format(Locale.ROOT, "blas %d, openmp %d, nd4j %d, java %d", blas, openmp, nd4j, javaLoops);
        }

        /** Whether no pool runs more than {@code threads}. */
        public boolean within(int threads) {
            return blas <= threads && openmp <= threads && nd4j <= threads && javaLoops <= threads;
        }
    }

    private TaskThreads() {}

    /** Caps the calling thread's pools at {@code threads} (the process-wide ones too, see above); returns what is in effect. */
    public static Counts limit(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads per task must be >= 1, got " + threads);
        CpuRuntime.init();
        Blas.capThreads(threads);
        Environment env = Nd4j.getEnvironment();
        // the threads one libnd4j op uses (maxThreads is its pool's size, fixed at start: lowering it is ignored, measured)
        env.setMaxMasterThreads(Math.min(threads, env.maxMasterThreads()));
        NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(threads);
        CpuPar.limitThisThread(threads);
        return inEffect();
    }

    /** The calling thread's counts now. */
    public static Counts inEffect() {
        CpuRuntime.init();
        Environment env = Nd4j.getEnvironment();
        return new Counts(BlasThreads.cap(), NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads(),
                env.maxMasterThreads(), CpuPar.threadsOfThisThread());
    }
}

package dev.nncompress.spark;

import dev.nncompress.pipeline.RecipeOverrides;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What one Spark task does with its point: {@link PointRun} on this executor, with the task's facts in the row (its
 * attempt, executor, threads and GPU).
 *
 * <p>Retries: a failure of the recipe is deterministic and is the point's failed row at once. A failure that is not
 * the recipe's (the run directory cannot be written, out of memory, the scratch copy cannot be uploaded) is thrown,
 * and Spark runs the task again, up to its {@code maxFailures} attempts; on the last one it becomes the failed row
 * with its error, so that one point never aborts the sweep. An executor that dies under a task (killed, lost) is
 * Spark's to retry the same way; only when that happens on every attempt does Spark abort the job, and
 * {@link SparkSweep#run} still reports every point.
 *
 * @param runDir      {@link SweepDir#of}: an absolute local path, or a Hadoop URI
 * @param maxFailures the attempts Spark gives a task ({@link SparkSweep#maxFailures})
 * @param useGpu      whether the points run on the CUDA backend with the GPU Spark gave their task
 */
record SweepTask(String recipeName, String recipeText, String runDir, int threads, int maxFailures, boolean useGpu) implements Serializable {
    /** The system property the CUDA backend opens its device by (the process's one device, {@code CudaDriver}). */
    static final String CUDA_DEVICE = "nncompress.cuda.device";

    PointResult call(SweepGrid.Point point) {
        TaskContext tc = TaskContext.get();
        int attempt = tc == null ? 0 : tc.attemptNumber();
        SparkEnv env = SparkEnv.get();
        String executorId = env == null ? "driver" : env.executorId();
        String executor = executorId + "@" + (env == null ? "local" : env.blockManager().blockManagerId().host()) + " pid "
                + ProcessHandle.current().pid();
        String gpu = gpuAddress(tc);
        SweepFaults.inject(point.id(), attempt, "driver".equals(executorId));
        long t0 = System.nanoTime();
        try {
            if (useGpu) selectDevice(gpu);
            PointResult r = runHere(point);
            return r.withTask(attempt + 1, executor, r.threads(), gpu);
        } catch (RuntimeException | Error e) {
            if (attempt + 1 < maxFailures) throw e; // Spark runs the task again
            String why = "failed on all " + maxFailures + " attempt(s), the last: " + PointRun.message(e);
            return PointRun.failed(point, RecipeOverrides.describe(point.overrides()), why, t0).withTask(attempt + 1, executor, null, gpu);
        }
    }

    /** The point into the run directory: in place for a local path, else through a scratch directory and Hadoop. */
    private PointResult runHere(SweepGrid.Point point) {
        if (!SweepDir.isUri(runDir)) return PointRun.run(recipeName, recipeText, point, Path.of(runDir), threads);
        Path scratch;
        try {
            scratch = Files.createTempDirectory("nncompress-point-" + point.id() + "-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make a scratch directory for " + point.id() + ": " + e.getMessage(), e);
        }
        try {
            PointResult r = PointRun.run(recipeName, recipeText, point, scratch, threads);
            SweepDir.upload(scratch.resolve(PointRun.POINTS).resolve(point.id()), runDir, point.id());
            return r;
        } finally {
            SweepDir.deleteQuietly(scratch);
        }
    }

    /** The first address of the task's "gpu" resource (Spark's resource scheduling), null when it has none. */
    static String gpuAddress(TaskContext tc) {
        if (tc == null) return null;
        ResourceInformation info = tc.resourcesJMap().get("gpu");
        return info == null || info.addresses().length == 0 ? null : info.addresses()[0];
    }

    /**
     * Points the CUDA backend at the task's GPU before this JVM opens its device. The backend drives one device per
     * process, so an executor serves one GPU: a later task given another one fails here, saying so (one GPU per
     * executor, {@code spark.executor.resource.gpu.amount=1}, is what the sweep asks for).
     */
    static synchronized void selectDevice(String gpu) {
        if (gpu == null) return; // the embedded mode: the process's device (nncompress.cuda.device or 0)
        String had = System.getProperty(CUDA_DEVICE);
        if (had == null) {
            System.setProperty(CUDA_DEVICE, gpu);
        } else if (!had.equals(gpu)) {
            throw new IllegalStateException("this executor's CUDA device is " + had + " (one per process) but the task was given GPU " + gpu
                    + "; give each executor one GPU (spark.executor.resource.gpu.amount=1)");
        }
    }
}

package dev.nncompress.spark;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a sweep asks of Spark (attempts, GPUs, threads) and how it reports an aborted job. No Spark started. */
class SweepSettingsTest {
    @Test
    void attemptsPerTaskFollowTheMaster() {
        assertEquals("local[2,2]", SparkSweep.localMaster(2, 1));
        assertEquals("local[1,2]", SparkSweep.localMaster(2, 4));
        assertEquals(2, SparkSweep.maxFailures("local[2,2]", 4));
        assertEquals(3, SparkSweep.maxFailures("local[*, 3]", 4));
        assertEquals(1, SparkSweep.maxFailures("local[2]", 4), "Spark's local[N] never retries");
        assertEquals(1, SparkSweep.maxFailures("local", 4));
        assertEquals(4, SparkSweep.maxFailures("local-cluster[1,2,1536]", 4), "its own executors: spark.task.maxFailures");
        assertEquals(8, SparkSweep.maxFailures("spark://host:7077", 8));
    }

    @Test
    void gpusAreClaimedPerTaskAndPerExecutorOnAClusterOnly() {
        Map<String, String> c = SparkSweep.settings("spark://h:7077", 4, true, Path.of("/opt/discover.sh"));
        assertEquals("4", c.get("spark.task.cpus"));
        assertEquals("4", c.get("spark.executorEnv.OMP_NUM_THREADS"));
        assertEquals("1", c.get("spark.task.resource.gpu.amount"));
        assertEquals("1", c.get("spark.executor.resource.gpu.amount"), "the CUDA backend drives one device per process");
        assertEquals("/opt/discover.sh", c.get("spark.executor.resource.gpu.discoveryScript"));
        assertFalse(c.containsKey("spark.driver.host"), "a real cluster reaches the driver on its own address");
        Map<String, String> local = SparkSweep.settings("local[2,2]", 1, true, Path.of("/opt/discover.sh"));
        assertFalse(local.containsKey("spark.task.resource.gpu.amount"), "embedded: the process's device, one point at a time");
        assertEquals("1", local.get("spark.task.cpus"));
        assertFalse(SparkSweep.settings("yarn", 1, false, null).containsKey("spark.task.resource.gpu.amount"));
    }

    @Test
    void theGpuPlanFallsBackToTheCpuOnceWhenNoneIsUsableHere() {
        GpuDiscovery.Plan none = GpuDiscovery.plan("cuda", "auto", true, () -> "no NVIDIA driver (libcuda.so.1 not found)");
        assertFalse(none.gpus());
        assertTrue(none.cpuFallback());
        assertEquals("gpu       none usable here (no NVIDIA driver (libcuda.so.1 not found)): the points run on the CPU (backend=cpu)", none.note());
        assertTrue(GpuDiscovery.plan("cuda", "auto", true, () -> null).gpus());
        assertTrue(GpuDiscovery.plan("cuda", "auto", false, () -> { throw new AssertionError("a cluster's GPUs are Spark's to find"); }).gpus());
        GpuDiscovery.Plan cpu = GpuDiscovery.plan("cpu", "auto", true, () -> { throw new AssertionError("no probe for a CPU recipe"); });
        assertFalse(cpu.gpus());
        assertNull(cpu.note());
        assertFalse(GpuDiscovery.plan("cuda", "0", true, () -> null).gpus());
        assertTrue(GpuDiscovery.plan("auto", "1", false, () -> null).gpus());
        assertFalse(GpuDiscovery.plan("auto", "1", true, () -> "none").cpuFallback(), "backend auto picks the CPU itself");
        assertThrows(IllegalArgumentException.class, () -> GpuDiscovery.plan("cuda", "2", true, () -> null));
    }

    @Test
    void anExecutorKeepsTheGpuItOpenedFirst() {
        String had = System.getProperty(SweepTask.CUDA_DEVICE);
        try {
            System.clearProperty(SweepTask.CUDA_DEVICE);
            SweepTask.selectDevice("1");
            assertEquals("1", System.getProperty(SweepTask.CUDA_DEVICE));
            SweepTask.selectDevice("1");
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> SweepTask.selectDevice("0"));
            assertTrue(e.getMessage().startsWith("this executor's CUDA device is 1 (one per process) but the task was given GPU 0"), e.getMessage());
        } finally {
            if (had == null) System.clearProperty(SweepTask.CUDA_DEVICE);
            else System.setProperty(SweepTask.CUDA_DEVICE, had);
        }
    }

    @Test
    void anAbortedJobStillReportsEveryPoint() {
        dev.nncompress.pipeline.Recipe r = SparkSweepTest.quick();
        List<SweepGrid.Point> points = SweepGrid.points(r, "quantize.observer=minmax,kl,mse", 1);
        PointResult p0 = new PointResult("p0", "quantize.observer=minmax", 42, PointResult.OK, null, 0.5, 0.6, 100, 1, 1, 2);
        String reason = "Job aborted due to stage failure: Task 2 in stage 0.0 failed 4 times, most recent failure: Lost task 2.3 (executor 5): ExecutorLostFailure";
        List<PointResult> rows = SparkSweep.afterAbort(points, List.of(p0, p0), reason, 4);
        assertEquals(3, rows.size());
        assertEquals(p0, rows.get(0), "a point that finished keeps its row (once)");
        assertEquals(PointResult.FAILED, rows.get(1).status());
        assertEquals("not finished: the sweep's job was aborted when p2 failed: " + reason, rows.get(1).error());
        assertEquals(0, rows.get(1).attempts());
        assertEquals("Spark gave up on the point: " + reason, rows.get(2).error());
        assertEquals(4, rows.get(2).attempts());
        assertEquals("quantize.observer=mse", rows.get(2).overrides());
    }
}

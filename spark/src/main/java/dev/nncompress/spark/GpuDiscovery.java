package dev.nncompress.spark;

import dev.nncompress.backend.cuda.driver.CudaDriver;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where a sweep's GPUs come from. On a cluster Spark finds them, through a discovery script on each executor
 * ({@code scripts/gpu/discover-gpus.sh}, nvidia-smi's list; a standalone Worker's own
 * {@code spark.worker.resource.gpu.*} serve as well); in the embedded mode the CUDA backend's own probe says whether
 * this process can use one.
 */
final class GpuDiscovery {
    /** The script's path inside the checkout, from the module's jar ({@code spark/target}) or the working directory. */
    static final String SCRIPT = "scripts/gpu/discover-gpus.sh";
    /** Names another discovery script (e.g. one at the same path on every node of a cluster). */
    static final String SCRIPT_PROPERTY = "nncompress.sweep.gpuDiscoveryScript";

    private GpuDiscovery() {}

    /**
     * How a sweep uses GPUs: {@code gpus} whether each task claims one, {@code cpuFallback} whether the recipe's cuda
     * backend is replaced by the CPU's (embedded, none usable here), {@code note} the one line that says so (null: none).
     */
    record Plan(boolean gpus, boolean cpuFallback, String note) {}

    /**
     * The plan for a recipe on {@code backend} with {@code --gpus-per-task option} (auto, 0, 1): auto claims a GPU for
     * a cuda recipe. Embedded, {@code unavailable} (the CUDA probe, asked only then) decides: none usable, the points
     * run on the CPU, said once. On a cluster the executors' GPUs are Spark's to find.
     */
    static Plan plan(String backend, String option, boolean embedded, java.util.function.Supplier<String> unavailable) {
        if (!java.util.List.of("auto", "0", "1").contains(option)) throw new IllegalArgumentException("--gpus-per-task is auto, 0 or 1, got " + option);
        boolean cuda = "cuda".equals(backend);
        boolean gpus = option.equals("1") || option.equals("auto") && cuda;
        if (!gpus) return new Plan(false, false, null);
        if (!embedded) return new Plan(true, false, "gpu       one per task and per executor (Spark resource scheduling)");
        String why = unavailable.get();
        if (why == null) return new Plan(true, false, "gpu       this process's CUDA device, one point at a time");
        return new Plan(false, cuda, "gpu       none usable here (" + why + "): the points run on the CPU" + (cuda ? " (backend=cpu)" : ""));
    }

    /** The discovery script to give Spark, absolute; null when none is found (the cluster's configuration must name one). */
    static Path script() {
        String named = System.getProperty(SCRIPT_PROPERTY);
        if (named != null && !named.isBlank()) return Path.of(named).toAbsolutePath();
        try {
            Path jar = Path.of(GpuDiscovery.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            // spark/target/nncompress-spark.jar or spark/target/classes: the checkout is three levels up
            Path root = jar.getParent() == null || jar.getParent().getParent() == null ? null : jar.getParent().getParent().getParent();
            if (root != null && Files.isRegularFile(root.resolve(SCRIPT))) return root.resolve(SCRIPT).toAbsolutePath();
        } catch (URISyntaxException | RuntimeException e) {
            // no code source (an unusual class loader): try the working directory
        }
        Path here = Path.of(SCRIPT);
        return Files.isRegularFile(here) ? here.toAbsolutePath() : null;
    }

    /** Null when this process can run the CUDA backend, else why not, in one line (the backend's own probe). */
    static String unavailableHere() {
        return CudaDriver.unavailableReason();
    }
}

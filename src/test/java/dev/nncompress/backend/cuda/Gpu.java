package dev.nncompress.backend.cuda;

import dev.nncompress.backend.cuda.driver.CudaDriver;

import org.junit.jupiter.api.Assumptions;

/** For {@code @Tag("gpu")} tests: skip, naming the reason, where no usable CUDA device is present. */
public final class Gpu {
    private Gpu() {}

    /** Skips the calling test unless {@link CudaDriver} opened a device; returns the driver otherwise. */
    public static CudaDriver driverOrSkip() {
        String why = CudaDriver.unavailableReason();
        Assumptions.assumeTrue(why == null, () -> "no GPU: " + why);
        return CudaDriver.get();
    }

    /** System property: run the training tests at their GPU sizes under the emulation too (emulated-gpu-tests.sh --all). */
    public static final String FULL_SIZES_PROPERTY = "nncompress.emulation.fullSizes";

    /**
     * Whether the training tests run at small sizes (images, samples, batches; the same code paths and
     * tolerances): on the CPU emulation (CudaEmulation, scripts/emulated-gpu-tests.sh in CI), where a
     * training step takes seconds, unless {@value #FULL_SIZES_PROPERTY} is set. Skips as
     * {@link #driverOrSkip()} without a device.
     */
    public static boolean smallSizes() { return driverOrSkip().info().emulated() && !Boolean.getBoolean(FULL_SIZES_PROPERTY); }
}

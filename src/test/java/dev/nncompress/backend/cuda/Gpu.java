package dev.nncompress.backend.cuda;

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
}

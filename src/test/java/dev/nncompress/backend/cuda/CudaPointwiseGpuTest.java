package dev.nncompress.backend.cuda;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.PointwiseContractTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;

/**
 * The pointwise contract on the GPU: our kernels (activation.cu, broadcast.cu, softmax.cu) launched from
 * Java against their twins. Skips, naming the reason, without a usable GPU.
 */
@Tag("gpu")
class CudaPointwiseGpuTest extends PointwiseContractTest {
    private static CudaBackend gpu;

    @BeforeAll static void open() {
        Gpu.driverOrSkip();
        gpu = new CudaBackend();
    }

    @AfterAll static void close() {
        if (gpu != null) gpu.close();
    }

    @Override protected Backend backend() { return gpu; }

    /** exp and tanh in double on the device may differ from Java's in the last double bit: rarely one float ulp. */
    @Override protected double transcendental() { return 1e-6; }
}

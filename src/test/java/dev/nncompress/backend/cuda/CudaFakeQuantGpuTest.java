package dev.nncompress.backend.cuda;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.FakeQuantContractTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;

/** The fake-quantisation contract on the GPU: nnc_fake_quantize_s8 and its backward launched from Java against their twins. Skips without a usable GPU. */
@Tag("gpu")
class CudaFakeQuantGpuTest extends FakeQuantContractTest {
    private static CudaBackend gpu;

    @BeforeAll static void open() {
        Gpu.driverOrSkip();
        gpu = new CudaBackend();
    }

    @AfterAll static void close() {
        if (gpu != null) gpu.close();
    }

    @Override protected Backend backend() { return gpu; }
}

package dev.nncompress.backend.cuda;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.Int8OpsContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;

/**
 * {@link Int8OpsContract} on the cuda backend: its int8 ops on device codes (int8_codes.cu, gemm_s8.cu) against the
 * Java twin, bit for bit, every case of the cpu backend's contract. Under the emulated driver this proves the logic
 * (index maps, layouts, epilogues, tables), never speed.
 */
@Tag("gpu")
class CudaInt8OpsGpuTest extends Int8OpsContract {
    private static CudaBackend cuda;

    @BeforeAll
    static void device() {
        Gpu.driverOrSkip();
        cuda = new CudaBackend();
    }

    @AfterAll
    static void release() {
        if (cuda != null) cuda.close();
    }

    @Override protected Backend other() { return cuda; }
}

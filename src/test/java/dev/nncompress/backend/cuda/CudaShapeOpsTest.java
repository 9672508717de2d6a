package dev.nncompress.backend.cuda;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ShapeOpsContractTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;

/**
 * The shapes family's contract for CudaBackend: nnc_shape_copy_block, nnc_shape_mean(_backward) and the
 * pool kernels' ceil mode, asymmetric padding and count_include_pad (launched from Java) against their
 * twins, on the vendor route the process chose (cuDNN pooling hands those windows to ours). Skips,
 * naming the reason, without a usable GPU.
 */
@Tag("gpu")
class CudaShapeOpsTest extends ShapeOpsContractTest {
    static CudaBackend GPU;

    @BeforeAll static void open() {
        Gpu.driverOrSkip();
        GPU = new CudaBackend();
    }

    @AfterAll static void close() {
        if (GPU != null) GPU.close();
    }

    @Override protected Backend backend() { return GPU; }
}

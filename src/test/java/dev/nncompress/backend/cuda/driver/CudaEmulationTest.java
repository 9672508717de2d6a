package dev.nncompress.backend.cuda.driver;

import dev.nncompress.backend.cuda.CudaBackend;
import dev.nncompress.backend.cuda.Gpu;

import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicReference;

import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What the emulated CUDA driver (cuda-kernels/emu/driver, {@link CudaEmulation}) adds to the GPU tests
 * that run on it: it says it is an emulation everywhere the backend is printed, our kernels stand in
 * for cuBLAS/cuDNN, and it refuses what a device refuses (oversized blocks, a kernel's launch bounds,
 * copies past an allocation, work on a thread without a current context, kernels it does not have)
 * with the device's error instead of running it. Skips unless the emulated driver is the one loaded
 * (scripts/test.sh runs the gpu-tagged tests with -Dnncompress.cuda.emulatedDriver).
 */
@Tag("gpu")
class CudaEmulationTest {
    static CudaDriver driver;

    @BeforeAll static void open() {
        driver = Gpu.driverOrSkip();
        assumeTrue(driver.info().emulated(), () -> "not the emulated driver: " + driver.info().name());
    }

    @Test void saysItIsAnEmulationAndFallsBackToOurKernels() {
        try (CudaBackend b = new CudaBackend()) {
            assertTrue(b.describe().startsWith("emulated, not a GPU: nncompress emulated device (CPU), CC 9.0"), b.describe());
            // no cuBLAS / cuDNN here: the routing falls back to our kernels, which is what these tests then exercise
            assertTrue(b.blasName().startsWith("own"), b.blasName());
            assertTrue(b.dnnName().startsWith("own"), b.dnnName());
        }
    }

    @Test void launchesRunAndDeviceLimitsAreRefused() {
        Kernel fill = driver.kernel("nnc_ew_fill");
        try (DeviceBuffer out = DeviceBuffer.allocate(300 * 4L)) {
            fill.launch(Kernel.Dim3.of(2), Kernel.Dim3.of(256), 0, out, 1.5f, 300L);
            float[] expected = new float[300];
            java.util.Arrays.fill(expected, 1.5f);
            assertArrayEquals(expected, out.toFloats());
            assertDriverError("CUDA_ERROR_INVALID_VALUE", () -> fill.launch(Kernel.Dim3.of(1), Kernel.Dim3.of(2048), 0, out, 0f, 300L));
            // past sm_90's 227 KiB opt-in: Kernel's cuFuncSetAttribute is refused, as on the device
            assertDriverError("CUDA_ERROR_INVALID_VALUE", () -> fill.launch(Kernel.Dim3.of(1), Kernel.Dim3.of(256), 300 * 1024, out, 0f, 300L));
            // nnc_sparse_conv_zero_planes is __launch_bounds__(256): 512 threads are too many resources
            try (DeviceBuffer planes = DeviceBuffer.of(new int[] {0})) {
                assertDriverError("CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES", () -> driver.kernel("nnc_sparse_conv_zero_planes")
                        .launch(Kernel.Dim3.of(1), Kernel.Dim3.of(512), 0, out, planes, 1, 1, 1, 300L));
            }
            assertArrayEquals(expected, out.toFloats(), "a refused launch writes nothing");
        }
    }

    @Test void copiesPastAnAllocationAreRefused() {
        try (DeviceBuffer small = DeviceBuffer.allocate(16)) {
            assertDriverError("CUDA_ERROR_INVALID_VALUE", () -> cuMemcpyHtoD(small.pointer(), Pointer.to(new float[8]), 32));
            small.write(new float[4]); // the exact size is fine
        }
    }

    @Test void unknownKernelsAreNotFoundAndTheInlinePtxOnesAreThere() {
        assertDriverError("CUDA_ERROR_NOT_FOUND", () -> driver.kernel("nnc_no_such_kernel"));
        // the tensor-core int8 GEMM's inline PTX is emulated (ptx_emu.h); GemmS8GpuTest checks its results
        driver.kernel("nnc_gemm_s8_mma");
        driver.kernel("nnc_gemm_s8_mma_anyk");
    }

    @Test void workOnAThreadWithoutItsContextIsRefused() throws InterruptedException {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                cuMemAlloc(new CUdeviceptr(), 64); // no makeCurrent() on this thread
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        t.start();
        t.join();
        CudaException e = assertInstanceOf(CudaException.class, thrown.get());
        assertTrue(e.getMessage().contains("CUDA_ERROR_INVALID_CONTEXT"), e.getMessage());
    }

    private static void assertDriverError(String error, Runnable call) {
        CudaException e = assertThrows(CudaException.class, call::run);
        assertTrue(e.getMessage().contains(error), () -> "expected " + error + ", got " + e.getMessage());
        driver.synchronize(); // the context stays usable after a refused call, as on a device
        assertEquals(null, CudaDriver.unavailableReason());
    }
}

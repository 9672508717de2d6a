package dev.nncompress.backend.cuda.kernels;

import dev.nncompress.backend.cuda.driver.CudaDriver;
import dev.nncompress.backend.cuda.driver.Kernel;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The launcher's choices that need no GPU: kernel per variant and k, tile grid, default variant. */
class GemmS8LaunchTest {
    private static CudaDriver.DeviceInfo device(int major, int minor) {
        return new CudaDriver.DeviceInfo(0, "test", major, minor, 1L << 30, 1, "13.0");
    }

    @Test
    void theCpAsyncKernelRunsOnlyWhenRowsAre16ByteMultiples() {
        assertEquals("nnc_gemm_s8_mma", GemmS8.kernelName(GemmS8.Variant.TENSOR_CORE, 4096));
        assertEquals("nnc_gemm_s8_mma", GemmS8.kernelName(GemmS8.Variant.TENSOR_CORE, 48));
        assertEquals("nnc_gemm_s8_mma_anyk", GemmS8.kernelName(GemmS8.Variant.TENSOR_CORE, 1001));
        assertEquals("nnc_gemm_s8_mma_anyk", GemmS8.kernelName(GemmS8.Variant.TENSOR_CORE, 8));
        assertEquals("nnc_gemm_s8_mma_anyk", GemmS8.kernelName(GemmS8.Variant.TENSOR_CORE_ANY_K, 64));
        assertEquals("nnc_gemm_s8_dp4a", GemmS8.kernelName(GemmS8.Variant.DP4A, 64));
    }

    @Test
    void gridCoversEveryOutputTile() {
        assertEquals(new Kernel.Dim3(1, 1, 1), GemmS8.grid(GemmS8.Variant.TENSOR_CORE, 1, 1));
        assertEquals(new Kernel.Dim3(8, 2, 1), GemmS8.grid(GemmS8.Variant.TENSOR_CORE, 129, 999));
        assertEquals(new Kernel.Dim3(16, 3, 1), GemmS8.grid(GemmS8.Variant.DP4A, 129, 999));
        assertThrows(IllegalArgumentException.class, () -> GemmS8.grid(GemmS8.Variant.DP4A, 64 * 65_536, 1));
    }

    @Test
    void tensorCoresFromComputeCapability75OnUnlessForced() {
        assertEquals(GemmS8.Variant.TENSOR_CORE, GemmS8.defaultVariant(device(7, 5)));
        assertEquals(GemmS8.Variant.TENSOR_CORE, GemmS8.defaultVariant(device(9, 0)));
        assertEquals(GemmS8.Variant.DP4A, GemmS8.defaultVariant(device(7, 0)));
        String old = System.getProperty(GemmS8.VARIANT_PROPERTY);
        try {
            System.setProperty(GemmS8.VARIANT_PROPERTY, "dp4a");
            assertEquals(GemmS8.Variant.DP4A, GemmS8.defaultVariant(device(9, 0)));
            System.setProperty(GemmS8.VARIANT_PROPERTY, "tensor_core_any_k");
            assertEquals(GemmS8.Variant.TENSOR_CORE_ANY_K, GemmS8.defaultVariant(device(9, 0)));
            System.setProperty(GemmS8.VARIANT_PROPERTY, "wmma");
            assertThrows(IllegalArgumentException.class, () -> GemmS8.defaultVariant(device(9, 0)));
        } finally {
            if (old == null) System.clearProperty(GemmS8.VARIANT_PROPERTY);
            else System.setProperty(GemmS8.VARIANT_PROPERTY, old);
        }
    }
}

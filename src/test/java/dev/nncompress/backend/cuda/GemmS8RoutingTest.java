package dev.nncompress.backend.cuda;

import dev.nncompress.backend.GemmS8Epilogue;
import dev.nncompress.backend.cuda.driver.DeviceBuffer;
import dev.nncompress.backend.cuda.kernels.Blas;
import dev.nncompress.backend.cuda.kernels.OwnBlas;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which int8 GEMMs go to cublasGemmEx and which stay on our gemm_s8, without a GPU: cuBLAS's shape
 * rule, a BLAS without int8, and CudaInt8Kernels' choice by epilogue, zero point and forced variant.
 */
class GemmS8RoutingTest {
    /** A vendor BLAS as far as the routing sees it: cuBLAS's int8 rule, nothing runs. */
    private static final Blas CUBLAS_LIKE = new Blas() {
        @Override public String name() { return "cuBLAS (stand-in)"; }

        @Override public void gemm(DeviceBuffer a, long offA, long strideA, int lda, boolean transA, DeviceBuffer b, long offB,
                                   long strideB, int ldb, boolean transB, DeviceBuffer c, long offC, long strideC, int ldc, int m,
                                   int n, int k, int batch, float alpha, float beta) {
            throw new AssertionError("not called");
        }

        @Override public String gemmS8Refusal(int m, int n, int k) { return Blas.cublasGemmExRefusal(m, n, k); }
    };

    @Test
    void cublasGemmExTakesMultiplesOfFourOnly() {
        assertNull(Blas.cublasGemmExRefusal(1024, 1024, 1024));
        assertNull(Blas.cublasGemmExRefusal(68, 132, 36));
        assertNull(Blas.cublasGemmExRefusal(4, 4, 4));
        assertEquals("cublasGemmEx int8 needs m, n, k multiples of 4, got 3, 4, 4", Blas.cublasGemmExRefusal(3, 4, 4));
        assertTrue(Blas.cublasGemmExRefusal(4, 6, 4).contains("multiples of 4"));
        assertTrue(Blas.cublasGemmExRefusal(4, 4, 1001).contains("multiples of 4"));
        assertTrue(Blas.cublasGemmExRefusal(0, 4, 4).startsWith("empty product"));
    }

    @Test
    void ourGemmF32HasNoInt8Gemm() {
        Blas own = new OwnBlas(null); // routing questions only: nothing is launched
        assertEquals("own gemm_f32 has no int8 GEMM", own.gemmS8Refusal(1024, 1024, 1024));
        assertThrows(UnsupportedOperationException.class, () -> own.gemmS8(null, null, null, 4, 4, 4));
    }

    @Test
    void onlyTheInt32CaseWithoutZeroPointGoesToTheVendorWhenSizesQualify() {
        GemmS8Epilogue s32 = GemmS8Epilogue.s32();
        assertTrue(CudaInt8Kernels.useVendor(CUBLAS_LIKE, false, s32, 64, 128, 256));
        assertFalse(CudaInt8Kernels.useVendor(CUBLAS_LIKE, false, s32, 63, 128, 256), "shape");
        assertFalse(CudaInt8Kernels.useVendor(CUBLAS_LIKE, true, s32, 64, 128, 256), "a forced gemm_s8 variant wins");
        assertFalse(CudaInt8Kernels.useVendor(null, false, s32, 64, 128, 256), "no vendor BLAS");
        assertFalse(CudaInt8Kernels.useVendor(new OwnBlas(null), false, s32, 64, 128, 256), "ours has none");
        int[] wsum = new int[128];
        assertFalse(CudaInt8Kernels.useVendor(CUBLAS_LIKE, false, s32.withActivationZeroPoint(5, wsum), 64, 128, 256), "zero point");
        float[] scale = new float[128];
        java.util.Arrays.fill(scale, 0.01f);
        assertFalse(CudaInt8Kernels.useVendor(CUBLAS_LIKE, false, GemmS8Epilogue.f32(scale, null, false), 64, 128, 256), "fused float");
        assertFalse(CudaInt8Kernels.useVendor(CUBLAS_LIKE, false, GemmS8Epilogue.s8(scale, null, true, 0.1f, 0), 64, 128, 256),
                "fused requantisation");
    }
}

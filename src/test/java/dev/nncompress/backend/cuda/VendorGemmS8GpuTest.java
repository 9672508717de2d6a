package dev.nncompress.backend.cuda;

import dev.nncompress.backend.GemmS8Epilogue;
import dev.nncompress.backend.cuda.driver.DeviceBuffer;
import dev.nncompress.backend.cuda.kernels.Blas;
import dev.nncompress.backend.ref.ReferenceGemmS8;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * cublasGemmEx's int8 GEMM (CUDA_R_8I in, CUDA_R_32I out), through bytedeco's cuBLAS 13 and through
 * JCublas, against ReferenceGemmS8's int32 output bit for bit (exact integer sums), on shapes that
 * qualify (multiples of 4, not of 16 or 64; full int8 range including -128 * -128). Skips, naming the
 * reason, without a GPU or without the library.
 */
@Tag("gpu")
class VendorGemmS8GpuTest {
    static final int[][] SHAPES = {{4, 4, 4}, {68, 132, 36}, {132, 68, 1028}, {256, 12, 4092}, {1024, 1024, 1024}};

    @Test
    void cublasMatchesTheTwinBitForBit() { check(VendorBlasGpuTest.cublasOrSkip()); }

    @Test
    void jcublasMatchesTheTwinBitForBit() { check(VendorBlasGpuTest.jcublasOrSkip()); }

    static void check(Blas blas) {
        for (int[] s : SHAPES) {
            int m = s[0], n = s[1], k = s[2];
            assertNull(blas.gemmS8Refusal(m, n, k));
            SplittableRandom rnd = new SplittableRandom(m * 31L + n * 7L + k);
            byte[] a = new byte[m * k], b = new byte[n * k];
            for (int i = 0; i < a.length; i++) a[i] = (byte) rnd.nextInt(-128, 128);
            for (int i = 0; i < b.length; i++) b[i] = (byte) rnd.nextInt(-128, 128);
            a[0] = b[0] = -128; // the one product (16384) no int8 x int8 instruction may saturate
            int[] want = ReferenceGemmS8.gemmS8(a, b, m, n, k, GemmS8Epilogue.s32()).s32();
            try (DeviceBuffer da = DeviceBuffer.of(a); DeviceBuffer db = DeviceBuffer.of(b); DeviceBuffer dc = DeviceBuffer.allocate(4L * m * n)) {
                blas.gemmS8(da, db, dc, m, n, k);
                assertArrayEquals(want, dc.toInts(), blas.name() + " at " + m + "x" + n + "x" + k);
            }
        }
    }
}

package dev.nncompress.backend.cuda;

import dev.nncompress.backend.GemmS8Epilogue;
import dev.nncompress.backend.GemmS8Output;
import dev.nncompress.backend.Int8Kernels;
import dev.nncompress.backend.ref.JavaInt8Kernels;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * The int8 engine's CUDA kernels against the Java twin, bit for bit, with packed weights reused across
 * calls and outputs larger than m x n (as the engine passes them), in the S8 and F32 modes the engine uses,
 * and in S32, which goes to cublasGemmEx where the process has cuBLAS and the shape qualifies (256x64x784).
 */
@Tag("gpu")
class CudaInt8KernelsGpuTest {
    @ParameterizedTest(name = "{0}x{1}x{2}")
    @CsvSource({"1, 10, 64", "200, 8, 9", "6272, 16, 72", "256, 64, 784", "257, 130, 1152"})
    void gemmMatchesTheJavaTwin(int m, int n, int k) {
        Gpu.driverOrSkip();
        SplittableRandom r = new SplittableRandom(m * 31L + n * 7L + k);
        byte[] a = new byte[m * k], b = new byte[n * k];
        for (int i = 0; i < a.length; i++) a[i] = (byte) r.nextInt(-128, 128);
        for (int i = 0; i < b.length; i++) b[i] = (byte) r.nextInt(-128, 128);
        float[] scale = new float[n], bias = new float[n];
        for (int j = 0; j < n; j++) {
            scale[j] = (float) (1e-4 + r.nextDouble() * 1e-3);
            bias[j] = (float) r.nextGaussian();
        }
        Int8Kernels java = new JavaInt8Kernels(1);
        Int8Kernels cuda = new CudaInt8Kernels();
        Int8Kernels.PackedS8 pj = java.pack(b, n, k), pc = cuda.pack(b, n, k);
        GemmS8Epilogue s8 = GemmS8Epilogue.s8(scale, bias, true, 0.05f, -128).withActivationZeroPoint(-7, pj.rowSums());
        GemmS8Epilogue f32 = GemmS8Epilogue.f32(scale, null, false).withActivationZeroPoint(3, pj.rowSums());
        for (int call = 0; call < 2; call++) {
            byte[] want = new byte[m * n + 5], got = new byte[m * n + 5];
            java.gemm(a, m, pj, s8, GemmS8Output.ofS8(want));
            cuda.gemm(a, m, pc, s8, GemmS8Output.ofS8(got));
            assertArrayEquals(want, got, "s8 call " + call);
            float[] wf = new float[m * n], gf = new float[m * n];
            java.gemm(a, m, pj, f32, GemmS8Output.ofF32(wf));
            cuda.gemm(a, m, pc, f32, GemmS8Output.ofF32(gf));
            assertArrayEquals(wf, gf, "f32 call " + call);
            int[] wi = new int[m * n], gi = new int[m * n];
            java.gemm(a, m, pj, GemmS8Epilogue.s32(), GemmS8Output.ofS32(wi));
            cuda.gemm(a, m, pc, GemmS8Epilogue.s32(), GemmS8Output.ofS32(gi));
            assertArrayEquals(wi, gi, "s32 call " + call);
        }
    }
}

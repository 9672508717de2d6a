package dev.nncompress.backend.cuda;

import dev.nncompress.backend.cuda.driver.CudaDriver;
import dev.nncompress.backend.cuda.driver.DeviceBuffer;
import dev.nncompress.backend.cuda.kernels.Blas;
import dev.nncompress.backend.cuda.kernels.CudaOps;
import dev.nncompress.backend.cuda.kernels.OwnBlas;
import dev.nncompress.backend.cuda.vendor.BytedecoCuda;
import dev.nncompress.backend.cuda.vendor.CublasBlas;
import dev.nncompress.backend.cuda.vendor.JcublasBlas;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.Random;

/**
 * cuBLAS (through bytedeco) and our gemm_f32 against a double-precision CPU loop of the {@link Blas}
 * contract, on odd shapes: all four transpose combinations, leading dimensions wider than the rows,
 * element offsets, strided batches, a broadcast operand (stride 0) and beta != 0. Tolerance: 1e-5 of
 * the largest |reference| (float sums of up to 333 products against double ones; no TF32). Skips,
 * naming the reason, without a GPU or without the vendor library (cuBLAS 13 for bytedeco's route,
 * cuBLAS 12 for JCublas 12.6's).
 */
@Tag("gpu")
class VendorBlasGpuTest {
    record Case(int m, int n, int k, int batch, boolean transA, boolean transB, boolean broadcastB, float alpha, float beta) {}

    static final Case[] CASES = {
            new Case(1, 1, 1, 1, false, false, false, 1f, 0f),
            new Case(37, 53, 29, 1, false, false, false, 1f, 0f),
            new Case(130, 67, 333, 2, true, false, false, 1f, 0f),
            new Case(65, 129, 17, 3, false, true, true, 0.5f, 0f),
            new Case(33, 7, 131, 5, true, true, false, 1f, 0.75f),
            new Case(200, 3, 9, 1, false, true, false, -2f, 1f),
    };

    @Test
    void ourGemmMatchesTheCpuLoop() {
        CudaDriver d = Gpu.driverOrSkip();
        check(new OwnBlas(new CudaOps(d)));
    }

    @Test
    void cublasMatchesTheCpuLoop() { check(cublasOrSkip()); }

    @Test
    void jcublasMatchesTheCpuLoop() { check(jcublasOrSkip()); }

    /** cuBLAS 13 through bytedeco; skips, naming the reason, without a GPU or the library. */
    static Blas cublasOrSkip() {
        CudaDriver d = Gpu.driverOrSkip();
        String why = BytedecoCuda.load(CublasBlas.PRESET);
        Assumptions.assumeTrue(why == null, () -> "cuBLAS unavailable: " + why);
        return new CublasBlas(d);
    }

    /** cuBLAS through JCublas; skips, naming the reason, without a GPU or the library. */
    static Blas jcublasOrSkip() {
        CudaDriver d = Gpu.driverOrSkip();
        String why = JcublasBlas.loadFailure();
        Assumptions.assumeTrue(why == null, () -> JcublasBlas.label() + " unavailable: " + why);
        return new JcublasBlas(d);
    }

    static void check(Blas blas) {
        Random rnd = new Random(11);
        for (Case c : CASES) {
            // stored shapes: A is [m, k] or (transA) [k, m]; B is [k, n] or [n, k]; pitch = columns + 3
            int aRows = c.transA ? c.k : c.m, aCols = c.transA ? c.m : c.k;
            int bRows = c.transB ? c.n : c.k, bCols = c.transB ? c.k : c.n;
            int lda = aCols + 3, ldb = bCols + 3, ldc = c.n + 3;
            long offA = 5, offB = 7, offC = 2;
            long strideA = (long) aRows * lda + 1, strideB = c.broadcastB ? 0 : (long) bRows * ldb + 4, strideC = (long) c.m * ldc + 6;
            float[] a = random(rnd, (int) (offA + strideA * c.batch));
            float[] b = random(rnd, (int) (offB + (c.broadcastB ? (long) bRows * ldb : strideB * c.batch)));
            float[] c0 = random(rnd, (int) (offC + strideC * c.batch));
            float[] want = c0.clone();
            double mag = 0;
            for (int z = 0; z < c.batch; z++) {
                for (int i = 0; i < c.m; i++) {
                    for (int j = 0; j < c.n; j++) {
                        double s = 0;
                        for (int p = 0; p < c.k; p++) {
                            float av = c.transA ? a[(int) (offA + z * strideA + (long) p * lda + i)] : a[(int) (offA + z * strideA + (long) i * lda + p)];
                            float bv = c.transB ? b[(int) (offB + z * strideB + (long) j * ldb + p)] : b[(int) (offB + z * strideB + (long) p * ldb + j)];
                            s += (double) av * bv;
                        }
                        int at = (int) (offC + z * strideC + (long) i * ldc + j);
                        double v = c.alpha * s + (c.beta == 0 ? 0 : c.beta * (double) c0[at]);
                        want[at] = (float) v;
                        mag = Math.max(mag, Math.abs(v));
                    }
                }
            }
            float[] got;
            try (DeviceBuffer da = DeviceBuffer.of(a); DeviceBuffer db = DeviceBuffer.of(b); DeviceBuffer dc = DeviceBuffer.of(c0)) {
                blas.gemm(da, offA, strideA, lda, c.transA, db, offB, strideB, ldb, c.transB, dc, offC, strideC, ldc,
                        c.m, c.n, c.k, c.batch, c.alpha, c.beta);
                got = dc.toFloats();
            }
            double bound = 1e-5 * Math.max(mag, 1e-30);
            for (int i = 0; i < want.length; i++) {
                if (!(Math.abs(got[i] - want[i]) <= bound)) { // also outside the matrices: padding must be untouched
                    throw new AssertionError(blas.name() + " " + c + ": element " + i + " is " + got[i] + ", reference " + want[i]
                            + " (bound " + bound + ")");
                }
            }
        }
    }

    static float[] random(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rnd.nextGaussian();
        return v;
    }
}

package dev.nncompress.backend.cuda.vendor;

import dev.nncompress.backend.cuda.driver.CudaDriver;
import dev.nncompress.backend.cuda.driver.DeviceBuffer;
import dev.nncompress.backend.cuda.kernels.Blas;

import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;

import static org.bytedeco.cuda.global.cublas.CUBLAS_COMPUTE_32I;
import static org.bytedeco.cuda.global.cublas.CUBLAS_DEFAULT_MATH;
import static org.bytedeco.cuda.global.cublas.CUBLAS_GEMM_DEFAULT;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_N;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_T;
import static org.bytedeco.cuda.global.cublas.CUBLAS_STATUS_SUCCESS;
import static org.bytedeco.cuda.global.cublas.cublasCreate_v2;
import static org.bytedeco.cuda.global.cublas.cublasGemmEx;
import static org.bytedeco.cuda.global.cublas.cublasGetStatusString;
import static org.bytedeco.cuda.global.cublas.cublasGetVersion_v2;
import static org.bytedeco.cuda.global.cublas.cublasSetMathMode;
import static org.bytedeco.cuda.global.cublas.cublasSetStream_v2;
import static org.bytedeco.cuda.global.cublas.cublasSgemmStridedBatched;
import static org.bytedeco.cuda.global.cudart.CUDA_R_32I;
import static org.bytedeco.cuda.global.cudart.CUDA_R_8I;

/**
 * {@link Blas} on cuBLAS 13 through bytedeco's preset ({@code org.bytedeco:cuda}), on our driver's
 * stream in the device's primary context (the one the runtime API, and so cuBLAS, uses), so its work
 * is ordered with our kernels. Row-major C = op(A) op(B) is computed as the column-major
 * C^T = op(B)^T op(A)^T, which is the same memory: B and A swap places, each keeps its own
 * transpose flag and leading dimension. Math mode: CUBLAS_DEFAULT_MATH, which keeps FP32 products
 * in FP32 (no TF32 tensor cores, whose 10-bit mantissa would break the 1e-5 agreement with the CPU).
 * int8: cublasGemmEx (CUDA_R_8I in, CUDA_R_32I out, CUBLAS_COMPUTE_32I) where {@link Blas#cublasGemmExRefusal}
 * lets it, exact like our gemm_s8.
 */
public final class CublasBlas implements Blas {
    public static final String PRESET = "org.bytedeco.cuda.global.cublas";

    private final CudaDriver driver;
    private final cublasContext handle = new cublasContext();
    private final String name;
    private final FloatPointer alpha = new FloatPointer(1);
    private final FloatPointer beta = new FloatPointer(1);
    // CUBLAS_COMPUTE_32I scales in int32: alpha 1, beta 0 (overwrite)
    private final IntPointer intOne = new IntPointer(new int[] {1}), intZero = new IntPointer(new int[] {0});

    /** Creates a cuBLAS handle on the driver's stream; the preset must have loaded ({@link BytedecoCuda#load}). */
    public CublasBlas(CudaDriver driver) {
        this.driver = driver;
        driver.makeCurrent();
        check("cublasCreate", cublasCreate_v2(handle));
        check("cublasSetStream", cublasSetStream_v2(handle, BytedecoCuda.stream(driver)));
        check("cublasSetMathMode", cublasSetMathMode(handle, CUBLAS_DEFAULT_MATH));
        int[] v = new int[1];
        check("cublasGetVersion", cublasGetVersion_v2(handle, v));
        // 130100 -> 13.1.0 (major * 10000 + minor * 100 + patch)
        this.name = "cuBLAS " + v[0] / 10000 + "." + (v[0] / 100) % 100 + "." + v[0] % 100;
    }

    @Override public String name() { return name; }

    @Override public void gemm(DeviceBuffer a, long offA, long strideA, int lda, boolean transA,
                               DeviceBuffer b, long offB, long strideB, int ldb, boolean transB,
                               DeviceBuffer c, long offC, long strideC, int ldc, int m, int n, int k, int batch, float al, float be) {
        if (m == 0 || n == 0 || batch == 0) return;
        driver.makeCurrent();
        alpha.put(al);
        beta.put(be); // host scalars (the default pointer mode), read by cuBLAS when the call is issued
        // cuBLAS wants leading dimensions >= 1 even for an empty inner dimension
        int status = cublasSgemmStridedBatched(handle, transB ? CUBLAS_OP_T : CUBLAS_OP_N, transA ? CUBLAS_OP_T : CUBLAS_OP_N,
                n, m, k, alpha,
                BytedecoCuda.floats(b.address() + 4L * offB), Math.max(1, ldb), strideB,
                BytedecoCuda.floats(a.address() + 4L * offA), Math.max(1, lda), strideA, beta,
                BytedecoCuda.floats(c.address() + 4L * offC), Math.max(1, ldc), strideC, batch);
        check("cublasSgemmStridedBatched", status);
    }

    @Override public String gemmS8Refusal(int m, int n, int k) { return Blas.cublasGemmExRefusal(m, n, k); }

    /** Column-major C^T[n, m] = B[n, k] A[m, k]^T: cuBLAS's A is our B transposed (lda k), its B our A (ldb k). */
    @Override public void gemmS8(DeviceBuffer a, DeviceBuffer b, DeviceBuffer c, int m, int n, int k) {
        Blas.checkGemmS8("cublasGemmEx", a, b, c, m, n, k);
        driver.makeCurrent();
        check("cublasGemmEx", cublasGemmEx(handle, CUBLAS_OP_T, CUBLAS_OP_N, n, m, k, intOne, BytedecoCuda.at(b.address()), CUDA_R_8I, k,
                BytedecoCuda.at(a.address()), CUDA_R_8I, k, intZero, BytedecoCuda.at(c.address()), CUDA_R_32I, n, CUBLAS_COMPUTE_32I,
                CUBLAS_GEMM_DEFAULT));
    }

    private static void check(String call, int status) {
        if (status != CUBLAS_STATUS_SUCCESS) {
            throw new IllegalStateException(call + " failed: " + cublasGetStatusString(status).getString() + " (" + status + ")");
        }
    }
}

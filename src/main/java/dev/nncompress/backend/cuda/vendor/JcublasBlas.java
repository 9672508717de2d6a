package dev.nncompress.backend.cuda.vendor;

import dev.nncompress.backend.cuda.driver.CudaDriver;
import dev.nncompress.backend.cuda.driver.DeviceBuffer;
import dev.nncompress.backend.cuda.kernels.Blas;

import jcuda.JCudaVersion;
import jcuda.Pointer;
import jcuda.cudaDataType;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;
import jcuda.runtime.cudaStream_t;

import static jcuda.jcublas.cublasComputeType.CUBLAS_COMPUTE_32I;
import static jcuda.jcublas.cublasGemmAlgo.CUBLAS_GEMM_DEFAULT;
import static jcuda.jcublas.cublasMath.CUBLAS_DEFAULT_MATH;
import static jcuda.jcublas.cublasOperation.CUBLAS_OP_N;
import static jcuda.jcublas.cublasOperation.CUBLAS_OP_T;
import static jcuda.jcublas.cublasStatus.CUBLAS_STATUS_SUCCESS;

/**
 * {@link Blas} on cuBLAS through JCublas (org.jcuda:jcublas, the JCuda family's version: 12.6.0 by
 * default, whose JNI library links {@code libcublas.so.12}; 11.7.0 in {@code -Pjcuda11} builds,
 * {@code libcublas.so.11}). {@link VendorStack} tries it after bytedeco's cuBLAS 13, for machines
 * with a CUDA 12 (or 11) toolkit and no cuBLAS 13. The same contract and math as {@link CublasBlas}:
 * on our driver's stream in the primary context, row-major C = op(A) op(B) as the column-major
 * C^T = op(B)^T op(A)^T, CUBLAS_DEFAULT_MATH (FP32, no TF32); int8 through cublasGemmEx under the same
 * rule ({@link Blas#cublasGemmExRefusal}).
 */
public final class JcublasBlas implements Blas {
    private final CudaDriver driver;
    private final cublasHandle handle = new cublasHandle();
    private final String name;

    /** "JCublas 12.6.0": names this route in reasons before it loads. */
    public static String label() { return "JCublas " + JCudaVersion.get(); }

    /** Null when JCublas's JNI library (and so the cuBLAS it links) loads, else why not, in one line. */
    public static String loadFailure() { return JcudaLibraries.loadFailure("JCublas2", () -> JCublas2.setExceptionsEnabled(false)); }

    /** Creates a cuBLAS handle on the driver's stream; {@link #loadFailure()} must have said null. */
    public JcublasBlas(CudaDriver driver) {
        this.driver = driver;
        driver.makeCurrent();
        check("cublasCreate", JCublas2.cublasCreate(handle));
        check("cublasSetStream", JCublas2.cublasSetStream(handle, new cudaStream_t(driver.stream())));
        check("cublasSetMathMode", JCublas2.cublasSetMathMode(handle, CUBLAS_DEFAULT_MATH));
        int[] v = new int[1];
        check("cublasGetVersion", JCublas2.cublasGetVersion(handle, v));
        // 120604 -> 12.6.4 (major * 10000 + minor * 100 + patch, as cuBLAS 13)
        this.name = "cuBLAS " + v[0] / 10000 + "." + (v[0] / 100) % 100 + "." + v[0] % 100 + " (" + label() + ")";
    }

    @Override public String name() { return name; }

    @Override public void gemm(DeviceBuffer a, long offA, long strideA, int lda, boolean transA,
                               DeviceBuffer b, long offB, long strideB, int ldb, boolean transB,
                               DeviceBuffer c, long offC, long strideC, int ldc, int m, int n, int k, int batch, float alpha, float beta) {
        if (m == 0 || n == 0 || batch == 0) return;
        driver.makeCurrent();
        // host scalars (the default pointer mode), read by cuBLAS when the call is issued
        int status = JCublas2.cublasSgemmStridedBatched(handle, transB ? CUBLAS_OP_T : CUBLAS_OP_N, transA ? CUBLAS_OP_T : CUBLAS_OP_N,
                n, m, k, Pointer.to(new float[] {alpha}),
                b.pointer().withByteOffset(4L * offB), Math.max(1, ldb), strideB,
                a.pointer().withByteOffset(4L * offA), Math.max(1, lda), strideA, Pointer.to(new float[] {beta}),
                c.pointer().withByteOffset(4L * offC), Math.max(1, ldc), strideC, batch);
        check("cublasSgemmStridedBatched", status);
    }

    @Override public String gemmS8Refusal(int m, int n, int k) { return Blas.cublasGemmExRefusal(m, n, k); }

    /** As {@link CublasBlas#gemmS8}: column-major C^T = B A^T, int32 alpha 1 and beta 0. */
    @Override public void gemmS8(DeviceBuffer a, DeviceBuffer b, DeviceBuffer c, int m, int n, int k) {
        Blas.checkGemmS8("cublasGemmEx", a, b, c, m, n, k);
        driver.makeCurrent();
        check("cublasGemmEx", JCublas2.cublasGemmEx(handle, CUBLAS_OP_T, CUBLAS_OP_N, n, m, k, Pointer.to(new int[] {1}), b.pointer(),
                cudaDataType.CUDA_R_8I, k, a.pointer(), cudaDataType.CUDA_R_8I, k, Pointer.to(new int[] {0}), c.pointer(),
                cudaDataType.CUDA_R_32I, n, CUBLAS_COMPUTE_32I, CUBLAS_GEMM_DEFAULT));
    }

    private static void check(String call, int status) {
        if (status != CUBLAS_STATUS_SUCCESS) {
            throw new IllegalStateException(call + " failed: " + JCublas2.cublasGetStatusString(status) + " (" + status + ")");
        }
    }
}

package dev.nncompress.backend.cuda;

/**
 * Float matrix products on device buffers, row-major as the rest of the backend: either cuBLAS
 * ({@link CublasBlas}) or our own {@code gemm_f32} kernel ({@link OwnBlas}); {@link VendorStack} picks
 * one per process. One call is a strided batch:
 * C[z] = alpha * op(A[z]) op(B[z]) + beta * C[z] for z in [0, batch), matrix z of X at element
 * offX + z * strideX (stride 0 broadcasts one matrix); op(A) is m x k, op(B) k x n; the leading
 * dimensions are the stored row lengths. With beta == 0, C is not read. Offsets and strides count
 * floats. Asynchronous on the driver's stream, like our kernels.
 * Also an int8 GEMM where the library has one ({@link #gemmS8}): the int32-output case of our
 * {@code gemm_s8}, which {@link CudaInt8Kernels} hands to it when the sizes qualify.
 */
public interface Blas {
    /** What this is, for logs and {@code info --devices}: "cuBLAS 13.1.0" or "own gemm_f32". */
    String name();

    void gemm(DeviceBuffer a, long offA, long strideA, int lda, boolean transA,
              DeviceBuffer b, long offB, long strideB, int ldb, boolean transB,
              DeviceBuffer c, long offC, long strideC, int ldc, int m, int n, int k, int batch, float alpha, float beta);

    /**
     * Null when this library runs {@link #gemmS8} for these sizes, else why not, in one line. Ours has
     * no separate int8 GEMM here: gemm_s8 is launched by {@link GemmS8} itself.
     */
    default String gemmS8Refusal(int m, int n, int k) { return name() + " has no int8 GEMM"; }

    /**
     * C[m, n] int32 = A[m, k] x B[n, k]^T with int8 A and B, row-major (torch._int_mm(A, B.t()), our
     * gemm_s8 with the S32 epilogue), exact: int32 sums of int8 products. Whole buffers (cuMemAlloc
     * aligns them to 256 bytes). Only where {@link #gemmS8Refusal} said null.
     */
    default void gemmS8(DeviceBuffer a, DeviceBuffer b, DeviceBuffer c, int m, int n, int k) {
        throw new UnsupportedOperationException(gemmS8Refusal(m, n, k));
    }

    /**
     * cuBLAS's rule for cublasGemmEx with CUDA_R_8I inputs, CUDA_R_32I output and CUBLAS_COMPUTE_32I
     * (shared by {@link CublasBlas} and {@link JcublasBlas}, which call it as the column-major
     * C^T = B A^T, i.e. op(A) = T, op(B) = N: the "TN" layout its int8 kernels require): A and B 4-byte
     * aligned and their leading dimensions (here k) multiples of 4; we also keep m and n multiples of 4,
     * the dimension rule of cuBLAS's int8 tensor-core (IMMA) kernels, rather than depend on a slower or
     * refused path for the rest. Every other size runs on our gemm_s8.
     */
    static String cublasGemmExRefusal(int m, int n, int k) {
        if (m < 1 || n < 1 || k < 1) return "empty product (m, n, k = " + m + ", " + n + ", " + k + ")";
        if (m % 4 != 0 || n % 4 != 0 || k % 4 != 0) {
            return "cublasGemmEx int8 needs m, n, k multiples of 4, got " + m + ", " + n + ", " + k;
        }
        return null;
    }

    /** The byte counts {@link #gemmS8} reads and writes, checked before a vendor call that cannot. */
    static void checkGemmS8(String who, DeviceBuffer a, DeviceBuffer b, DeviceBuffer c, int m, int n, int k) {
        String why = cublasGemmExRefusal(m, n, k);
        if (why != null) throw new IllegalArgumentException(who + ": " + why);
        if (a.bytes() < (long) m * k || b.bytes() < (long) n * k || c.bytes() < 4L * m * n) {
            throw new IllegalArgumentException(who + ": buffers of " + a.bytes() + ", " + b.bytes() + ", " + c.bytes()
                    + " bytes for m, n, k = " + m + ", " + n + ", " + k);
        }
    }
}

package dev.nncompress.backend;

/**
 * The CPU int8 compute the int8 engine runs on: an int8 GEMM with the fused epilogue of
 * {@link GemmS8Epilogue} and an int8 im2col for NHWC activations. Implementations: our JNI kernels
 * ({@code native/}, AVX-512 VNNI or AVX2) and the plain-Java twin ({@code backend.ref.JavaInt8Kernels}),
 * which is the reference every other implementation must match bit for bit and the last fallback.
 * {@code backend.cpu.Int8KernelChoice} picks one at run time and says which.
 *
 * <p>Each call may split its work over the implementation's threads ({@link #threads()}); results do
 * not depend on the split.
 */
public interface Int8Kernels {
    /** Short name shown to users: "native-avx512vnni", "native-avx2", "java". */
    String name();

    /** Threads one call may use. */
    int threads();

    /**
     * B [n, k] int8 row-major (a weight in PyTorch's layout [out, in]; a conv weight flattened to
     * [o, kh*kw*c] in NHWC order) prepared once for repeated {@link #gemm} calls. The returned object
     * belongs to this implementation only.
     */
    PackedS8 pack(byte[] b, int n, int k);

    /**
     * {@code out = epilogue(A x B^T)}: A [m, k] int8 row-major, B packed by {@link #pack}; {@code out}'s
     * array (of the epilogue's mode) has at least m * n elements and is written row-major [m, n].
     * Bit-identical to {@code ReferenceGemmS8.gemmS8} for every input.
     */
    void gemm(byte[] a, int m, PackedS8 b, GemmS8Epilogue e, GemmS8Output out);

    /**
     * int8 im2col for NHWC input x [n, h, w, c]: cols [n * oh * ow, kh * kw * c] row-major, each row
     * ordered (ky, kx, ch); positions in the padding read {@code pad} (the activation zero point, i.e.
     * real 0). {@code g} gives the sizes (its NCHW index helpers do not apply here).
     */
    void im2col(byte[] x, ConvGeometry g, byte pad, byte[] cols);

    /** B prepared for one implementation: its sizes and {@code rowSums[j] = sum_k B[j, k]} (for the zero-point epilogue). */
    interface PackedS8 {
        int n();

        int k();

        /** {@code sum_k B[j, k]}, as {@code ReferenceGemmS8.weightRowSums}; callers must not modify it. */
        int[] rowSums();
    }
}

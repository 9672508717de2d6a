package dev.nncompress.backend.cpu;

/**
 * The JNI entry points of {@code native/src/jni_int8.cpp}. Only {@link NativeInt8Kernels} calls them,
 * after checking every size; the native side checks again before touching memory (consistent geometry,
 * each array's length and type) and throws IllegalArgumentException instead of reading or writing past one.
 */
final class NativeInt8 {
    private NativeInt8() {}

    /** Bit {@code v} set when the CPU runs variant code {@code v} (see {@link NativeInt8Kernels.Variant}). */
    static native int supportedVariants();

    /** B [n, k] packed for {@code variant}; a handle for {@link #gemm}, released by {@link #free}. */
    static native long pack(int variant, byte[] b, int n, int k);

    static native void free(long packed);

    /**
     * Rows [rowFrom, rowTo) of {@code out = epilogue(A x B^T)}; {@code out} is the int[], float[] or
     * byte[] of {@code mode} (0 S32, 1 F32, 2 S8); {@code bias} null for none, {@code wsum} null when
     * {@code zpA} is 0.
     */
    static native void gemm(long packed, byte[] a, int rowFrom, int rowTo, int mode, float[] scale, float[] bias, boolean relu,
                            float outScale, int outZp, int zpA, int[] wsum, Object out);

    /**
     * Output lines [lineFrom, lineTo) (line = image * oh + output row, {@code ow} GEMM rows each) of a
     * convolution, im2col fused into the GEMM; {@code shape} as for {@link #im2col}, the rest as for {@link #gemm}.
     */
    static native void conv(long packed, byte[] x, int[] shape, byte pad, int lineFrom, int lineTo, int mode, float[] scale, float[] bias,
                            boolean relu, float outScale, int outZp, int zpA, int[] wsum, Object out);

    /**
     * Pooled lines [pooledFrom, pooledTo) (image * (oh / poolKh) + pooled row) of the max-pool, windows poolKh x
     * poolKw tiling the output, of the convolution with the S8 epilogue into {@code out}; only where
     * {@link NativeInt8Kernels} found the fused kernel applies (VNNI, n > 8).
     */
    static native void convMaxPool(long packed, byte[] x, int[] shape, byte pad, int poolKh, int poolKw, int pooledFrom, int pooledTo,
                                   float[] scale, float[] bias, boolean relu, float outScale, int outZp, int zpA, int[] wsum, byte[] out);

    /**
     * Output lines [lineFrom, lineTo) (line = image * oh + output row) of the NHWC im2col; {@code shape}
     * = {n, h, w, c, kh, kw, strideH, strideW, padH, padW, oh, ow}.
     */
    static native void im2col(byte[] x, int[] shape, byte pad, byte[] cols, int lineFrom, int lineTo);

    /** Images [imgFrom, imgTo) of NCHW float [n, c, hw] quantised into NHWC int8 codes, by {@code variant}'s code. */
    static native void quantizeToNhwc(int variant, float[] x, int imgFrom, int imgTo, int c, int hw, float scale, int zp, byte[] q);

    /** Images [imgFrom, imgTo) of the NHWC int8 max-pool; {@code shape} as for {@link #im2col} ({@code kh, kw} the window). */
    static native void maxPool(int variant, byte[] x, int[] shape, byte[] y, int imgFrom, int imgTo);

    /** Images [imgFrom, imgTo) of int8 NHWC [n, hw, c] to NCHW [n, c, hw]. */
    static native void nhwcToNchw(int variant, byte[] x, int hw, int c, byte[] y, int imgFrom, int imgTo);
}

package dev.nncompress.backend.cpu;

/**
 * The JNI entry points of {@code native/src/jni_sparse.cpp}. They trust their arguments: only
 * {@link CpuSparse} calls them, after every size was checked. Tensors are passed by off-heap address.
 */
final class NativeSparse {
    private NativeSparse() {}

    /** Bit {@code v} set when the CPU runs variant code {@code v} (see {@link CpuSparse.Variant}). */
    static native int supportedVariants();

    /** A native copy of the CSR weight (rows = output channels, cols = taps or features), freed by {@link #free}. */
    static native long prepare(int[] rowPtr, int[] col, float[] val, int rows, int cols);

    static native void free(long handle);

    /** Images [from, to) of the conv; {@code shape} = {c, h, w, kh, kw, sh, sw, ph, pw, oh, ow}; bias 0 for none. */
    static native void conv(int variant, long handle, long bias, long x, long y, int[] shape, int from, int to);

    /** Rows [from, to) of y [n, O] = x [n, F] W^T + bias; bias 0 for none. */
    static native void linear(int variant, long handle, long bias, long x, long y, int from, int to);
}

package dev.nncompress.backend.cpu;

/**
 * The JNI entry points of {@code native/src/jni_sparse.cpp}. Only {@link CpuSparse} calls them, after
 * every size was checked; the native side checks again before touching memory (consistent geometry,
 * CSR structure, each block's length, passed beside its off-heap address in floats) and throws
 * IllegalArgumentException instead of reading or writing past a buffer.
 */
final class NativeSparse {
    private NativeSparse() {}

    /** Bit {@code v} set when the CPU runs variant code {@code v} (see {@link CpuSparse.Variant}). */
    static native int supportedVariants();

    /** A native copy of the CSR weight (rows = output channels, cols = taps or features), freed by {@link #free}. */
    static native long prepare(int[] rowPtr, int[] col, float[] val, int rows, int cols);

    static native void free(long handle);

    /** Images [from, to) of the conv; {@code shape} = {c, h, w, kh, kw, sh, sw, ph, pw, oh, ow}; bias 0 for none; lengths in floats. */
    static native void conv(int variant, long handle, long bias, long biasLength, long x, long xLength, long y, long yLength, int[] shape,
                            int from, int to);

    /** Rows [from, to) of y [n, O] = x [n, F] W^T + bias; bias 0 for none; lengths in floats. */
    static native void linear(int variant, long handle, long bias, long biasLength, long x, long xLength, long y, long yLength, int from, int to);
}

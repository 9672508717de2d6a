package dev.nncompress.backend.cpu;

import dev.nncompress.tensor.Shape;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The JNI entry points' own checks (native/src/jni_checks.h), called directly with what the Java side
 * would never pass: each must throw IllegalArgumentException before touching memory. Without these
 * checks each call below reads or writes past a buffer (the first is the geometry of issue 16's crash:
 * pad_w 2^31-1, whose int arithmetic wraps to a 24-pixel-wide output).
 */
class NativeArgumentChecksTest {
    private static final int SCALAR = 0;

    @BeforeAll
    static void library() { assumeTrue(NativeLibrary.load().loaded(), "native library not built: " + NativeLibrary.load().reason()); }

    private static void rejects(String phrase, Executable call) {
        String msg = assertThrows(IllegalArgumentException.class, call).getMessage();
        assertTrue(msg.startsWith("native ") && msg.contains(phrase), msg);
    }

    /** A valid 8-row, 9-column CSR weight (conv 8 x 1 x 3 x 3), one entry per row. */
    private static long csr() {
        int[] rowPtr = {0, 1, 2, 3, 4, 5, 6, 7, 8};
        int[] col = {0, 1, 2, 3, 4, 5, 6, 7};
        return NativeSparse.prepare(rowPtr, col, new float[8], 8, 9);
    }

    @Test
    void sparsePrepareRejectsABrokenCsr() {
        rejects("row_ptr has 2 entries", () -> NativeSparse.prepare(new int[] {0, 1}, new int[] {0}, new float[1], 8, 9));
        rejects("row_ptr must rise", () -> NativeSparse.prepare(new int[] {0, 2, 1}, new int[] {0, 1}, new float[2], 2, 9));
        rejects("row_ptr must rise", () -> NativeSparse.prepare(new int[] {1, 1, 1}, new int[] {0}, new float[1], 2, 9));
        rejects("row_ptr must rise", () -> NativeSparse.prepare(new int[] {0, 1, 5}, new int[] {0, 1}, new float[2], 2, 9)); // nnz past col
        rejects("col[1] = 9 is outside [0, 9)", () -> NativeSparse.prepare(new int[] {0, 1, 2}, new int[] {0, 9}, new float[2], 2, 9));
        rejects("col[0] = -1", () -> NativeSparse.prepare(new int[] {0, 1}, new int[] {-1}, new float[1], 1, 9));
        rejects("rows 0 and cols 9", () -> NativeSparse.prepare(new int[] {0}, new int[0], new float[0], 0, 9));
    }

    @Test
    void sparseConvRejectsInconsistentGeometryAndShortBlocks() {
        long w = csr();
        try (CpuBackend cpu = new CpuBackend(); CpuTensor x = (CpuTensor) cpu.zeros(Shape.of(1, 1, 28, 28));
             CpuTensor y = (CpuTensor) cpu.zeros(Shape.of(1, 8, 28, 28))) {
            long xa = x.address(), ya = y.address();
            // issue 16: pad_w 2^31-1 with the output width its int arithmetic wraps to
            rejects("inconsistent geometry", () -> NativeSparse.conv(SCALAR, w, 0, 0, xa, 784, ya, 8 * 784,
                    new int[] {1, 28, 28, 3, 3, 1, 1, 1, Integer.MAX_VALUE, 28, 24}, 0, 1));
            rejects("inconsistent geometry", () -> NativeSparse.conv(SCALAR, w, 0, 0, xa, 784, ya, 8 * 784,
                    new int[] {1, 28, 28, 3, 3, 1, 1, 1, 1, 28, 29}, 0, 1)); // one column too many
            rejects("inconsistent geometry", () -> NativeSparse.conv(SCALAR, w, 0, 0, xa, 784, ya, 8 * 784,
                    new int[] {1, 28, 28, 3, 3, 1, 1, 3, 1, 32, 28}, 0, 1)); // pad 3 = kernel
            rejects("taps", () -> NativeSparse.conv(SCALAR, w, 0, 0, xa, 784, ya, 8 * 784,
                    new int[] {2, 28, 28, 3, 3, 1, 1, 1, 1, 28, 28}, 0, 1)); // 18 taps for a 9-column weight
            int[] ok = {1, 28, 28, 3, 3, 1, 1, 1, 1, 28, 28};
            rejects("the blocks hold 784", () -> NativeSparse.conv(SCALAR, w, 0, 0, xa, 784, ya, 8 * 784, ok, 0, 2)); // two images in one
            rejects("the blocks hold 784 and 6271", () -> NativeSparse.conv(SCALAR, w, 0, 0, xa, 784, ya, 8 * 784 - 1, ok, 0, 1));
            rejects("range [1, 0)", () -> NativeSparse.conv(SCALAR, w, 0, 0, xa, 784, ya, 8 * 784, ok, 1, 0));
            rejects("bias holds 7 floats", () -> NativeSparse.conv(SCALAR, w, xa, 7, xa, 784, ya, 8 * 784, ok, 0, 1));
            rejects("variant 7", () -> NativeSparse.conv(7, w, 0, 0, xa, 784, ya, 8 * 784, ok, 0, 1));
            rejects("no prepared weight", () -> NativeSparse.conv(SCALAR, 0, 0, 0, xa, 784, ya, 8 * 784, ok, 0, 1));
            NativeSparse.conv(SCALAR, w, 0, 0, xa, 784, ya, 8 * 784, ok, 0, 1); // the consistent call runs
        } finally {
            NativeSparse.free(w);
        }
    }

    @Test
    void sparseLinearRejectsShortBlocks() {
        long w = csr(); // 8 outputs, 9 features
        try (CpuBackend cpu = new CpuBackend(); CpuTensor x = (CpuTensor) cpu.zeros(Shape.of(4, 9)); CpuTensor y = (CpuTensor) cpu.zeros(Shape.of(4, 8))) {
            rejects("rows up to 5", () -> NativeSparse.linear(SCALAR, w, 0, 0, x.address(), 36, y.address(), 32, 0, 5));
            rejects("the blocks hold 36 and 31", () -> NativeSparse.linear(SCALAR, w, 0, 0, x.address(), 36, y.address(), 31, 0, 4));
            NativeSparse.linear(SCALAR, w, 0, 0, x.address(), 36, y.address(), 32, 0, 4);
        } finally {
            NativeSparse.free(w);
        }
    }

    @Test
    void int8EntryPointsRejectInconsistentSizes() {
        rejects("B [4, 9] needs", () -> NativeInt8.pack(SCALAR, new byte[35], 4, 9));
        long p = NativeInt8.pack(SCALAR, new byte[4 * 9], 4, 9); // 4 output channels, k = 9 (3x3, 1 channel)
        try {
            float[] scale = {1, 1, 1, 1};
            rejects("A holds 17 bytes", () -> NativeInt8.gemm(p, new byte[17], 0, 2, 1, scale, null, false, 1, 0, 0, null, new float[8]));
            rejects("output holds 7 elements", () -> NativeInt8.gemm(p, new byte[18], 0, 2, 1, scale, null, false, 1, 0, 0, null, new float[7]));
            rejects("not the [F array", () -> NativeInt8.gemm(p, new byte[18], 0, 2, 1, scale, null, false, 1, 0, 0, null, new byte[8]));
            rejects("needs 4 scales", () -> NativeInt8.gemm(p, new byte[18], 0, 2, 1, new float[3], null, false, 1, 0, 0, null, new float[8]));
            rejects("needs 4 weight sums", () -> NativeInt8.gemm(p, new byte[18], 0, 2, 1, scale, null, false, 1, 0, 3, null, new float[8]));
            rejects("unknown mode 5", () -> NativeInt8.gemm(p, new byte[18], 0, 2, 5, scale, null, false, 1, 0, 0, null, new float[8]));
            // {n, h, w, c, kh, kw, strideH, strideW, padH, padW, oh, ow}
            int[] ok = {1, 5, 5, 1, 3, 3, 1, 1, 1, 1, 5, 5};
            int[] wrapped = {1, 5, 5, 1, 3, 3, 1, 1, 1, Integer.MAX_VALUE, 5, 1};
            rejects("inconsistent geometry", () -> NativeInt8.conv(p, new byte[25], wrapped, (byte) 0, 0, 5, 1, scale, null, false, 1, 0, 0, null,
                    new float[100]));
            rejects("input holds 24 bytes", () -> NativeInt8.conv(p, new byte[24], ok, (byte) 0, 0, 5, 1, scale, null, false, 1, 0, 0, null,
                    new float[100]));
            rejects("range [0, 6)", () -> NativeInt8.conv(p, new byte[25], ok, (byte) 0, 0, 6, 1, scale, null, false, 1, 0, 0, null, new float[120]));
            rejects("output holds 99", () -> NativeInt8.conv(p, new byte[25], ok, (byte) 0, 0, 5, 1, scale, null, false, 1, 0, 0, null, new float[99]));
            int[] twoChannels = {1, 5, 5, 2, 3, 3, 1, 1, 1, 1, 5, 5};
            rejects("k = 9, the window kh*kw*c = 18", () -> NativeInt8.conv(p, new byte[50], twoChannels, (byte) 0, 0, 5, 1, scale, null, false, 1,
                    0, 0, null, new float[100]));
            rejects("cols hold 224 bytes", () -> NativeInt8.im2col(new byte[25], ok, (byte) 0, new byte[224], 0, 5));
            rejects("inconsistent geometry", () -> NativeInt8.im2col(new byte[25], wrapped, (byte) 0, new byte[225], 0, 5));
            NativeInt8.conv(p, new byte[25], ok, (byte) 0, 0, 5, 1, scale, null, false, 1, 0, 0, null, new float[100]);
        } finally {
            NativeInt8.free(p);
        }
        rejects("the arrays hold 11 and 12", () -> NativeInt8.quantizeToNhwc(SCALAR, new float[11], 0, 1, 3, 4, 1f, 0, new byte[12]));
        rejects("inconsistent geometry", () -> NativeInt8.maxPool(SCALAR, new byte[16], new int[] {1, 4, 4, 1, 2, 2, 2, 2, 0, 0, 2, 3}, new byte[6], 0, 1));
        rejects("need 16 and 4 values, the arrays hold 16 and 3", () -> NativeInt8.maxPool(SCALAR, new byte[16], new int[] {1, 4, 4, 1, 2, 2, 2, 2, 0, 0, 2, 2}, new byte[3], 0, 1));
        rejects("the arrays hold 12 and 11", () -> NativeInt8.nhwcToNchw(SCALAR, new byte[12], 4, 3, new byte[11], 0, 1));
    }

    @Test
    void fusedConvAndMaxPoolRejectsWhatItCannotRunAndInconsistentSizes() {
        int[] ok = {1, 4, 4, 4, 3, 3, 1, 1, 1, 1, 4, 4}; // {n, h, w, c, kh, kw, strideH, strideW, padH, padW, oh, ow}
        float[] scale = new float[16];
        java.util.Arrays.fill(scale, 1f);
        long scalar = NativeInt8.pack(SCALAR, new byte[16 * 36], 16, 36);
        try {
            rejects("no fused kernel", () -> NativeInt8.convMaxPool(scalar, new byte[64], ok, (byte) 0, 2, 2, 0, 2, scale, null, false, 1, 0, 0, null, new byte[64]));
        } finally {
            NativeInt8.free(scalar);
        }
        assumeTrue(NativeInt8Kernels.cpuVariants().contains(NativeInt8Kernels.Variant.AVX512VNNI), "the fused kernel is VNNI only");
        long p = NativeInt8.pack(2, new byte[16 * 36], 16, 36);
        try {
            rejects("no fused kernel for pool 5x2", () -> NativeInt8.convMaxPool(p, new byte[64], ok, (byte) 0, 5, 2, 0, 1, scale, null, false, 1, 0, 0, null, new byte[64]));
            rejects("range [0, 3)", () -> NativeInt8.convMaxPool(p, new byte[64], ok, (byte) 0, 2, 2, 0, 3, scale, null, false, 1, 0, 0, null, new byte[96]));
            rejects("output holds 63", () -> NativeInt8.convMaxPool(p, new byte[64], ok, (byte) 0, 2, 2, 0, 2, scale, null, false, 1, 0, 0, null, new byte[63]));
            rejects("input holds 63 bytes", () -> NativeInt8.convMaxPool(p, new byte[63], ok, (byte) 0, 2, 2, 0, 2, scale, null, false, 1, 0, 0, null, new byte[64]));
            rejects("needs 16 scales", () -> NativeInt8.convMaxPool(p, new byte[64], ok, (byte) 0, 2, 2, 0, 2, new float[15], null, false, 1, 0, 0, null, new byte[64]));
            NativeInt8.convMaxPool(p, new byte[64], ok, (byte) 0, 2, 2, 0, 2, scale, null, false, 1, 0, 0, null, new byte[64]);
        } finally {
            NativeInt8.free(p);
        }
    }
}

package dev.nncompress.backend.ref;

import dev.nncompress.backend.GemmS8Epilogue;
import dev.nncompress.backend.GemmS8Output;
import dev.nncompress.quant.QuantArithmetic;

/**
 * CPU twin of {@code cuda-kernels/gemm_s8.cu} ({@code nnc_gemm_s8_mma}, {@code _mma_anyk}, {@code _dp4a}):
 * {@code C[m, n] = epilogue(sum_k A[m, k] * B[n, k])} with A [m, k] and B [n, k] int8 row-major (B in
 * PyTorch's Linear layout [out, in]), int32 accumulation and the epilogue of {@link GemmS8Epilogue},
 * performed with the same float operations in the same order, so that results match bit for bit.
 */
public final class ReferenceGemmS8 {
    private ReferenceGemmS8() {}

    /** Twin of the kernels; returns int32, float or int8 outputs as the epilogue's mode says. */
    public static GemmS8Output gemmS8(byte[] a, byte[] b, int m, int n, int k, GemmS8Epilogue e) {
        checkShapes(a, b, m, n, k);
        e.checkChannels(n);
        int[] acc = accumulate(a, b, m, n, k);
        if (e.zpA() != 0) {
            for (int i = 0; i < acc.length; i++) acc[i] -= e.zpA() * e.wsum()[i % n];
        }
        if (e.mode() == GemmS8Epilogue.Mode.S32) return GemmS8Output.ofS32(acc);
        float[] y = new float[acc.length];
        for (int i = 0; i < acc.length; i++) {
            int col = i % n;
            float v = (float) acc[i] * e.scale()[col];
            if (e.bias() != null) v = v + e.bias()[col];
            if (e.relu()) v = v < 0f ? 0f : v; // as the kernel: NaN and -0 pass unchanged
            y[i] = v;
        }
        if (e.mode() == GemmS8Epilogue.Mode.F32) return GemmS8Output.ofF32(y);
        // the requantisation is quantizeS8 itself, per tensor, so the two cannot drift apart
        return GemmS8Output.ofS8(QuantArithmetic.quantizeS8(y, new float[] {e.outScale()}, new int[] {e.outZp()}, 1, y.length));
    }

    /** {@code wsum[n] = sum_k B[n, k]}, the weight row sums an activation zero point needs. */
    public static int[] weightRowSums(byte[] b, int n, int k) {
        if ((long) n * k != b.length) throw new IllegalArgumentException("B has " + b.length + " bytes, not n*k = " + n + "*" + k);
        int[] s = new int[n];
        for (int r = 0; r < n; r++) {
            int sum = 0;
            for (int i = 0; i < k; i++) sum += b[r * k + i];
            s[r] = sum;
        }
        return s;
    }

    /** int32 sums, wrapping on overflow (only possible for k > 131072) as the kernels' integer adds do. */
    private static int[] accumulate(byte[] a, byte[] b, int m, int n, int k) {
        int[] c = new int[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                int sum = 0;
                int ai = i * k, bj = j * k;
                for (int p = 0; p < k; p++) sum += a[ai + p] * b[bj + p];
                c[i * n + j] = sum;
            }
        }
        return c;
    }

    static void checkShapes(byte[] a, byte[] b, int m, int n, int k) {
        if (m < 1 || n < 1 || k < 1) throw new IllegalArgumentException("gemm s8 needs m, n, k >= 1, got " + m + ", " + n + ", " + k);
        if ((long) m * n > Integer.MAX_VALUE) throw new IllegalArgumentException("gemm s8 output " + m + "x" + n + " exceeds a Java array");
        if ((long) m * k != a.length) throw new IllegalArgumentException("A has " + a.length + " bytes, not m*k = " + m + "*" + k);
        if ((long) n * k != b.length) throw new IllegalArgumentException("B has " + b.length + " bytes, not n*k = " + n + "*" + k);
    }
}

package dev.nncompress.bench;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.GemmS8Epilogue;
import dev.nncompress.backend.GemmS8Output;
import dev.nncompress.backend.Int8Kernels;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.SplittableRandom;

/**
 * One GEMM shape timed on a float backend's {@code matmul} and on int8 kernels with the same operand
 * layout ({@code C [m, n] = A [m, k] x B [n, k]^T}, B a Linear weight), so the two are side by side:
 * the int8 call includes its float epilogue (per-channel scale and bias into a float C), as an int8
 * Linear layer would run; weights are packed once, outside the timing.
 */
public final class GemmBench {
    private GemmBench() {}

    /** m x n x k. */
    public record Dims(int m, int n, int k) {
        public Dims {
            if (m < 1 || n < 1 || k < 1) throw new IllegalArgumentException("gemm shape needs m, n, k >= 1, got " + m + "x" + n + "x" + k);
            if ((long) m * Math.max(n, k) > Integer.MAX_VALUE || (long) n * k > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("gemm shape " + m + "x" + n + "x" + k + " exceeds a Java array");
            }
        }

        /** "MxNxK", e.g. "50176x64x288". */
        public static Dims parse(String s) {
            String[] p = s.toLowerCase(java.util.Locale.ROOT).split("x");
            if (p.length != 3) throw new IllegalArgumentException("gemm shape must be MxNxK, got '" + s + "'");
            try {
                return new Dims(Integer.parseInt(p[0].strip()), Integer.parseInt(p[1].strip()), Integer.parseInt(p[2].strip()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("gemm shape must be MxNxK with integers, got '" + s + "'");
            }
        }

        /** Operations of one GEMM, a multiply-add counted as two. */
        public double ops() { return 2.0 * m * n * k; }

        @Override public String toString() { return m + "x" + n + "x" + k; }
    }

    /** One prepared GEMM to time with {@link Timing}; {@link #close()} frees its operands. */
    public interface Op extends Runnable, AutoCloseable {
        @Override void close();
    }

    /** A float GEMM on {@code b} (a fresh output each call, closed at once, as a layer's forward does). */
    public static Op fp32(Backend b, Dims d, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] a = new float[d.m() * d.k()];
        float[] w = new float[d.n() * d.k()];
        for (int i = 0; i < a.length; i++) a[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
        Tensor ta = b.fromFloats(a, Shape.of(d.m(), d.k()));
        Tensor tw = b.fromFloats(w, Shape.of(d.n(), d.k()));
        return new Op() {
            @Override public void run() { b.matmul(ta, false, tw, true).close(); }

            @Override public void close() {
                ta.close();
                tw.close();
            }
        };
    }

    /** An int8 GEMM with the float epilogue on {@code kernels}, weights packed here, once. */
    public static Op int8(Int8Kernels kernels, Dims d, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        byte[] a = new byte[d.m() * d.k()];
        byte[] w = new byte[d.n() * d.k()];
        for (int i = 0; i < a.length; i++) a[i] = (byte) rnd.nextInt(256);
        for (int i = 0; i < w.length; i++) w[i] = (byte) rnd.nextInt(256);
        float[] scale = new float[d.n()];
        float[] bias = new float[d.n()];
        for (int i = 0; i < d.n(); i++) {
            scale[i] = (float) rnd.nextDouble(1e-4, 1e-3);
            bias[i] = (float) rnd.nextGaussian();
        }
        Int8Kernels.PackedS8 packed = kernels.pack(w, d.n(), d.k());
        GemmS8Epilogue e = GemmS8Epilogue.f32(scale, bias, false);
        GemmS8Output out = GemmS8Output.ofF32(new float[d.m() * d.n()]);
        return new Op() {
            @Override public void run() { kernels.gemm(a, d.m(), packed, e, out); }

            @Override public void close() {} // heap arrays; the packed weights go with the garbage collector
        };
    }
}

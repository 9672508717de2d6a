package dev.nncompress.backend.cpu;

import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.ConvGeometry;
import dev.nncompress.backend.GemmS8Epilogue;
import dev.nncompress.backend.GemmS8Output;
import dev.nncompress.backend.Int8Kernels.PackedS8;

import java.util.SplittableRandom;

/**
 * Not a test: the student's and teacher's int8 convs (batch 256) timed as im2col + GEMM and as the fused
 * conv, interleaved rounds, median ms. {@code ConvS8Bench [threads]}.
 */
public final class ConvS8Bench {
    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        NativeInt8Kernels k = NativeInt8Kernels.of(NativeInt8Kernels.Variant.AVX512VNNI, threads);
        // {c, h, w, o}: 3x3 pad 1 convs
        int[][] shapes = {{1, 28, 28, 8}, {8, 14, 14, 16}, {1, 28, 28, 32}, {32, 28, 28, 64}, {64, 14, 14, 128}};
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 256;
        SplittableRandom rnd = new SplittableRandom(1);
        for (int[] s : shapes) {
            ConvGeometry g = new ConvGeometry(n, s[0], s[1], s[2], s[3], 3, 3, s[1], s[2], Conv2dSpec.of(1, 1));
            byte[] x = new byte[n * s[0] * s[1] * s[2]];
            for (int i = 0; i < x.length; i++) x[i] = (byte) rnd.nextInt(256);
            byte[] w = new byte[g.o() * g.ckk()];
            for (int i = 0; i < w.length; i++) w[i] = (byte) rnd.nextInt(256);
            PackedS8 p = k.pack(w, g.o(), g.ckk());
            float[] scale = new float[g.o()];
            java.util.Arrays.fill(scale, 0.001f);
            GemmS8Epilogue e = GemmS8Epilogue.s8(scale, null, true, 0.05f, -128).withActivationZeroPoint(-3, p.rowSums());
            int m = n * g.p();
            byte[] y = new byte[m * g.o()];
            int reps = s[0] * s[3] > 100 ? 3 : 20;
            double[] sep = new double[7], fused = new double[7], gemmOnly = new double[7];
            byte[] cols = new byte[m * g.ckk()];
            for (int r = 0; r < 7; r++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < reps; i++) {
                    byte[] c = new byte[m * g.ckk()];
                    k.im2col(x, g, (byte) 3, c);
                    k.gemm(c, m, p, e, GemmS8Output.ofS8(y));
                }
                long t1 = System.nanoTime();
                for (int i = 0; i < reps; i++) k.conv(x, g, (byte) 3, p, e, GemmS8Output.ofS8(y));
                long t2 = System.nanoTime();
                for (int i = 0; i < reps; i++) k.gemm(cols, m, p, e, GemmS8Output.ofS8(y));
                long t3 = System.nanoTime();
                sep[r] = (t1 - t0) / 1e6 / reps;
                fused[r] = (t2 - t1) / 1e6 / reps;
                gemmOnly[r] = (t3 - t2) / 1e6 / reps;
            }
            java.util.Arrays.sort(sep);
            java.util.Arrays.sort(fused);
            java.util.Arrays.sort(gemmOnly);
            System.out.printf("c=%-3d %dx%d o=%-4d m=%d k=%d: im2col+gemm %.2f ms, fused %.2f ms, gemm alone %.2f ms (%d threads)%n", s[0], s[1], s[2],
                    s[3], m, g.ckk(), sep[3], fused[3], gemmOnly[3], threads);
        }
    }
}

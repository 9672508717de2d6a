package dev.nncompress.backend.ref;

import dev.nncompress.backend.ConvGeometry;
import dev.nncompress.backend.GemmS8Epilogue;
import dev.nncompress.backend.GemmS8Output;
import dev.nncompress.backend.Int8Checks;
import dev.nncompress.backend.Int8Kernels;
import dev.nncompress.backend.Pool2dSpec;
import dev.nncompress.quant.QuantArithmetic;

import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * The plain-Java int8 kernels: the reference the JNI kernels are tested against bit for bit, and the
 * last fallback when they cannot load. The GEMM reuses {@link ReferenceGemmS8}'s arithmetic row block
 * by row block (int32 accumulation, then the same float epilogue), split over {@code threads}.
 */
public final class JavaInt8Kernels implements Int8Kernels {
    /** Rows per task: large enough that a task outweighs its scheduling. */
    private static final int ROW_BLOCK = 64;

    private final int threads;

    public JavaInt8Kernels(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
    }

    @Override public String name() { return "java"; }

    @Override public int threads() { return threads; }

    /** Plain Java on the caller's arrays and the common fork-join pool: nothing shared is written, no limit. */
    @Override public int parallelCalls() { return Integer.MAX_VALUE; }

    private record Packed(byte[] b, int n, int k, int[] rowSums) implements PackedS8 {}

    @Override
    public PackedS8 pack(byte[] b, int n, int k) {
        Int8Checks.pack(b, n, k);
        return new Packed(b.clone(), n, k, ReferenceGemmS8.weightRowSums(b, n, k));
    }

    @Override
    public void gemm(byte[] a, int m, PackedS8 packed, GemmS8Epilogue e, GemmS8Output out) {
        if (!(packed instanceof Packed p)) throw new IllegalArgumentException("gemm s8: weights were packed by another implementation");
        int n = p.n(), k = p.k();
        Int8Checks.gemm(a, m, n, k, e, out);
        int blocks = (m + ROW_BLOCK - 1) / ROW_BLOCK;
        IntStream range = IntStream.range(0, blocks);
        (threads > 1 ? range.parallel() : range).forEach(blk -> {
            int r0 = blk * ROW_BLOCK, r1 = Math.min(m, r0 + ROW_BLOCK);
            byte[] rows = Arrays.copyOfRange(a, r0 * k, r1 * k);
            GemmS8Output part = ReferenceGemmS8.gemmS8(rows, p.b(), r1 - r0, n, k, e);
            copyRows(part, out, r0 * n);
        });
    }

    private static void copyRows(GemmS8Output part, GemmS8Output out, int at) {
        switch (out.mode()) {
            case S32 -> System.arraycopy(part.s32(), 0, out.s32(), at, part.s32().length);
            case F32 -> System.arraycopy(part.f32(), 0, out.f32(), at, part.f32().length);
            case S8 -> System.arraycopy(part.s8(), 0, out.s8(), at, part.s8().length);
        }
    }

    @Override
    public void im2col(byte[] x, ConvGeometry g, byte pad, byte[] cols) {
        Int8Checks.im2col(x, g, cols);
        int c = g.c(), kk = g.kh() * g.kw() * c;
        IntStream imgs = IntStream.range(0, g.n());
        (threads > 1 ? imgs.parallel() : imgs).forEach(b -> {
            for (int oy = 0; oy < g.oh(); oy++) {
                for (int ox = 0; ox < g.ow(); ox++) {
                    int row = ((b * g.oh() + oy) * g.ow() + ox) * kk;
                    for (int ky = 0; ky < g.kh(); ky++) {
                        int iy = g.inY(oy, ky);
                        for (int kx = 0; kx < g.kw(); kx++) {
                            int ix = g.inX(ox, kx);
                            int dst = row + (ky * g.kw() + kx) * c;
                            if (iy < 0 || iy >= g.h() || ix < 0 || ix >= g.w()) {
                                Arrays.fill(cols, dst, dst + c, pad);
                            } else {
                                System.arraycopy(x, ((b * g.h() + iy) * g.w() + ix) * c, cols, dst, c);
                            }
                        }
                    }
                }
            }
        });
    }

    @Override
    public void quantizeToNhwc(float[] x, int n, int c, int hw, float scale, int zeroPoint, byte[] q) {
        Int8Checks.quantizeToNhwc(x, n, c, hw, q);
        QuantArithmetic.checkPerTensor(scale, zeroPoint);
        forImages(n, b -> {
            int base = b * c * hw;
            if (c == 1) {
                QuantArithmetic.quantizeS8Range(x, base, base + hw, scale, zeroPoint, q);
                return;
            }
            byte[] plane = new byte[c * hw];
            float[] src = java.util.Arrays.copyOfRange(x, base, base + c * hw);
            QuantArithmetic.quantizeS8Range(src, 0, plane.length, scale, zeroPoint, plane);
            for (int ch = 0; ch < c; ch++) for (int p = 0; p < hw; p++) q[base + p * c + ch] = plane[ch * hw + p];
        });
    }

    @Override
    public void maxPool(byte[] x, int n, int h, int w, int c, Pool2dSpec s, byte[] y) {
        Int8Checks.maxPool(x, n, h, w, c, s, y);
        int oh = s.outH(h), ow = s.outW(w);
        forImages(n, b -> {
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    int dst = ((b * oh + oy) * ow + ox) * c;
                    Arrays.fill(y, dst, dst + c, Byte.MIN_VALUE);
                    for (int ky = 0; ky < s.kernelH(); ky++) {
                        int iy = oy * s.strideH() - s.padH() + ky;
                        if (iy < 0 || iy >= h) continue;
                        for (int kx = 0; kx < s.kernelW(); kx++) {
                            int ix = ox * s.strideW() - s.padW() + kx;
                            if (ix < 0 || ix >= w) continue;
                            int at = ((b * h + iy) * w + ix) * c;
                            for (int ch = 0; ch < c; ch++) if (x[at + ch] > y[dst + ch]) y[dst + ch] = x[at + ch];
                        }
                    }
                }
            }
        });
    }

    @Override
    public void nhwcToNchw(byte[] x, int n, int hw, int c, byte[] y) {
        Int8Checks.nhwcToNchw(x, n, hw, c, y);
        forImages(n, b -> {
            int base = b * c * hw;
            for (int p = 0; p < hw; p++) for (int ch = 0; ch < c; ch++) y[base + ch * hw + p] = x[base + p * c + ch];
        });
    }

    private void forImages(int n, java.util.function.IntConsumer body) {
        IntStream r = IntStream.range(0, n);
        (threads > 1 && n > 1 ? r.parallel() : r).forEach(body);
    }
}

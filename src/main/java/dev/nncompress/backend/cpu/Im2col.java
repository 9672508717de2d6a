package dev.nncompress.backend.cpu;

import static dev.nncompress.backend.cpu.Mem.get;
import static dev.nncompress.backend.cpu.Mem.put;

/**
 * Column packing for the gemm route of {@link CpuConv}: for images [n0, n0+cnt) the block is
 * col[(c, ky, kx), b*P + oy*OW + ox] = x[n0+b, c, oy*sH - pH + ky, ox*sW - pW + kx] (0 in the padding),
 * a [C*kH*kW, cnt*P] row-major matrix. Rows are independent, so packing splits over rows and
 * unpacking (the scatter-add of the gradient) over channels.
 */
final class Im2col {
    private Im2col() {}

    /** First output column whose input column ox*s - p + k lies inside [0, w), and one past the last. */
    private static int lo(int k, int s, int p) { return Math.max(0, ceilDiv(p - k, s)); }

    private static int hi(int k, int s, int p, int w, int ow) { return Math.min(ow, ceilDiv(w + p - k, s)); }

    private static int ceilDiv(int a, int b) { return a <= 0 ? -((-a) / b) : (a + b - 1) / b; }

    static void pack(CpuConv.Geometry g, long x, int n0, int cnt, long col) {
        int kk = g.kh() * g.kw();
        int p = g.p();
        int ow = g.ow();
        int sh = g.spec().strideH();
        int sw = g.spec().strideW();
        int ph = g.spec().padH();
        int pw = g.spec().padW();
        long cols = (long) cnt * p;
        CpuPar.forRange(g.ckk(), Math.max(1, (int) (CpuPar.MIN_PARALLEL / 2 / Math.max(1, cols))), 1, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int c = r / kk;
                int ky = (r % kk) / g.kw();
                int kx = r % g.kw();
                int oxLo = lo(kx, sw, pw);
                int oxHi = hi(kx, sw, pw, g.w(), ow);
                long row = col + 4L * r * cols;
                for (int b = 0; b < cnt; b++) {
                    long plane = x + 4L * ((long) (n0 + b) * g.c() + c) * g.h() * g.w();
                    for (int oy = 0; oy < g.oh(); oy++) {
                        long dst = (long) b * p + (long) oy * ow;
                        int iy = oy * sh - ph + ky;
                        if (iy < 0 || iy >= g.h() || oxLo >= oxHi) {
                            Mem.zero(row + 4L * dst, ow);
                            continue;
                        }
                        if (oxLo > 0) Mem.zero(row + 4L * dst, oxLo);
                        if (oxHi < ow) Mem.zero(row + 4L * (dst + oxHi), ow - oxHi);
                        long src = (long) iy * g.w() + oxLo * sw - pw + kx;
                        if (sw == 1) {
                            Mem.copy(plane + 4L * src, row + 4L * (dst + oxLo), oxHi - oxLo);
                        } else {
                            for (int ox = oxLo; ox < oxHi; ox++, src += sw) put(row, dst + ox, get(plane, src));
                        }
                    }
                }
            }
        });
    }

    /** dx[n0+b, c, iy, ix] = sum over the (ky, kx, oy, ox) that read it of col[...]; overwrites those images. */
    static void unpack(CpuConv.Geometry g, long col, int n0, int cnt, long dx) {
        int kk = g.kh() * g.kw();
        int p = g.p();
        int ow = g.ow();
        int hw = g.h() * g.w();
        int sh = g.spec().strideH();
        int sw = g.spec().strideW();
        int ph = g.spec().padH();
        int pw = g.spec().padW();
        long cols = (long) cnt * p;
        CpuPar.forRange(g.c(), Math.max(1, (int) (CpuPar.MIN_PARALLEL / 2 / Math.max(1, cols * kk))), 1, (c0, c1) -> {
            for (int c = c0; c < c1; c++) {
                for (int b = 0; b < cnt; b++) Mem.zero(dx + 4L * ((long) (n0 + b) * g.c() + c) * hw, hw);
                for (int k = 0; k < kk; k++) {
                    int ky = k / g.kw();
                    int kx = k % g.kw();
                    int oxLo = lo(kx, sw, pw);
                    int oxHi = hi(kx, sw, pw, g.w(), ow);
                    long row = col + 4L * ((long) c * kk + k) * cols;
                    for (int b = 0; b < cnt; b++) {
                        long plane = dx + 4L * ((long) (n0 + b) * g.c() + c) * hw;
                        for (int oy = 0; oy < g.oh(); oy++) {
                            int iy = oy * sh - ph + ky;
                            if (iy < 0 || iy >= g.h()) continue;
                            long srcBase = (long) b * p + (long) oy * ow;
                            long dst = (long) iy * g.w() + (long) oxLo * sw - pw + kx;
                            for (int ox = oxLo; ox < oxHi; ox++, dst += sw) put(plane, dst, get(plane, dst) + get(row, srcBase + ox));
                        }
                    }
                }
            }
        });
    }
}

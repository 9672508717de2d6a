package dev.nncompress.backend.cpu;

import dev.nncompress.backend.ConvGeometry;
/**
 * Column packing for the gemm route of {@link CpuConv}: for images [n0, n0+cnt) and one group of
 * Cg = C/groups input channels starting at c0 the block is
 * col[(c, ky, kx), b*P + oy*OW + ox] = x[n0+b, c0 + c, oy*sH - pH + ky*dH, ox*sW - pW + kx*dW] (0 in the
 * padding), a [Cg*kH*kW, cnt*P] row-major matrix; pH/pW are the top/left pads (asymmetric padding only
 * changes OH/OW, which the geometry holds). Work is split over (image, channel) planes, each staged in a
 * heap array: one bulk copy per plane and per row segment instead of one per input row (a 14x14
 * plane took 14 Unsafe.copyMemory calls per kernel tap, which cost more than the gemm).
 */
final class Im2col {
    private Im2col() {}

    /** First output column whose input column ox*s - p + k lies inside [0, w), and one past the last (k: the tap's dilated offset). */
    private static int lo(int k, int s, int p) { return Math.max(0, ceilDiv(p - k, s)); }

    private static int hi(int k, int s, int p, int w, int ow) { return Math.min(ow, ceilDiv(w + p - k, s)); }

    private static int ceilDiv(int a, int b) { return a <= 0 ? -((-a) / b) : (a + b - 1) / b; }

    /**
     * Stride 1 with "same" padding (output size = input size, the 3x3/pad-1 case, dilated or with
     * asymmetric padding too): each kernel tap's row segment is the plane shifted by dy*W + dx
     * (dy = ky*dH - pH, dx = kx*dW - pW), so it is one array copy plus zeroing the positions whose
     * column wrapped around (|dx| per row) or whose row fell off the plane.
     */
    private static boolean sameShape(ConvGeometry g) {
        return g.spec().strideH() == 1 && g.spec().strideW() == 1 && g.oh() == g.h() && g.ow() == g.w();
    }

    /** seg[i] = plane[i + shift] where that is a real input position, else 0; dx = column shift. */
    private static void shiftCopy(float[] plane, float[] seg, int n, int w, long shift, int dx) {
        int lo = (int) Math.min(n, Math.max(0, -shift)); // long: a dilated tap far into the padding shifts past the plane
        int hi = (int) Math.max(0, Math.min(n, n - shift));
        java.util.Arrays.fill(seg, 0, lo, 0f);
        if (hi > lo) System.arraycopy(plane, (int) (lo + shift), seg, lo, hi - lo);
        if (hi < n) java.util.Arrays.fill(seg, Math.max(hi, 0), n, 0f);
        zeroWrapped(seg, n, w, dx);
    }

    /** plane[i + shift] += seg[i] over the real input positions (seg's wrapped columns are zeroed first). */
    private static void shiftAdd(float[] seg, float[] plane, int n, int w, long shift, int dx) {
        zeroWrapped(seg, n, w, dx);
        int lo = (int) Math.min(n, Math.max(0, -shift));
        int hi = (int) Math.max(0, Math.min(n, n - shift));
        int sh = (int) Math.max(-n, Math.min(n, shift)); // |shift| < n whenever the loop runs
        for (int i = lo; i < hi; i++) plane[i + sh] += seg[i];
    }

    /** Zeroes, in every row of w, the columns ox with ox + dx outside [0, w). */
    private static void zeroWrapped(float[] seg, int n, int w, int dx) {
        if (dx < 0) {
            for (int r = 0; r < n; r += w) java.util.Arrays.fill(seg, r, r + Math.min(w, -dx), 0f);
        } else if (dx > 0) {
            for (int r = 0; r < n; r += w) java.util.Arrays.fill(seg, r + Math.max(0, w - dx), r + w, 0f);
        }
    }

    /** Each (image, channel) plane is one work item: it reads one input plane and writes kH*kW row segments. */
    private static int minItems(ConvGeometry g) {
        return Math.max(1, CpuPar.MIN_PARALLEL / 2 / Math.max(1, g.kh() * g.kw() * g.p()));
    }

    /** The column block of group {@code group} (0 for an ungrouped conv). */
    static void pack(ConvGeometry g, long x, int n0, int cnt, int group, long col) {
        int kk = g.kh() * g.kw();
        int p = g.p();
        int ow = g.ow();
        int w = g.w();
        int hw = g.h() * w;
        int sh = g.spec().strideH();
        int sw = g.spec().strideW();
        int ph = g.spec().padH();
        int pw = g.spec().padW();
        int dh = g.spec().dilationH();
        int dw = g.spec().dilationW();
        int cg = g.cPerGroup();
        int c0 = group * cg;
        long cols = (long) cnt * p;
        CpuPar.forRange(cnt * cg, minItems(g), 1, (i0, i1) -> {
            float[] plane = new float[hw];
            float[] seg = new float[p];
            for (int item = i0; item < i1; item++) {
                int b = item / cg;
                int c = item % cg; // channel c0 + c of the image, row block c of the group's columns
                Mem.toArray(x, ((long) (n0 + b) * g.c() + c0 + c) * hw, plane, 0, hw);
                for (int k = 0; k < kk; k++) {
                    int ky = k / g.kw() * dh; // the tap's dilated row and column offsets
                    int kx = k % g.kw() * dw;
                    if (sameShape(g)) {
                        shiftCopy(plane, seg, hw, w, (long) (ky - ph) * w + (kx - pw), kx - pw);
                        Mem.fromArray(seg, 0, col, ((long) c * kk + k) * cols + (long) b * p, p);
                        continue;
                    }
                    int oxLo = Math.min(ow, lo(kx, sw, pw));
                    int oxHi = Math.max(oxLo, hi(kx, sw, pw, w, ow));
                    for (int oy = 0; oy < g.oh(); oy++) {
                        int d = oy * ow;
                        int iy = oy * sh - ph + ky;
                        if (iy < 0 || iy >= g.h()) {
                            java.util.Arrays.fill(seg, d, d + ow, 0f);
                            continue;
                        }
                        java.util.Arrays.fill(seg, d, d + oxLo, 0f);
                        java.util.Arrays.fill(seg, d + oxHi, d + ow, 0f);
                        int src = iy * w + oxLo * sw - pw + kx;
                        if (sw == 1) {
                            System.arraycopy(plane, src, seg, d + oxLo, oxHi - oxLo);
                        } else {
                            for (int ox = oxLo; ox < oxHi; ox++, src += sw) seg[d + ox] = plane[src];
                        }
                    }
                    Mem.fromArray(seg, 0, col, ((long) c * kk + k) * cols + (long) b * p, p);
                }
            }
        });
    }

    /** dx[n0+b, c0 + c, iy, ix] = sum over the (ky, kx, oy, ox) that read it of col[...]; overwrites those images' group channels. */
    static void unpack(ConvGeometry g, long col, int n0, int cnt, int group, long dx) {
        int kk = g.kh() * g.kw();
        int p = g.p();
        int ow = g.ow();
        int w = g.w();
        int hw = g.h() * w;
        int sh = g.spec().strideH();
        int sw = g.spec().strideW();
        int ph = g.spec().padH();
        int pw = g.spec().padW();
        int dh = g.spec().dilationH();
        int dw = g.spec().dilationW();
        int cg = g.cPerGroup();
        int c0 = group * cg;
        long cols = (long) cnt * p;
        CpuPar.forRange(cnt * cg, minItems(g), 1, (i0, i1) -> {
            float[] plane = new float[hw];
            float[] seg = new float[p];
            for (int item = i0; item < i1; item++) {
                int b = item / cg;
                int c = item % cg; // channel c0 + c of the image, row block c of the group's columns
                java.util.Arrays.fill(plane, 0f);
                for (int k = 0; k < kk; k++) {
                    int ky = k / g.kw() * dh; // the tap's dilated row and column offsets
                    int kx = k % g.kw() * dw;
                    int oxLo = Math.min(ow, lo(kx, sw, pw));
                    int oxHi = Math.max(oxLo, hi(kx, sw, pw, w, ow));
                    Mem.toArray(col, ((long) c * kk + k) * cols + (long) b * p, seg, 0, p);
                    if (sameShape(g)) {
                        shiftAdd(seg, plane, hw, w, (long) (ky - ph) * w + (kx - pw), kx - pw);
                        continue;
                    }
                    for (int oy = 0; oy < g.oh(); oy++) {
                        int iy = oy * sh - ph + ky;
                        if (iy < 0 || iy >= g.h()) continue;
                        int d = oy * ow;
                        int dst = iy * w + oxLo * sw - pw + kx;
                        if (sw == 1) {
                            int off = dst - d - oxLo;
                            for (int ox = d + oxLo; ox < d + oxHi; ox++) plane[ox + off] += seg[ox];
                        } else {
                            for (int ox = oxLo; ox < oxHi; ox++, dst += sw) plane[dst] += seg[d + ox];
                        }
                    }
                }
                Mem.fromArray(plane, 0, dx, ((long) (n0 + b) * g.c() + c0 + c) * hw, hw);
            }
        });
    }
}

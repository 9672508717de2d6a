package dev.nncompress.backend.cpu;

import dev.nncompress.backend.ConvGeometry;

/**
 * Depthwise convolution (groups == C; weight [C*M, 1, kH, kW]; output channel oc reads input channel
 * oc / M, M the channel multiplier) as direct Java loops, any stride, dilation and padding. A depthwise
 * conv has 1/C of a dense conv's multiply-adds and no reduction over channels, so neither libnd4j's
 * conv2d (no groups) nor a gemm per channel (a 1 x kH*kW matrix) gets near memory speed; MobileNetV2's
 * inference time is mostly these layers once the pointwise ones are pruned.
 *
 * <p>Layout: the zero-padded input plane (Hp x Wp) is split into sH * sW phase planes of Hq x Wq
 * (Hq = ceil(Hp / sH), Wq = ceil(Wp / sW)): phase (py, px) holds padded rows py, py + sH, ... and columns
 * px, px + sW, .... Output (oy, ox) reads tap (ky, kx) at padded row oy*sH + ky*dH, i.e. phase row
 * oy + (ky*dH)/sH of phase (ky*dH) % sH, and likewise for columns, so over an OH x Wq grid (the columns
 * past OW are discarded) every tap is ONE contiguous shifted range of one phase plane, and the output is
 * a sum of kH*kW long axpys, for every stride (stride 1: one phase, the padded plane itself). As in
 * {@link DirectConv}, each tap is copied to its own array first, because HotSpot (17) vectorises
 * {@code acc[i] += w * tap[i]} but not {@code acc[i] += w * plane[off + i]}.
 *
 * <p>Sums are float, bias first, taps in (ky, kx) order; the weight gradient accumulates per grid cell
 * in float over the batch and reduces each tap's grid in double. Work is split over planes (forward and
 * dx: one (image, input channel) each; dw and db: one output channel each, over the whole batch), so the
 * result does not depend on the thread count.
 */
final class CpuDepthwiseConv {
    private CpuDepthwiseConv() {}

    /** The phase-plane geometry of one call. */
    private static final class Layout {
        final ConvGeometry g;
        final int sh, sw, pt, pl, hq, wq, plane, buffer, grid, kk, mult;
        final int[] tapOffset;

        Layout(ConvGeometry g) {
            this.g = g;
            sh = g.spec().strideH();
            sw = g.spec().strideW();
            pt = g.spec().padH();
            pl = g.spec().padW();
            long hp = g.h() + (long) pt + g.spec().padBottom(), wp = g.w() + (long) pl + g.spec().padRight();
            hq = (int) ((hp + sh - 1) / sh);
            wq = (int) ((wp + sw - 1) / sw);
            // + wq: the discarded grid columns of the last row read up to wq - 1 floats past the phase plane
            long planeL = (long) hq * wq + wq;
            long bufferL = planeL * sh * sw;
            long gridL = (long) g.oh() * wq;
            if (bufferL > Integer.MAX_VALUE - 16 || gridL > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException("depthwise conv: padded plane of " + hp + "x" + wp + " is too large for one array");
            }
            plane = (int) planeL;
            buffer = (int) bufferL;
            grid = (int) gridL;
            kk = g.kh() * g.kw();
            mult = g.oPerGroup();
            tapOffset = new int[kk];
            for (int ky = 0; ky < g.kh(); ky++) {
                for (int kx = 0; kx < g.kw(); kx++) {
                    long ry = (long) ky * g.spec().dilationH(), rx = (long) kx * g.spec().dilationW();
                    int phase = (int) ((ry % sh) * sw + rx % sw);
                    tapOffset[ky * g.kw() + kx] = (int) (phase * planeL + (ry / sh) * wq + rx / sw);
                }
            }
        }

        /** Planes per part so that a part holds about MIN_PARALLEL multiply-adds. */
        int minItems(int perItem) { return (int) Math.max(1, CpuPar.MIN_PARALLEL / Math.max(1L, (long) perItem * kk * grid)); }

        /** The padded input plane {@code x} [H*W] spread over the phase planes of {@code buf} (zeros elsewhere). */
        void spread(float[] x, float[] buf) {
            java.util.Arrays.fill(buf, 0f);
            int h = g.h(), w = g.w();
            for (int y = 0; y < h; y++) {
                int yp = y + pt;
                int rowBase = (yp % sh) * sw * plane + (yp / sh) * wq;
                if (sw == 1) {
                    System.arraycopy(x, y * w, buf, rowBase + pl, w);
                    continue;
                }
                for (int xx = 0; xx < w; xx++) {
                    int xp = xx + pl;
                    buf[rowBase + (xp % sw) * plane + xp / sw] = x[y * w + xx];
                }
            }
        }

        /** The inverse of {@link #spread} on the input positions: dx[H*W] = buf at each position's phase slot. */
        void gather(float[] buf, float[] dx) {
            int h = g.h(), w = g.w();
            for (int y = 0; y < h; y++) {
                int yp = y + pt;
                int rowBase = (yp % sh) * sw * plane + (yp / sh) * wq;
                if (sw == 1) {
                    System.arraycopy(buf, rowBase + pl, dx, y * w, w);
                    continue;
                }
                for (int xx = 0; xx < w; xx++) {
                    int xp = xx + pl;
                    dx[y * w + xx] = buf[rowBase + (xp % sw) * plane + xp / sw];
                }
            }
        }

        /** Output plane {@code src} [OH*OW] laid on the OH x Wq grid, zeros in the discarded columns. */
        void toGrid(float[] src, float[] gridOut) {
            java.util.Arrays.fill(gridOut, 0f);
            for (int y = 0; y < g.oh(); y++) System.arraycopy(src, y * g.ow(), gridOut, y * wq, g.ow());
        }

        void fromGrid(float[] gridIn, float[] dst) {
            for (int y = 0; y < g.oh(); y++) System.arraycopy(gridIn, y * wq, dst, y * g.ow(), g.ow());
        }
    }

    static void forward(ConvGeometry g, long x, long w, long bias, long out) {
        Layout l = new Layout(g);
        float[] wt = new float[g.o() * l.kk];
        Mem.toArray(w, 0, wt, 0, wt.length);
        float[] bs = new float[g.o()];
        if (bias != 0L) Mem.toArray(bias, 0, bs, 0, g.o());
        int hw = g.h() * g.w();
        CpuPar.forRange(g.n() * g.c(), l.minItems(l.mult), 1, (i0, i1) -> {
            float[] image = new float[hw];
            float[] buf = new float[l.buffer];
            float[] tap = new float[l.grid];
            float[][] acc = new float[l.mult][l.grid];
            float[] res = new float[g.p()];
            for (int item = i0; item < i1; item++) {
                int b = item / g.c(), ic = item % g.c();
                Mem.toArray(x, (long) item * hw, image, 0, hw);
                l.spread(image, buf);
                int oc0 = ic * l.mult;
                for (int m = 0; m < l.mult; m++) java.util.Arrays.fill(acc[m], bs[oc0 + m]);
                for (int k = 0; k < l.kk; k++) {
                    System.arraycopy(buf, l.tapOffset[k], tap, 0, l.grid);
                    for (int m = 0; m < l.mult; m++) {
                        float wv = wt[(oc0 + m) * l.kk + k];
                        float[] a = acc[m];
                        for (int i = 0; i < l.grid; i++) a[i] += wv * tap[i];
                    }
                }
                for (int m = 0; m < l.mult; m++) {
                    l.fromGrid(acc[m], res);
                    Mem.fromArray(res, 0, out, ((long) b * g.o() + oc0 + m) * g.p(), g.p());
                }
            }
        });
    }

    /** dx (0 = not wanted), dw and db (0 = not wanted) of {@link #forward}. */
    static void backward(ConvGeometry g, long x, long w, long gradOut, long dx, long dw, long db) {
        Layout l = new Layout(g);
        if (dx != 0L) inputGrad(l, w, gradOut, dx);
        weightGrad(l, x, gradOut, dw, db);
    }

    /** dx[b, ic] = sum over its M output channels and the taps of w * gy, scattered on the phase planes and gathered back. */
    private static void inputGrad(Layout l, long w, long gradOut, long dx) {
        ConvGeometry g = l.g;
        float[] wt = new float[g.o() * l.kk];
        Mem.toArray(w, 0, wt, 0, wt.length);
        int hw = g.h() * g.w();
        CpuPar.forRange(g.n() * g.c(), l.minItems(l.mult), 1, (i0, i1) -> {
            float[] buf = new float[l.buffer];
            float[] tap = new float[l.grid];
            float[] gg = new float[l.grid];
            float[] gy = new float[g.p()];
            float[] plane = new float[hw];
            for (int item = i0; item < i1; item++) {
                int b = item / g.c(), ic = item % g.c();
                java.util.Arrays.fill(buf, 0f);
                for (int m = 0; m < l.mult; m++) {
                    int oc = ic * l.mult + m;
                    Mem.toArray(gradOut, ((long) b * g.o() + oc) * g.p(), gy, 0, g.p());
                    l.toGrid(gy, gg);
                    for (int k = 0; k < l.kk; k++) {
                        float wv = wt[oc * l.kk + k];
                        int off = l.tapOffset[k];
                        System.arraycopy(buf, off, tap, 0, l.grid);
                        for (int i = 0; i < l.grid; i++) tap[i] += wv * gg[i];
                        System.arraycopy(tap, 0, buf, off, l.grid);
                    }
                }
                l.gather(buf, plane);
                Mem.fromArray(plane, 0, dx, (long) item * hw, hw);
            }
        });
    }

    /** dw[oc, tap] = sum over images and grid of gy * tap (per-cell float sums, reduced in double); db[oc] = sum of gy in double. */
    private static void weightGrad(Layout l, long x, long gradOut, long dw, long db) {
        ConvGeometry g = l.g;
        int hw = g.h() * g.w();
        float[] dwAll = new float[g.o() * l.kk];
        float[] dbAll = new float[g.o()];
        CpuPar.forRange(g.o(), l.minItems(g.n()), 1, (o0, o1) -> {
            float[] image = new float[hw];
            float[] buf = new float[l.buffer];
            float[] tap = new float[l.grid];
            float[] gg = new float[l.grid];
            float[] gy = new float[g.p()];
            float[][] tmp = new float[l.kk][l.grid];
            for (int oc = o0; oc < o1; oc++) {
                int ic = oc / l.mult;
                for (float[] t : tmp) java.util.Arrays.fill(t, 0f);
                double bsum = 0;
                for (int b = 0; b < g.n(); b++) {
                    Mem.toArray(x, ((long) b * g.c() + ic) * hw, image, 0, hw);
                    l.spread(image, buf);
                    Mem.toArray(gradOut, ((long) b * g.o() + oc) * g.p(), gy, 0, g.p());
                    for (float v : gy) bsum += v;
                    l.toGrid(gy, gg);
                    for (int k = 0; k < l.kk; k++) {
                        System.arraycopy(buf, l.tapOffset[k], tap, 0, l.grid);
                        float[] t = tmp[k];
                        for (int i = 0; i < l.grid; i++) t[i] += gg[i] * tap[i];
                    }
                }
                for (int k = 0; k < l.kk; k++) {
                    double s = 0;
                    for (float v : tmp[k]) s += v;
                    dwAll[oc * l.kk + k] = (float) s;
                }
                dbAll[oc] = (float) bsum;
            }
        });
        Mem.fromArray(dwAll, 0, dw, 0, dwAll.length);
        if (db != 0L) Mem.fromArray(dbAll, 0, db, 0, g.o());
    }
}

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
 * oy + (ky*dH)/sH of phase (ky*dH) % sH, and likewise for columns. The planes of B images of one channel
 * (which share the weights) lie one after another within each phase, so over a grid of B x Hq x Wq (the
 * rows past OH and columns past OW of each image are discarded) every tap is ONE contiguous shifted range
 * of one phase, and the output is a sum of kH*kW long axpys, for every stride (stride 1: one phase, the
 * padded planes themselves). Long grids amortise the loop overhead that a 14x14 plane alone would not.
 * As in {@link DirectConv}, each tap is copied to its own array first, because HotSpot (17) vectorises
 * {@code acc[i] += w * tap[i]} but not {@code acc[i] += w * plane[off + i]}.
 *
 * <p>Sums are float, bias first, taps in (ky, kx) order; the weight gradient accumulates per grid cell in
 * float over the batch and reduces each tap's grid in double. Work is split over (input channel, image
 * block) items for forward and dx, over output channels for dw and db, so the result does not depend on
 * the thread count.
 */
final class CpuDepthwiseConv {
    /**
     * Floats of one block's phase planes: the accumulator and tap grids (16 KB each) then stay in L1. Measured
     * (thread CPU time, one thread, N=64 C=96 14x14 3x3, busy 2-core Zen 4): 4096 floats 3.2 ms a forward,
     * 16384 4.1-5.7, 65536 4.2-5.6; 1024 3.1-4.6.
     */
    private static final int BLOCK_FLOATS = 1 << 12;
    /** Floats of the weight gradient's kH*kW per-tap grids together (same measurement: backward 10 ms at 8192, 11-12 at 16384-32768, 14-17 at 65536). */
    private static final int GRAD_FLOATS = 1 << 13;

    private CpuDepthwiseConv() {}

    /** The phase-plane geometry of one call for blocks of {@code images} images. */
    private static final class Layout {
        final ConvGeometry g;
        final int sh, sw, pt, pl, hq, wq, img, phaseStride, buffer, images, kk, mult;
        final int[] tapOffset;

        Layout(ConvGeometry g, int budget) {
            this.g = g;
            sh = g.spec().strideH();
            sw = g.spec().strideW();
            pt = g.spec().padH();
            pl = g.spec().padW();
            long hp = g.h() + (long) pt + g.spec().padBottom(), wp = g.w() + (long) pl + g.spec().padRight();
            hq = (int) ((hp + sh - 1) / sh);
            wq = (int) ((wp + sw - 1) / sw);
            long imgL = (long) hq * wq;
            long phases = (long) sh * sw;
            kk = g.kh() * g.kw();
            mult = g.oPerGroup();
            images = (int) Math.max(1, Math.min(Math.max(g.n(), 1), budget / Math.max(1, imgL * phases)));
            long phaseStrideL = imgL * images;
            long[] offsets = new long[kk];
            long maxShift = 0;
            for (int ky = 0; ky < g.kh(); ky++) {
                for (int kx = 0; kx < g.kw(); kx++) {
                    long ry = (long) ky * g.spec().dilationH(), rx = (long) kx * g.spec().dilationW();
                    long shift = (ry / sh) * wq + rx / sw;
                    maxShift = Math.max(maxShift, shift);
                    offsets[ky * g.kw() + kx] = ((ry % sh) * sw + rx % sw) * phaseStrideL + shift;
                }
            }
            // the grid's last cells (discarded rows and columns of the last image) read up to maxShift past the last phase
            long bufferL = phases * phaseStrideL + maxShift;
            if (bufferL > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException("depthwise conv: padded plane of " + hp + "x" + wp + " is too large for one array");
            }
            img = (int) imgL;
            phaseStride = (int) phaseStrideL;
            buffer = (int) bufferL;
            tapOffset = new int[kk];
            for (int k = 0; k < kk; k++) tapOffset[k] = (int) offsets[k];
        }

        int blocks() { return (Math.max(g.n(), 1) + images - 1) / images; }

        /** Grid cells of a block of {@code cnt} images. */
        int grid(int cnt) { return cnt * img; }

        /** Items (or output channels) per part so that a part holds about MIN_PARALLEL multiply-adds. */
        int minItems(long perItem) { return (int) Math.max(1, CpuPar.MIN_PARALLEL / Math.max(1L, perItem * kk)); }

        /** The planes x[j][H*W] of images j < cnt spread over the phase planes of {@code buf} (zeros elsewhere). */
        void spread(float[] x, int cnt, float[] buf) {
            java.util.Arrays.fill(buf, 0f);
            int h = g.h(), w = g.w(), hw = h * w;
            for (int j = 0; j < cnt; j++) {
                for (int y = 0; y < h; y++) {
                    int yp = y + pt;
                    int rowBase = (yp % sh) * sw * phaseStride + j * img + (yp / sh) * wq;
                    if (sw == 1) {
                        System.arraycopy(x, j * hw + y * w, buf, rowBase + pl, w);
                        continue;
                    }
                    // column phase by column phase: a strided read, a contiguous write, no division per element
                    for (int px = 0; px < sw; px++) {
                        int x0 = Math.floorMod(px - pl, sw); // first input column of phase px
                        int dst = rowBase + px * phaseStride + (x0 + pl) / sw, src = j * hw + y * w + x0, count = (w - x0 + sw - 1) / sw;
                        for (int k = 0; k < count; k++) buf[dst + k] = x[src + k * sw]; // one counted loop: C2 hoists its range checks
                    }
                }
            }
        }

        /** The inverse of {@link #spread} on the input positions: dx[j][H*W] = buf at each position's phase slot. */
        void gather(float[] buf, int cnt, float[] dx) {
            int h = g.h(), w = g.w(), hw = h * w;
            for (int j = 0; j < cnt; j++) {
                for (int y = 0; y < h; y++) {
                    int yp = y + pt;
                    int rowBase = (yp % sh) * sw * phaseStride + j * img + (yp / sh) * wq;
                    if (sw == 1) {
                        System.arraycopy(buf, rowBase + pl, dx, j * hw + y * w, w);
                        continue;
                    }
                    for (int px = 0; px < sw; px++) {
                        int x0 = Math.floorMod(px - pl, sw);
                        int src = rowBase + px * phaseStride + (x0 + pl) / sw, dst = j * hw + y * w + x0, count = (w - x0 + sw - 1) / sw;
                        for (int k = 0; k < count; k++) dx[dst + k * sw] = buf[src + k];
                    }
                }
            }
        }

        /** Output planes src[j][OH*OW] laid on the grid, zeros in the discarded rows and columns. */
        void toGrid(float[] src, int cnt, float[] grid) {
            java.util.Arrays.fill(grid, 0, grid(cnt), 0f);
            for (int j = 0; j < cnt; j++) {
                for (int y = 0; y < g.oh(); y++) System.arraycopy(src, j * g.p() + y * g.ow(), grid, j * img + y * wq, g.ow());
            }
        }

        void fromGrid(float[] grid, int j, float[] dst) {
            for (int y = 0; y < g.oh(); y++) System.arraycopy(grid, j * img + y * wq, dst, y * g.ow(), g.ow());
        }
    }

    /** Copies images [b0, b0 + cnt) of channel ch of an [N, channels, plane] tensor into dst[j][plane]. */
    private static void loadPlanes(long t, int channels, int ch, int b0, int cnt, int plane, float[] dst) {
        for (int j = 0; j < cnt; j++) Mem.toArray(t, ((long) (b0 + j) * channels + ch) * plane, dst, j * plane, plane);
    }

    /**
     * Forward on the native kernel where it takes the conv ({@link NativeDepthwise}, bit-identical, 2.3-4.7x faster on
     * MobileNetV2's layers: {@code DepthwiseConvBench mobilenet}), else the Java loops below. Lengths are the blocks' floats, for
     * the native side's checks.
     */
    static void forward(ConvGeometry g, long x, long xLength, long w, long wLength, long bias, long biasLength, long out, long outLength) {
        if (NativeDepthwise.takes(g)) NativeDepthwise.forward(g, x, xLength, w, wLength, bias, biasLength, out, outLength);
        else forward(g, x, w, bias, out);
    }

    /** The Java loops of the forward (the native kernel's twin). */
    static void forward(ConvGeometry g, long x, long w, long bias, long out) {
        Layout l = new Layout(g, BLOCK_FLOATS);
        float[] wt = new float[g.o() * l.kk];
        Mem.toArray(w, 0, wt, 0, wt.length);
        float[] bs = new float[g.o()];
        if (bias != 0L) Mem.toArray(bias, 0, bs, 0, g.o());
        int hw = g.h() * g.w(), blocks = l.blocks();
        CpuPar.forRange(g.c() * blocks, l.minItems((long) l.mult * l.grid(l.images)), 1, (i0, i1) -> {
            float[] images = new float[l.images * hw];
            float[] buf = new float[l.buffer];
            float[] tap = new float[l.grid(l.images)];
            float[][] acc = new float[l.mult][l.grid(l.images)];
            float[] res = new float[g.p()];
            for (int item = i0; item < i1; item++) {
                int ic = item / blocks, b0 = item % blocks * l.images, cnt = Math.min(l.images, g.n() - b0), grid = l.grid(cnt);
                loadPlanes(x, g.c(), ic, b0, cnt, hw, images);
                l.spread(images, cnt, buf);
                int oc0 = ic * l.mult;
                for (int m = 0; m < l.mult; m++) java.util.Arrays.fill(acc[m], 0, grid, bs[oc0 + m]);
                for (int k = 0; k < l.kk; k++) {
                    System.arraycopy(buf, l.tapOffset[k], tap, 0, grid);
                    for (int m = 0; m < l.mult; m++) {
                        float wv = wt[(oc0 + m) * l.kk + k];
                        float[] a = acc[m];
                        for (int i = 0; i < grid; i++) a[i] += wv * tap[i];
                    }
                }
                for (int m = 0; m < l.mult; m++) {
                    for (int j = 0; j < cnt; j++) {
                        l.fromGrid(acc[m], j, res);
                        Mem.fromArray(res, 0, out, ((long) (b0 + j) * g.o() + oc0 + m) * g.p(), g.p());
                    }
                }
            }
        });
    }

    /** dx (0 = not wanted), dw and db (0 = not wanted) of {@link #forward}. */
    static void backward(ConvGeometry g, long x, long w, long gradOut, long dx, long dw, long db) {
        if (dx != 0L) inputGrad(new Layout(g, BLOCK_FLOATS), w, gradOut, dx);
        weightGrad(new Layout(g, GRAD_FLOATS / (g.kh() * g.kw())), x, gradOut, dw, db);
    }

    /** dx[b, ic] = sum over its M output channels and the taps of w * gy, scattered on the phase planes and gathered back. */
    private static void inputGrad(Layout l, long w, long gradOut, long dx) {
        ConvGeometry g = l.g;
        float[] wt = new float[g.o() * l.kk];
        Mem.toArray(w, 0, wt, 0, wt.length);
        int hw = g.h() * g.w(), blocks = l.blocks();
        CpuPar.forRange(g.c() * blocks, l.minItems((long) l.mult * l.grid(l.images)), 1, (i0, i1) -> {
            float[] buf = new float[l.buffer];
            float[] tap = new float[l.grid(l.images)];
            float[] gg = new float[l.grid(l.images)];
            float[] gy = new float[l.images * g.p()];
            float[] planes = new float[l.images * hw];
            for (int item = i0; item < i1; item++) {
                int ic = item / blocks, b0 = item % blocks * l.images, cnt = Math.min(l.images, g.n() - b0), grid = l.grid(cnt);
                java.util.Arrays.fill(buf, 0f);
                for (int m = 0; m < l.mult; m++) {
                    int oc = ic * l.mult + m;
                    loadPlanes(gradOut, g.o(), oc, b0, cnt, g.p(), gy);
                    l.toGrid(gy, cnt, gg);
                    for (int k = 0; k < l.kk; k++) {
                        float wv = wt[oc * l.kk + k];
                        int off = l.tapOffset[k];
                        System.arraycopy(buf, off, tap, 0, grid);
                        for (int i = 0; i < grid; i++) tap[i] += wv * gg[i];
                        System.arraycopy(tap, 0, buf, off, grid);
                    }
                }
                l.gather(buf, cnt, planes);
                for (int j = 0; j < cnt; j++) Mem.fromArray(planes, j * hw, dx, ((long) (b0 + j) * g.c() + ic) * hw, hw);
            }
        });
    }

    /** dw[oc, tap] = sum over images and grid of gy * tap (per-cell float sums, reduced in double); db[oc] = sum of gy in double. */
    private static void weightGrad(Layout l, long x, long gradOut, long dw, long db) {
        ConvGeometry g = l.g;
        int hw = g.h() * g.w(), blocks = l.blocks();
        float[] dwAll = new float[g.o() * l.kk];
        float[] dbAll = new float[g.o()];
        CpuPar.forRange(g.o(), l.minItems((long) g.n() * l.img), 1, (o0, o1) -> {
            float[] images = new float[l.images * hw];
            float[] buf = new float[l.buffer];
            float[] tap = new float[l.grid(l.images)];
            float[] gg = new float[l.grid(l.images)];
            float[] gy = new float[l.images * g.p()];
            float[][] tmp = new float[l.kk][l.grid(l.images)];
            for (int oc = o0; oc < o1; oc++) {
                int ic = oc / l.mult;
                for (float[] t : tmp) java.util.Arrays.fill(t, 0f);
                double bsum = 0;
                for (int blk = 0; blk < blocks && g.n() > 0; blk++) {
                    int b0 = blk * l.images, cnt = Math.min(l.images, g.n() - b0), grid = l.grid(cnt);
                    loadPlanes(x, g.c(), ic, b0, cnt, hw, images);
                    l.spread(images, cnt, buf);
                    loadPlanes(gradOut, g.o(), oc, b0, cnt, g.p(), gy);
                    for (int i = 0; i < cnt * g.p(); i++) bsum += gy[i];
                    l.toGrid(gy, cnt, gg);
                    for (int k = 0; k < l.kk; k++) {
                        System.arraycopy(buf, l.tapOffset[k], tap, 0, grid);
                        float[] t = tmp[k];
                        for (int i = 0; i < grid; i++) t[i] += gg[i] * tap[i];
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

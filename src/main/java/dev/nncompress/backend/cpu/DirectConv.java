package dev.nncompress.backend.cpu;

import dev.nncompress.backend.ConvGeometry;
/**
 * Stride-1 convolution for few input channels (first layers, small students), as vectorisable Java
 * loops: each input plane is zero-padded into a heap array of width Wp = W + 2pW, so a kernel tap
 * (ky, kx) is the whole plane shifted by ky*Wp + kx, and the output over an OH x Wp grid (the
 * columns past OW are discarded) is a sum of C*kH*kW long axpys. Each tap is first copied to its
 * own array: HotSpot (17) does not vectorise "acc[i] += w * xp[off + i]" (it cannot rule out that acc
 * is xp), but does once both sides are indexed by i: 3-5 against 20-24 GFLOP/s on one core. Four
 * output channels share each copied tap. No im2col, no reorders, no native call:
 * for C*kH*kW up to a few dozen this beats both oneDNN (0.5-1.4 ms per student layer, mostly fixed
 * cost) and the gemm route. The weight gradient accumulates the same products per tap over the
 * batch into one grid-sized array and reduces it once at the end.
 */
final class DirectConv {
    private DirectConv() {}

    /** Worth using: stride 1 and a small reduction per output (measured crossover, CpuBackendBench). */
    static boolean suits(ConvGeometry g) {
        return g.spec().strideH() == 1 && g.spec().strideW() == 1 && g.ckk() <= 27;
    }

    private static int wp(ConvGeometry g) { return g.w() + 2 * g.spec().padW(); }

    private static int hp(ConvGeometry g) { return g.h() + 2 * g.spec().padH(); }

    /** Padded planes of image b: [C][Hp*Wp] plus kW slack floats read by the discarded columns. */
    private static float[] padded(ConvGeometry g, long x, int b, float[] buf, float[] image) {
        int wp = wp(g);
        int plane = hp(g) * wp;
        int need = g.c() * plane + g.kw();
        float[] xp = buf != null && buf.length >= need ? buf : new float[need];
        java.util.Arrays.fill(xp, 0f);
        int hw = g.h() * g.w();
        Mem.toArray(x, (long) b * g.c() * hw, image, 0, g.c() * hw); // one off-heap copy, then heap row copies
        for (int c = 0; c < g.c(); c++) {
            for (int y = 0; y < g.h(); y++) {
                System.arraycopy(image, c * hw + y * g.w(), xp, c * plane + (y + g.spec().padH()) * wp + g.spec().padW(), g.w());
            }
        }
        return xp;
    }

    static void forward(ConvGeometry g, long x, long w, long bias, long out) {
        float[] wt = new float[g.o() * g.ckk()];
        Mem.toArray(w, 0, wt, 0, wt.length);
        float[] bs = new float[g.o()];
        if (bias != 0L) Mem.toArray(bias, 0, bs, 0, g.o());
        int wp = wp(g);
        int plane = hp(g) * wp;
        int grid = g.oh() * wp;
        int kk = g.kh() * g.kw();
        CpuPar.forRange(g.n(), Math.max(1, CpuPar.MIN_PARALLEL / 4 / Math.max(1, g.o() * g.ckk() * grid / 8)), 1, (b0, b1) -> {
            float[] xp = null;
            float[] image = new float[g.c() * g.h() * g.w()];
            float[][] acc = new float[4][grid];
            float[] tap = new float[grid];
            float[] res = new float[g.p()];
            for (int b = b0; b < b1; b++) {
                xp = padded(g, x, b, xp, image);
                for (int o0 = 0; o0 < g.o(); o0 += 4) {
                    int cnt = Math.min(4, g.o() - o0);
                    for (int j = 0; j < 4; j++) java.util.Arrays.fill(acc[j], j < cnt ? bs[o0 + j] : 0f);
                    float[] a0 = acc[0];
                    float[] a1 = acc[1];
                    float[] a2 = acc[2];
                    float[] a3 = acc[3];
                    for (int c = 0; c < g.c(); c++) {
                        for (int k = 0; k < kk; k++) {
                            int off = c * plane + (k / g.kw()) * wp + k % g.kw();
                            int wi = c * kk + k;
                            float w0 = wt[o0 * g.ckk() + wi];
                            float w1 = cnt > 1 ? wt[(o0 + 1) * g.ckk() + wi] : 0f;
                            float w2 = cnt > 2 ? wt[(o0 + 2) * g.ckk() + wi] : 0f;
                            float w3 = cnt > 3 ? wt[(o0 + 3) * g.ckk() + wi] : 0f;
                            System.arraycopy(xp, off, tap, 0, grid);
                            for (int i = 0; i < grid; i++) {
                                float v = tap[i];
                                a0[i] += w0 * v;
                                a1[i] += w1 * v;
                                a2[i] += w2 * v;
                                a3[i] += w3 * v;
                            }
                        }
                    }
                    for (int j = 0; j < cnt; j++) {
                        for (int y = 0; y < g.oh(); y++) System.arraycopy(acc[j], y * wp, res, y * g.ow(), g.ow());
                        Mem.fromArray(res, 0, out, ((long) b * g.o() + o0 + j) * g.p(), g.p());
                    }
                }
            }
        });
    }

    /**
     * dw (and db when not 0) of a stride-1 conv; dx is left to the other routes (a first layer has
     * none). Per thread, per weight: tmp[i] += g[i] * xp[off + i] over its images, reduced at the end.
     */
    static void weightGrad(ConvGeometry g, long x, long gradOut, long dw, long db) {
        int wp = wp(g);
        int plane = hp(g) * wp;
        int grid = g.oh() * wp;
        int kk = g.kh() * g.kw();
        int weights = g.o() * g.ckk();
        int parts = Math.min(CpuPar.threads(), g.n());
        double[][] partial = new double[parts][];
        double[][] partialBias = new double[parts][];
        int per = (g.n() + parts - 1) / parts;
        CpuPar.forRange(parts, 1, 1, (p0, p1) -> {
            for (int part = p0; part < p1; part++) {
                float[][] tmp = new float[weights][grid];
                float[][] taps = new float[g.ckk()][grid];
                double[] bsum = new double[g.o()];
                float[] xp = null;
                float[] image = new float[g.c() * g.h() * g.w()];
                float[] gAll = new float[g.o() * g.p()];
                float[] gg = new float[grid + g.kw()];
                for (int b = part * per; b < Math.min(g.n(), (part + 1) * per); b++) {
                    xp = padded(g, x, b, xp, image);
                    // every tap copied once per image, shared by all output channels (12% faster
                    // student conv1 dw than a copy per (o, tap), A/B median over 8 rounds)
                    for (int c = 0; c < g.c(); c++) {
                        for (int k = 0; k < kk; k++) {
                            System.arraycopy(xp, c * plane + (k / g.kw()) * wp + k % g.kw(), taps[c * kk + k], 0, grid);
                        }
                    }
                    Mem.toArray(gradOut, (long) b * g.o() * g.p(), gAll, 0, gAll.length);
                    for (int o = 0; o < g.o(); o++) {
                        // gradOut of (b, o) on the OH x Wp grid, zero in the discarded columns
                        java.util.Arrays.fill(gg, 0f);
                        for (int y = 0; y < g.oh(); y++) System.arraycopy(gAll, o * g.p() + y * g.ow(), gg, y * wp, g.ow());
                        if (db != 0L) {
                            double s = 0;
                            for (int i = 0; i < grid; i++) s += gg[i];
                            bsum[o] += s;
                        }
                        for (int ci = 0; ci < g.ckk(); ci++) {
                            float[] t = tmp[o * g.ckk() + ci];
                            float[] tp = taps[ci];
                            for (int i = 0; i < grid; i++) t[i] += gg[i] * tp[i];
                        }
                    }
                }
                double[] sums = new double[weights];
                for (int wi = 0; wi < weights; wi++) {
                    double s = 0;
                    for (int i = 0; i < grid; i++) s += tmp[wi][i];
                    sums[wi] = s;
                }
                partial[part] = sums;
                partialBias[part] = bsum;
            }
        });
        float[] out = new float[weights];
        for (int wi = 0; wi < weights; wi++) {
            double s = 0;
            for (double[] p : partial) s += p[wi];
            out[wi] = (float) s;
        }
        Mem.fromArray(out, 0, dw, 0, weights);
        if (db != 0L) {
            for (int o = 0; o < g.o(); o++) {
                double s = 0;
                for (double[] p : partialBias) s += p[o];
                Mem.put(db, o, (float) s);
            }
        }
    }
}

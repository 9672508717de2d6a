package dev.nncompress.backend.cpu;

import dev.nncompress.backend.PoolGeometry;
import dev.nncompress.backend.Pool2dSpec;
import org.nd4j.linalg.api.ndarray.INDArray;

import static dev.nncompress.backend.cpu.Mem.get;
import static dev.nncompress.backend.cpu.Mem.put;

/**
 * Max and average pooling over NCHW planes as Java loops split over planes. Windows are scanned row
 * by row; padding never wins a max and counts in an average's divisor only with count_include_pad
 * ({@link PoolGeometry#divisor}, PyTorch's);
 * ties go to the first maximum and a NaN wins, as PyTorch's.
 *
 * <p>The libnd4j ops ("maxpool2d", "avgpool2d" and their _bp) are kept for the benchmark only: see
 * {@link #nativeMax} for why they are not the default.
 */
final class CpuPool {
    /** Planes per parallel chunk: enough work per thread hand-off. */
    static int minPlanes(PoolGeometry g) { return Math.max(1, CpuPar.MIN_PARALLEL / 4 / Math.max(1, g.h() * g.w())); }

    /**
     * The position (0..3, row-major) of the 2x2 window's first maximum m of a, b, c, d (after ReLU where the caller
     * applied it), as {@link #argMax} picks it: branch-free on finite values; an +inf or NaN maximum goes to argMax
     * on the plane, whose first +inf or NaN is also ReLU's.
     */
    static int windowArgmax2x2(PoolGeometry g, long plane, int oy, int ox, float a, float b, float c, float d, float m) {
        if ((Float.floatToRawIntBits(m) & 0x7f800000) == 0x7f800000) {
            int best = argMax(g, plane, oy, ox);
            return ((best / g.w()) - 2 * oy) * 2 + (best % g.w()) - 2 * ox;
        }
        // + 0f turns -0 into +0, so equal values never give a negative difference
        float a0 = a + 0f;
        float b0 = b + 0f;
        float c0 = c + 0f;
        float d0 = d + 0f;
        int s1 = Float.floatToRawIntBits(a0 - b0) >>> 31; // 1 iff b > a
        int s2 = Float.floatToRawIntBits(c0 - d0) >>> 31;
        int ab = Float.floatToRawIntBits(a0);
        int cb = Float.floatToRawIntBits(c0);
        float l = Float.intBitsToFloat(ab ^ ((ab ^ Float.floatToRawIntBits(b0)) & -s1));
        float r = Float.intBitsToFloat(cb ^ ((cb ^ Float.floatToRawIntBits(d0)) & -s2));
        int s3 = Float.floatToRawIntBits(l - r) >>> 31;
        return (s3 << 1) | (s1 ^ ((s1 ^ s2) & -s3));
    }

    private CpuPool() {}
    /** Index in the plane of the window's first maximum (a NaN wins); -1 for an empty window. */
    static int argMax(PoolGeometry g, long plane, int oy, int ox) {
        int yStart = Math.max(g.y0(oy), 0);
        int yEnd = Math.min(g.y0(oy) + g.spec().kernelH(), g.h());
        int xStart = Math.max(g.x0(ox), 0);
        int xEnd = Math.min(g.x0(ox) + g.spec().kernelW(), g.w());
        int best = -1;
        float bestValue = Float.NEGATIVE_INFINITY;
        for (int iy = yStart; iy < yEnd; iy++) {
            for (int ix = xStart; ix < xEnd; ix++) {
                int idx = iy * g.w() + ix;
                float v = get(plane, idx);
                if (best < 0 || v > bestValue || (v != v && bestValue == bestValue)) {
                    best = idx;
                    bestValue = v;
                }
            }
        }
        return best;
    }

    /** 2x2 windows, stride 2, no padding: the pool of every CNN here, with its own branch-free loops. */
    static boolean isPlain2x2(Pool2dSpec s) {
        return s.kernelH() == 2 && s.kernelW() == 2 && s.strideH() == 2 && s.strideW() == 2 && s.padH() == 0 && s.padW() == 0
                && s.symmetricFloor();
    }

    static void maxForward(PoolGeometry g, long x, long out) {
        if (isPlain2x2(g.spec())) {
            max2x2(g, x, 0L, out, false);
            return;
        }
        int hw = g.h() * g.w();
        int ohw = g.oh() * g.ow();
        CpuPar.forRange(g.planes(), minPlanes(g), 1, (p0, p1) -> {
            for (int p = p0; p < p1; p++) {
                long plane = x + 4L * p * hw;
                long o = (long) p * ohw;
                for (int oy = 0; oy < g.oh(); oy++) {
                    for (int ox = 0; ox < g.ow(); ox++) {
                        int idx = argMax(g, plane, oy, ox);
                        put(out, o++, idx < 0 ? Float.NEGATIVE_INFINITY : get(plane, idx));
                    }
                }
            }
        });
    }

    static void maxBackward(PoolGeometry g, long x, long gradOut, long dx) {
        if (isPlain2x2(g.spec())) {
            max2x2(g, x, gradOut, dx, false);
            return;
        }
        int hw = g.h() * g.w();
        int ohw = g.oh() * g.ow();
        CpuPar.forRange(g.planes(), minPlanes(g), 1, (p0, p1) -> {
            Mem.zero(dx + 4L * p0 * hw, (long) (p1 - p0) * hw);
            for (int p = p0; p < p1; p++) {
                long plane = x + 4L * p * hw;
                long dplane = dx + 4L * p * hw;
                long o = (long) p * ohw;
                for (int oy = 0; oy < g.oh(); oy++) {
                    for (int ox = 0; ox < g.ow(); ox++) {
                        int idx = argMax(g, plane, oy, ox);
                        float gv = get(gradOut, o++);
                        if (idx >= 0) put(dplane, idx, get(dplane, idx) + gv);
                    }
                }
            }
        });
    }

    /**
     * Forward (gradOut == 0: the max into out) or backward (the gradient into out, which is zeroed
     * first when a row or column is left over) of 2x2/2 pooling. The backward picks the first
     * maximum with a branch-free tournament on the signs of differences: on relu outputs the
     * compare-and-branch version mispredicted its way to 15 ns a window. Windows holding an infinity
     * or NaN take the exact scan of {@link #argMax} instead.
     */
    /**
     * maxPool2d(relu(x)) over plain 2x2 windows ({@link #isPlain2x2}), or with {@code gradOut} its gradient w.r.t. x:
     * the gradient of the window's first maximum of relu(x), where that maximum is positive (ReLU's mask). The same values
     * bit for bit as relu, the pool and their two backward passes (Backend.reluMaxPool2d's default), in one pass each way.
     */
    static void reluMax2x2(PoolGeometry g, long x, long gradOut, long out) { max2x2(g, x, gradOut, out, true); }

    private static void max2x2(PoolGeometry g, long x, long gradOut, long out, boolean relu) {
        int h = g.h();
        int w = g.w();
        int oh = g.oh();
        int ow = g.ow();
        boolean backward = gradOut != 0L;
        CpuPar.forRange(g.planes(), minPlanes(g), 1, (p0, p1) -> {
            if (backward && (h % 2 != 0 || w % 2 != 0)) Mem.zero(out + 4L * p0 * h * w, (long) (p1 - p0) * h * w);
            for (int p = p0; p < p1; p++) {
                long plane = x + 4L * p * h * w;
                long dplane = out + 4L * p * h * w;
                long o = (long) p * oh * ow;
                for (int oy = 0; oy < oh; oy++) {
                    long r0 = plane + 8L * oy * w;
                    long r1 = r0 + 4L * w;
                    for (int ox = 0; ox < ow; ox++, o++) {
                        long c = 8L * ox;
                        float a = Mem.U.getFloat(r0 + c);
                        float b = Mem.U.getFloat(r0 + c + 4);
                        float cc = Mem.U.getFloat(r1 + c);
                        float d = Mem.U.getFloat(r1 + c + 4);
                        if (relu) { // as CpuLoops.relu: NaN stays NaN, -0 becomes 0
                            a = Math.max(a, 0f);
                            b = Math.max(b, 0f);
                            cc = Math.max(cc, 0f);
                            d = Math.max(d, 0f);
                        }
                        float m = Math.max(Math.max(a, b), Math.max(cc, d)); // a NaN wins
                        if (!backward) {
                            put(out, o, m);
                            continue;
                        }
                        int idx = windowArgmax2x2(g, plane, oy, ox, a, b, cc, d, m);
                        int gb = Float.floatToRawIntBits(get(gradOut, o));
                        if (relu) { // ReLU's mask on the maximum, as CpuLoops.reluBackward: all ones iff m > 0
                            int mb = Float.floatToRawIntBits(m);
                            gb &= ((mb - 0x7f800001) & (0 - mb)) >> 31;
                        }
                        long d0 = dplane + 8L * oy * w + c;
                        long d1 = d0 + 4L * w;
                        Mem.U.putInt(d0, gb & (((idx ^ 0) - 1) >> 31));
                        Mem.U.putInt(d0 + 4, gb & (((idx ^ 1) - 1) >> 31));
                        Mem.U.putInt(d1, gb & (((idx ^ 2) - 1) >> 31));
                        Mem.U.putInt(d1 + 4, gb & (((idx ^ 3) - 1) >> 31));
                    }
                }
            }
        });
    }

    static void avgForward(PoolGeometry g, long x, long out) {
        int hw = g.h() * g.w();
        int ohw = g.oh() * g.ow();
        CpuPar.forRange(g.planes(), minPlanes(g), 1, (p0, p1) -> {
            for (int p = p0; p < p1; p++) {
                long plane = x + 4L * p * hw;
                long o = (long) p * ohw;
                for (int oy = 0; oy < g.oh(); oy++) {
                    int yStart = Math.max(g.y0(oy), 0);
                    int yEnd = Math.min(g.y0(oy) + g.spec().kernelH(), g.h());
                    for (int ox = 0; ox < g.ow(); ox++) {
                        int xStart = Math.max(g.x0(ox), 0);
                        int xEnd = Math.min(g.x0(ox) + g.spec().kernelW(), g.w());
                        float sum = 0f;
                        for (int iy = yStart; iy < yEnd; iy++) {
                            for (int ix = xStart; ix < xEnd; ix++) sum += get(plane, iy * g.w() + ix);
                        }
                        int n = g.divisor(oy, ox);
                        put(out, o++, n == 0 ? 0f : sum / n);
                    }
                }
            }
        });
    }

    static void avgBackward(PoolGeometry g, long gradOut, long dx) {
        int hw = g.h() * g.w();
        int ohw = g.oh() * g.ow();
        CpuPar.forRange(g.planes(), minPlanes(g), 1, (p0, p1) -> {
            Mem.zero(dx + 4L * p0 * hw, (long) (p1 - p0) * hw);
            for (int p = p0; p < p1; p++) {
                long dplane = dx + 4L * p * hw;
                long o = (long) p * ohw;
                for (int oy = 0; oy < g.oh(); oy++) {
                    int yStart = Math.max(g.y0(oy), 0);
                    int yEnd = Math.min(g.y0(oy) + g.spec().kernelH(), g.h());
                    for (int ox = 0; ox < g.ow(); ox++) {
                        int xStart = Math.max(g.x0(ox), 0);
                        int xEnd = Math.min(g.x0(ox) + g.spec().kernelW(), g.w());
                        int n = g.divisor(oy, ox);
                        float share = n == 0 ? 0f : get(gradOut, o) / n;
                        o++;
                        for (int iy = yStart; iy < yEnd; iy++) {
                            for (int ix = xStart; ix < xEnd; ix++) {
                                long k = iy * g.w() + ix;
                                put(dplane, k, get(dplane, k) + share);
                            }
                        }
                    }
                }
            }
        });
    }

    // ---- libnd4j ops (benchmark comparison) ----

    private static long[] iArgs(Pool2dSpec s, int avgDivisorMode) {
        if (!s.symmetricFloor()) throw new IllegalArgumentException("libnd4j pooling takes symmetric padding in floor mode, got " + s);
        // kH, kW, sH, sW, pH, pW, dH, dW, sameMode, extraParam0 (avg: 0 = exclude padding), 0 = NCHW
        return new long[] {s.kernelH(), s.kernelW(), s.strideH(), s.strideW(), s.padH(), s.padW(), 1, 1, 0, avgDivisorMode, 0};
    }

    /** libnd4j "maxpool2d" / "maxpool2d_bp" (gradOut null: forward into out; else gradient into out). */
    static void nativeMax(INDArray x, INDArray gradOut, INDArray out, Pool2dSpec spec) {
        if (gradOut == null) NativeOps.exec("maxpool2d", new INDArray[] {x}, new INDArray[] {out}, iArgs(spec, 0));
        else NativeOps.exec("maxpool2d_bp", new INDArray[] {x, gradOut}, new INDArray[] {out}, iArgs(spec, 0));
    }

    static void nativeAvg(INDArray x, INDArray gradOut, INDArray out, Pool2dSpec spec) {
        if (gradOut == null) NativeOps.exec("avgpool2d", new INDArray[] {x}, new INDArray[] {out}, iArgs(spec, 0));
        else NativeOps.exec("avgpool2d_bp", new INDArray[] {x, gradOut}, new INDArray[] {out}, iArgs(spec, 0));
    }
}

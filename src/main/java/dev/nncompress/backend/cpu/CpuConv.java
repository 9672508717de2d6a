package dev.nncompress.backend.cpu;

import dev.nncompress.backend.ConvGeometry;
import dev.nncompress.backend.Conv2dSpec;
import org.nd4j.linalg.api.ndarray.INDArray;

import static dev.nncompress.backend.cpu.Mem.get;
import static dev.nncompress.backend.cpu.Mem.put;

/**
 * 2-D convolution, NCHW input, OIHW weights, four routes:
 * <ul>
 *   <li>{@code NATIVE}: libnd4j "conv2d"/"conv2d_bp" (oneDNN in the -onednn builds; weight format 1 = OIHW);
 *   <li>{@code IM2COL}: {@link Im2col} into a scratch block of a few images, then one OpenBLAS sgemm per block
 *       and group: the route of every grouped, dilated or asymmetrically padded conv that is not depthwise;
 *   <li>{@code DIRECT}: {@link DirectConv}, Java loops for stride 1 and few input channels;
 *   <li>{@code DEPTHWISE}: {@link CpuDepthwiseConv}, direct loops for groups == C (any channel multiplier);
 *   <li>{@code POINTWISE}: {@link PointwiseConv}, forward of 1x1 stride-1 unpadded convs as sgemm on the NCHW
 *       planes themselves (no im2col, no per-call primitive); backward takes the other routes;
 *   <li>{@code STACK}: forward only, {@link NativeConvStack}'s AVX-512 direct conv as a single stage (dense convs, at
 *       least one image per thread, CPUs with AVX-512F);
 *   <li>{@code AVX512}: {@link NativeConvGrad}, backward only: our AVX-512 kernels for dense stride-1 convs.
 * </ul>
 * NATIVE and DIRECT take only {@link Conv2dSpec#plain()} specs (libnd4j's conv2d has no groups and
 * symmetric padding only; DirectConv pads symmetrically). {@link #route} picks per call from measured
 * costs (CpuBackendBench).
 */
final class CpuConv {
    enum Route { NATIVE, IM2COL, DIRECT, DEPTHWISE, POINTWISE, STACK, AVX512 }

    /** Whether the automatic route may take {@link Route#STACK} (benchmarks switch it off to time the routes before it). */
    static volatile boolean stackForward = true;

    /** Forced route for the benchmark and tests; null = automatic. A route is only taken where it applies (IM2COL always does). */
    static volatile Route forced;

    private CpuConv() {}

    /**
     * Measured on the 2-core AVX2 machine (CpuBackendBench): DIRECT for stride 1 with C*kH*kW <= 27
     * (first layers' forward; their dx-free backward is the gemm route split by images since issue 23,
     * {@link #weightGradSplit}, where the products stay below {@link Blas#small}); otherwise oneDNN, 1.5-8x the gemm route on every
     * shape, except a backward without dx, where conv2d_bp would compute dx for nothing and the gemm
     * route's dw alone is 1.4-2x faster. Without oneDNN (generic build) the gemm route.
     */
    static Route route(ConvGeometry g, boolean backward, boolean needInputGrad) {
        boolean plain = g.spec().plain();
        Route f = forced;
        // backward without dx (a first layer): the gemm route split by images (weightGradSplit) where its products stay
        // on one OpenBLAS thread; a larger one (the teacher's conv1) would switch OpenBLAS's thread count against the
        // linear layers' every step (BlasThreads, ~0.5 ms each way; measured 0.76x on teacher steps): DIRECT as before
        boolean splitDw = backward && !needInputGrad && (long) g.o() * g.ckk() * g.n() * g.p() < Blas.small && f != Route.DIRECT;
        boolean direct = plain && DirectConv.suits(g) && !(backward && needInputGrad) && !splitDw;
        boolean depthwise = g.depthwise();
        boolean pointwise = !backward && PointwiseConv.suits(g);
        // backward of a dense stride-1 conv, our AVX-512 kernels (NativeConvGrad), where measured faster side by side
        // (CpuConvGradBench force, batch 64, 2 threads, process CPU time at load ~9): without dx (first layers) 5-11x the
        // gemm route and DirectConv; with dx where C*kH*kW <= 288: student conv2 2.3x, LeNet-5 conv2 2.7x, teacher conv2
        // 1.3-3.5x (oneDNN's own time varies run to run), ResNet-8 16@28 1.6x, 32@14 1.3x oneDNN; deeper reductions stay on
        // oneDNN, whose blocked kernels win there (teacher conv3 64->128 0.79x, ResNet-8 64@7 0.62x). Without oneDNN the
        // other route is the gemm route, which oneDNN beats 1.5-8x.
        boolean avx512Suits = backward && NativeConvGrad.suits(g);
        boolean avx512 = avx512Suits && (!needInputGrad || g.ckk() <= 288 || !CpuRuntime.oneDnn());
        if (f != null && switch (f) {
            case IM2COL -> true;
            case NATIVE -> plain;
            case DIRECT -> direct;
            case DEPTHWISE -> depthwise;
            case POINTWISE -> pointwise;
            case STACK -> !backward && NativeConvStack.suits(g);
            case AVX512 -> avx512Suits;
        }) return f;
        if (avx512) return Route.AVX512;
        // depthwise: 1/C of a dense conv's work, which neither oneDNN through libnd4j (no groups) nor one gemm per channel exploits
        if (depthwise) return Route.DEPTHWISE;
        // 1x1 forward: oneDNN through libnd4j costs ~1 ms a call in primitive setup on MobileNetV2's small layers (MobileNetWidthBench)
        if (pointwise) return Route.POINTWISE;
        if (!backward && stackForward && stackWins(g)) return Route.STACK;
        if (direct) return Route.DIRECT;
        if (!plain || !CpuRuntime.oneDnn()) return Route.IM2COL;
        // a strided first layer (C*kH*kW <= 27, e.g. MobileNetV2's 3x3/2 stem): its gemm is tiny, and oneDNN's
        // per-call setup took 0.8 ms at batch 1 against the whole pass's 6 (MobileNetWidthBench)
        if (!backward && g.ckk() <= 27) return Route.IM2COL;
        if (backward && !needInputGrad) return Route.IM2COL;
        return Route.NATIVE;
    }

    /**
     * Forward through the AVX-512 direct conv ({@link NativeConvStack} as a single stage, issue 23), measured per shape
     * against the route before it (ConvForwardRouteBench, batch 64, 2 threads, load 7-12): 1.05-2.7x oneDNN on every
     * conv of the student, LeNet-5, the teacher and ResNet-8 with more than one input channel (student conv2 2.5-2.7x,
     * teacher conv2 1.2-1.65x, conv3 1.0-1.27x), 1.5-3x the gemm / oneDNN route on ResNet-8's strided 1x1 shortcuts,
     * and 1.5-2x DirectConv on LeNet-5's 5x5 first layer. Not on 3x3 first layers with fewer than 32 outputs, where
     * DirectConv stays: the stack kernel vectorises over output channels and fills half a vector or one (student conv1
     * 0.82-0.90x, ResNet-8's stem 0.58-0.67x; the teacher's 32-output conv1 1.06-1.14x). 1x1 stride-1 convs keep
     * POINTWISE (not measured against it).
     */
    private static boolean stackWins(ConvGeometry g) {
        return NativeConvStack.suits(g) && !(DirectConv.suits(g) && g.kh() * g.kw() <= 9 && g.o() < 32);
    }

    private static long[] iArgs(ConvGeometry g) {
        Conv2dSpec s = g.spec();
        // kH, kW, sH, sW, pH, pW, dH, dW, sameMode, dataFormat (0 = NCHW), wFormat (1 = [oC, iC, kH, kW]); plain specs only (route)
        return new long[] {g.kh(), g.kw(), s.strideH(), s.strideW(), s.padH(), s.padW(), 1, 1, 0, 0, 1};
    }

    // ---- native route ----

    static void nativeForward(ConvGeometry g, INDArray x, INDArray w, INDArray bias, INDArray out) {
        INDArray[] in = bias == null ? new INDArray[] {x, w} : new INDArray[] {x, w, bias};
        NativeOps.exec("conv2d", in, new INDArray[] {out}, iArgs(g));
    }

    /** dx is always computed by libnd4j; db only when bias != null (any array of shape [O] will do). */
    static void nativeBackward(ConvGeometry g, INDArray x, INDArray w, INDArray bias, INDArray gradOut, INDArray dx,
                               INDArray dw, INDArray db) {
        INDArray[] in = bias == null ? new INDArray[] {x, w, gradOut} : new INDArray[] {x, w, bias, gradOut};
        INDArray[] out = bias == null ? new INDArray[] {dx, dw} : new INDArray[] {dx, dw, db};
        NativeOps.exec("conv2d_bp", in, out, iArgs(g));
    }

    // ---- im2col + sgemm route ----

    /** Images per block: one group's column block stays near 4 MiB (fits the shared L3 with room to spare). */
    static int block(ConvGeometry g) {
        long perImage = 4L * g.ckk() * g.p();
        return (int) Math.max(1, Math.min(g.n(), (4L << 20) / Math.max(1, perImage)));
    }

    /** Per group gi: y[gi's Og rows, cnt*P] = w[gi's Og rows, CKK] x col_gi[CKK, cnt*P] (CKK = C/groups * kH * kW). */
    static void gemmForward(ConvGeometry g, long x, long w, long bias, long out) {
        int nb = block(g);
        int p = g.p();
        int ckk = g.ckk();
        int og = g.oPerGroup();
        try (Scratch col = Scratch.floats((long) ckk * nb * p); Scratch y = Scratch.floats((long) g.o() * nb * p)) {
            for (int start = 0; start < g.n(); start += nb) {
                int n0 = start;
                int cnt = Math.min(nb, g.n() - n0);
                int cols = cnt * p;
                for (int gi = 0; gi < g.groups(); gi++) {
                    Im2col.pack(g, x, n0, cnt, gi, col.address());
                    Blas.sgemm(false, false, og, cols, ckk, 1f, w + 4L * gi * og * ckk, ckk, col.address(), cols, 0f,
                            y.address() + 4L * gi * og * cols, cols);
                }
                // out[b, o, :] = y[o, b*P .. (b+1)*P] + bias[o]
                long yA = y.address();
                CpuPar.forRange(g.o(), Math.max(1, CpuPar.MIN_PARALLEL / 2 / Math.max(1, cols)), 1, (o0, o1) -> {
                    float[] row = new float[p];
                    for (int o = o0; o < o1; o++) {
                        float bo = bias == 0L ? 0f : get(bias, o);
                        for (int b = 0; b < cnt; b++) {
                            Mem.toArray(yA, (long) o * cols + (long) b * p, row, 0, p);
                            for (int i = 0; i < p; i++) row[i] += bo;
                            Mem.fromArray(row, 0, out, ((long) (n0 + b) * g.o() + o) * p, p);
                        }
                    }
                });
            }
        }
    }

    /**
     * dw and db (0 = not wanted) without dx, the images split into one contiguous part per {@link CpuPar} thread, each
     * part {@link #gemmBackward} into its own partial sums (its sgemm on one OpenBLAS thread), added in part order (issue
     * 23): measured on the student's first conv (1 -> 8 channels, 3x3, 28x28, batch 64) single-threaded, 0.93 ms against
     * DirectConv.weightGrad's 1.9, and split over the threads where one product's sgemm would run on one. The parts depend
     * on the thread count only, so a process's bits do not depend on what else runs.
     */
    static void weightGradSplit(ConvGeometry g, long x, long w, long gradOut, long dw, long db) {
        // a product OpenBLAS threads itself (>= Blas.small) stays whole: halves would switch its thread count (route)
        int parts = (long) g.o() * g.ckk() * g.n() * g.p() < Blas.small ? Math.min(CpuPar.threads(), g.n()) : 1;
        if (parts <= 1) {
            gemmBackward(g, x, w, gradOut, 0L, dw, db);
            return;
        }
        int per = (g.n() + parts - 1) / parts;
        long wsize = (long) g.o() * g.ckk();
        long inImage = (long) g.c() * g.h() * g.w();
        long outImage = (long) g.o() * g.p();
        try (Scratch pdw = Scratch.floats(parts * wsize); Scratch pdb = Scratch.floats((long) parts * g.o())) {
            long dwA = pdw.address();
            long dbA = pdb.address();
            CpuPar.forRange(parts, 1, 1, (p0, p1) -> {
                for (int part = p0; part < p1; part++) {
                    int n0 = part * per;
                    int cnt = Math.min(per, g.n() - n0);
                    long pdwPart = dwA + 4L * part * wsize;
                    long pdbPart = db == 0L ? 0L : dbA + 4L * part * g.o();
                    if (cnt <= 0) {
                        Mem.zero(pdwPart, wsize);
                        if (pdbPart != 0L) Mem.zero(pdbPart, g.o());
                        continue;
                    }
                    ConvGeometry sub = ConvGeometry.of(cnt, g.c(), g.h(), g.w(), g.o(), g.kh(), g.kw(), g.spec());
                    gemmBackward(sub, x + 4L * n0 * inImage, w, gradOut + 4L * n0 * outImage, 0L, pdwPart, pdbPart);
                }
            });
            for (long i = 0; i < wsize; i++) {
                float s = Mem.get(dwA, i);
                for (int part = 1; part < parts; part++) s += Mem.get(dwA, part * wsize + i);
                put(dw, i, s);
            }
            if (db != 0L) {
                for (int o = 0; o < g.o(); o++) {
                    float s = Mem.get(dbA, o);
                    for (int part = 1; part < parts; part++) s += Mem.get(dbA, (long) part * g.o() + o);
                    put(db, o, s);
                }
            }
        }
    }

    /** dx (0 = not wanted), dw, db (0 = not wanted); per group as {@link #gemmForward}. */
    static void gemmBackward(ConvGeometry g, long x, long w, long gradOut, long dx, long dw, long db) {
        int nb = block(g);
        int p = g.p();
        int ckk = g.ckk();
        int o = g.o();
        int og = g.oPerGroup();
        try (Scratch col = Scratch.floats((long) ckk * nb * p); Scratch gy = Scratch.floats((long) o * nb * p)) {
            for (int start = 0; start < g.n(); start += nb) {
                int n0 = start;
                int cnt = Math.min(nb, g.n() - n0);
                int cols = cnt * p;
                long gyA = gy.address();
                // gy[o, b*P + i] = gradOut[n0 + b, o, i]
                CpuPar.forRange(o, Math.max(1, CpuPar.MIN_PARALLEL / 2 / Math.max(1, cols)), 1, (o0, o1) -> {
                    for (int oc = o0; oc < o1; oc++) {
                        for (int b = 0; b < cnt; b++) {
                            Mem.copy(gradOut + 4L * ((long) (n0 + b) * o + oc) * p, gyA + 4L * ((long) oc * cols + (long) b * p), p);
                        }
                    }
                });
                for (int gi = 0; gi < g.groups(); gi++) {
                    long gyG = gyA + 4L * gi * og * cols;
                    long wG = w + 4L * gi * og * ckk;
                    Im2col.pack(g, x, n0, cnt, gi, col.address());
                    // dw[gi's Og rows, CKK] (+)= gy[gi's Og rows, cols] x col[CKK, cols]^T
                    Blas.sgemm(false, true, og, ckk, cols, 1f, gyG, cols, col.address(), cols, n0 == 0 ? 0f : 1f, dw + 4L * gi * og * ckk, ckk);
                    if (dx != 0L) {
                        // dcol[CKK, cols] = w_gi[Og, CKK]^T x gy_gi[Og, cols], then scatter-add into the group's channels of dx
                        Blas.sgemm(true, false, ckk, cols, og, 1f, wG, ckk, gyG, cols, 0f, col.address(), cols);
                        Im2col.unpack(g, col.address(), n0, cnt, gi, dx);
                    }
                }
                if (db != 0L) {
                    for (int oc = 0; oc < o; oc++) {
                        double s = CpuLoops.sum(gyA + 4L * oc * cols, cols);
                        put(db, oc, (float) (n0 == 0 ? s : get(db, oc) + s));
                    }
                }
            }
        }
    }
}

package dev.nncompress.backend.cpu;

import dev.nncompress.backend.ConvGeometry;
import dev.nncompress.backend.ConvStage;
import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.tensor.Tensor;

import java.util.List;

/**
 * The backward of a dense stride-1 conv with AVX-512F kernels (issue 23), route {@link CpuConv.Route#AVX512}:
 * <ul>
 *   <li>dw and db: {@code native/src/convgrad_f32_avx512.cpp} (JNI in {@code jni_convgrad.cpp}), the images split into
 *       one part per {@link CpuPar} thread, each summed into its own accumulator, the parts added in part order (so a
 *       process's bits depend on the thread count only);
 *   <li>dx: for stride 1 the input gradient is the conv of dy with the weights flipped in space and transposed (O and C
 *       swapped) and pads {@code extent - 1 - pad} on each side, run as a one-stage {@link NativeConvStack} (no bias).
 * </ul>
 * Results equal the other routes up to float rounding (the sums run in another order).
 */
final class NativeConvGrad {
    /** Ints in the JNI geometry array ({@code kGradInts}). */
    static final int GEOMETRY_INTS = 17;

    /**
     * Whether this route may be taken (tests and benchmarks switch it off to compare; {@code -Dnncompress.cpu.convGradAvx512=false}
     * for a whole process, e.g. TrainingStepProfile's before side); false without the kernel.
     */
    static volatile boolean enabled = available() && !"false".equals(System.getProperty("nncompress.cpu.convGradAvx512"));

    private NativeConvGrad() {}

    static native boolean supported();

    static native void weightGrad(long x, long xLength, long dy, long dyLength, int[] geometry, long acc, long accLength, int from, int to);

    static native void reduce(long acc, long accLength, int parts, int[] geometry, long dw, long dwLength, long db, long dbLength);

    /** Library loaded and the CPU runs AVX-512F. */
    static boolean available() { return NativeLibrary.load().loaded() && supported(); }

    /**
     * Whether this route takes {@code g}'s backward: a dense conv with stride 1 (any dilation, pads below the kernel's extent) of at most 1024 taps;
     * with dx also a batch of at least one image per thread and the conv stack on (what {@link NativeConvStack#run} takes).
     */
    static boolean suits(ConvGeometry g, boolean needInputGrad) {
        Conv2dSpec s = g.spec();
        boolean dense = enabled && s.groups() == 1 && s.strideH() == 1 && s.strideW() == 1 && (long) g.kh() * g.kw() <= NativeConvStack.MAX_TAPS
                && g.c() <= 1 << 20 && g.o() <= 1 << 20
                // a pad reaching the kernel's extent (output pixels wholly in the border) would give dx's conv a negative pad
                && Math.max(s.padH(), s.padBottom()) < s.extentH(g.kh()) && Math.max(s.padW(), s.padRight()) < s.extentW(g.kw());
        return dense && (!needInputGrad || (NativeConvStack.enabled && g.n() >= CpuPar.threads()));
    }

    static int[] geometry(ConvGeometry g) {
        Conv2dSpec s = g.spec();
        return new int[] {g.n(), g.c(), g.h(), g.w(), g.o(), g.kh(), g.kw(), s.strideH(), s.strideW(), s.dilationH(), s.dilationW(),
            s.padH(), s.padW(), s.padBottom(), s.padRight(), g.oh(), g.ow()};
    }

    /** dw [O, C, kH, kW] and db [O] (null: not wanted) of x and gradOut. */
    static void weightGrad(ConvGeometry g, CpuTensor x, CpuTensor gradOut, CpuTensor dw, CpuTensor db) {
        int[] geo = geometry(g);
        long accFloats = (long) g.o() * g.ckk() + g.o();
        // an image of the teacher's conv2 is ~58 MFLOP: one part per thread; tiny convs keep a few images per part
        int minPerPart = (int) Math.max(1, Math.min(g.n(), 2e6 / Math.max(1, g.flops() / g.n())));
        int parts = Math.max(1, Math.min(CpuPar.threads(), g.n() / minPerPart));
        int per = (g.n() + parts - 1) / parts;
        long xa = x.address(), xl = x.numel(), ga = gradOut.address(), gl = gradOut.numel();
        try (Scratch acc = Scratch.floats(parts * accFloats)) {
            long accA = acc.address();
            CpuPar.forRange(parts, 1, 1, (p0, p1) -> {
                for (int part = p0; part < p1; part++) {
                    int from = Math.min(g.n(), part * per), to = Math.min(g.n(), from + per);
                    weightGrad(xa, xl, ga, gl, geo, accA + 4L * part * accFloats, accFloats, from, to);
                }
            });
            reduce(accA, parts * accFloats, parts, geo, dw.address(), dw.numel(), db == null ? 0L : db.address(), db == null ? 0L : db.numel());
        }
        dw.written();
        if (db != null) db.written();
    }

    /** dx [N, C, H, W] of gradOut through w [O, C, kH, kW]: the conv stack over gradOut with the flipped, transposed weights; null where the stack declines. */
    static CpuTensor inputGrad(CpuBackend backend, ConvGeometry g, CpuTensor w, CpuTensor gradOut) {
        Conv2dSpec s = g.spec();
        long eh = s.extentH(g.kh()), ew = s.extentW(g.kw());
        Conv2dSpec back = new Conv2dSpec(1, 1, (int) (eh - 1 - s.padH()), (int) (ew - 1 - s.padW()), (int) (eh - 1 - s.padBottom()),
                (int) (ew - 1 - s.padRight()), s.dilationH(), s.dilationW(), 1);
        int o = g.o(), c = g.c(), kh = g.kh(), kw = g.kw(), kk = kh * kw;
        float[] src = new float[o * c * kk];
        float[] flipped = new float[src.length];
        Mem.toArray(w.address(), 0, src, 0, src.length);
        // flipped[ci][oi][kh-1-ky][kw-1-kx] = w[oi][ci][ky][kx]
        for (int oi = 0; oi < o; oi++)
            for (int ci = 0; ci < c; ci++)
                for (int t = 0; t < kk; t++) flipped[(ci * o + oi) * kk + (kk - 1 - t)] = src[(oi * c + ci) * kk + t];
        try (CpuTensor wf = CpuTensor.allocate(backend, dev.nncompress.tensor.Shape.of(c, o, kh, kw))) {
            Mem.fromArray(flipped, 0, wf.address(), 0, flipped.length);
            wf.written();
            Tensor dx = NativeConvStack.run(backend, gradOut, List.of(new ConvStage(wf, null, back, false, null)));
            return (CpuTensor) dx;
        }
    }
}

package dev.nncompress.backend.cpu;

import dev.nncompress.backend.ConvGeometry;
import dev.nncompress.backend.Conv2dSpec;

/**
 * The backward of a dense stride-1 conv with AVX-512F kernels (issue 23), route {@link CpuConv.Route#AVX512}:
 * <ul>
 *   <li>dw and db: {@code native/src/convgrad_f32_avx512.cpp} (JNI in {@code jni_convgrad.cpp}), the images split into
 *       one part per {@link CpuPar} thread, each summed into its own accumulator, the parts added in part order (so a
 *       process's bits depend on the thread count only);
 *   <li>dx: for stride 1 the input gradient is the conv of dy with the taps flipped and O and C swapped, pads
 *       {@code extent - 1 - pad}: {@code convgrad_input_f32_avx512.cpp}, output pixels as the vector lanes, so any channel
 *       count runs at full width (as a one-stage {@link NativeConvStack} it ran 1.2-3x slower: dx's few channels padded
 *       to 16, NCHW/NHWC transposes; student conv2 0.75 -> 0.25 ms, teacher conv2 14 -> 10 ms CPU); the images split
 *       over the threads. With the conv's input a ReLU's output it can zero dx where that input is <= 0 (the ReLU's
 *       backward in the same pass; not yet planned by the training runner).
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

    static native void inputGrad(long dy, long dyLength, long w, long wLength, long mask, long maskLength, int[] geometry, long dx, long dxLength,
                                 int from, int to);

    /**
     * dx [N, C, H, W] of gradOut through w by {@code convgrad_input_f32_avx512.cpp} (a direct conv with the taps flipped,
     * output pixels as the vector lanes, any channel count at full width); {@code reluInput} (null: none) = the conv's
     * input when it is a ReLU's output: dx is zeroed where it is <= 0, the ReLU's backward in the same pass.
     */
    static CpuTensor inputGrad(CpuBackend backend, ConvGeometry g, CpuTensor w, CpuTensor gradOut, CpuTensor reluInput) {
        int[] geo = geometry(g);
        CpuTensor dx = CpuTensor.allocate(backend, dev.nncompress.tensor.Shape.of(g.n(), g.c(), g.h(), g.w()));
        long ga = gradOut.address(), gl = gradOut.numel(), wa = w.address(), wl = w.numel(), da = dx.address(), dl = dx.numel();
        long ma = reluInput == null ? 0L : reluInput.address(), ml = reluInput == null ? 0L : reluInput.numel();
        int minPerPart = (int) Math.max(1, Math.min(g.n(), 2e6 / Math.max(1, g.flops() / g.n())));
        CpuPar.forRange(g.n(), minPerPart, 1, (from, to) -> inputGrad(ga, gl, wa, wl, ma, ml, geo, da, dl, from, to));
        dx.written();
        return dx;
    }

    /** Library loaded and the CPU runs AVX-512F. */
    static boolean available() { return NativeLibrary.load().loaded() && supported(); }

    /**
     * Whether this route takes {@code g}'s backward: a dense conv with stride 1 (any dilation, pads below the kernel's extent) of at most 1024 taps.
     */
    static boolean suits(ConvGeometry g) {
        Conv2dSpec s = g.spec();
        boolean dense = enabled && s.groups() == 1 && s.strideH() == 1 && s.strideW() == 1 && (long) g.kh() * g.kw() <= NativeConvStack.MAX_TAPS
                && g.c() <= 1 << 20 && g.o() <= 1 << 20
                // a pad reaching the kernel's extent (output pixels wholly in the border) would give dx's conv a negative pad
                && Math.max(s.padH(), s.padBottom()) < s.extentH(g.kh()) && Math.max(s.padW(), s.padRight()) < s.extentW(g.kw());
        return dense;
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
}

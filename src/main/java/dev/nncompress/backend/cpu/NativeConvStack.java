package dev.nncompress.backend.cpu;

import dev.nncompress.backend.ArgChecks;
import dev.nncompress.backend.ConvGeometry;
import dev.nncompress.backend.ConvStage;
import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.Pool2dSpec;
import dev.nncompress.backend.PoolArgmax;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.List;

/**
 * {@link dev.nncompress.backend.Backend#convStack} on the CPU: {@code native/src/convstack_f32_avx512.cpp} (JNI in
 * {@code jni_convstack.cpp}) runs each image through every stage in NHWC, conv + bias + ReLU as one register-tiled
 * direct conv and the max-pool straight after it, so activations stay in cache from stage to stage and only the
 * stack's edges are NCHW. It replaces, per stage, the conv route's own layout conversions (oneDNN's reorders to and
 * from its blocked format), the separate ReLU and pool passes, and their three batch-sized tensors.
 * The images are split over {@link CpuPar} threads, one JNI call per part.
 *
 * <p>Takes batches of at least one image per thread, and stacks of dense convs (groups 1; any stride, dilation and padding) whose pools, if any, have no padding
 * and floor mode, on CPUs with AVX-512F; otherwise (or with {@link #enabled} off) returns null and the caller runs
 * the separate ops. Results equal the separate ops up to float rounding (the conv sums in another order).
 */
final class NativeConvStack {
    /** Ints per stage in the geometry array ({@code kStageInts}), stages per call ({@code kMaxStages}), taps per stage ({@code kMaxTaps}). */
    static final int STAGE_INTS = 23, MAX_STAGES = 16, MAX_TAPS = 1024;

    /** Whether stacks run here (tests and benchmarks switch it off to time or check the separate ops); false without the kernel. */
    static volatile boolean enabled = available();

    private NativeConvStack() {}

    static native boolean supported();

    /** idx: 0, or where the last stage's pool argmax goes ({@link #runArgmax}). */
    static native void forward(long x, long xLength, long y, long yLength, long idx, long idxLength, int n, int[] geometry, long[] weights, long[] weightLengths,
                               long[] biases, long[] biasLengths, int from, int to);

    /**
     * Winograd minimal filtering for the stages where it measured faster (3x3, stride 1, dilation 1, 16+ input channels;
     * {@code convstack_winograd_avx512.cpp} says which F(m x m, 3 x 3) each geometry gets) on or off for the calls that
     * follow; on by default. Tests and benchmarks switch it off to check or time the direct conv. Needs {@link #available}.
     */
    static native void winograd(boolean on);

    /** The Winograd output tile m (2 or 4) a stage of {@link #STAGE_INTS} ints runs with now; 0: the direct conv. */
    static native int winogradTile(int[] stage);

    /** Library loaded and the CPU runs AVX-512F. */
    static boolean available() { return NativeLibrary.load().loaded() && supported(); }

    /** A later stage's geometry over the last stage's output shape {@code in}. */
    private static ConvGeometry geometry(Shape in, Shape ws, Conv2dSpec spec, int stage) {
        if (ws.dim(1) != in.dim(1)) {
            throw new IllegalArgumentException("convStack: weight " + ws + " of stage " + stage + " expects " + ws.dim(1) + " input channels, the last stage gives " + in);
        }
        return new ConvGeometry(in.dim(0), in.dim(1), in.dim(2), in.dim(3), ws.dim(0), ws.dim(2), ws.dim(3), spec.outH(in.dim(2), ws.dim(2)),
                spec.outW(in.dim(3), ws.dim(3)), spec);
    }

    /** The stack over {@code x}, or null where this kernel does not take it (nothing done). */
    static Tensor run(CpuBackend backend, Tensor x, List<ConvStage> stages) {
        Plan p = plan(x, stages);
        if (p == null) return null;
        CpuTensor out = CpuTensor.allocate(backend, p.out);
        p.execute((CpuTensor) x, out, null);
        return out;
    }

    /**
     * Training forward (issue 23): one stage of conv + bias + ReLU + a plain 2x2 max-pool, recording each window's argmax
     * exactly as {@link ReluMaxArgmax#forward} does on the same conv output, so that
     * {@link CpuBackend#reluMaxPool2dArgmaxBackward} gives the gradient w.r.t. the conv's output (its
     * {@link PoolArgmax#inputShape}). The conv's output itself is never written out. Null where the kernel does not take it.
     */
    static PoolArgmax runArgmax(CpuBackend backend, Tensor x, ConvStage stage) {
        if (!stage.relu() || stage.pool() == null || !CpuPool.isPlain2x2(stage.pool())) return null;
        Plan p = plan(x, List.of(stage));
        if (p == null) return null;
        CpuTensor out = CpuTensor.allocate(backend, p.out);
        CpuTensor idx = CpuTensor.allocate(backend, p.out);
        p.execute((CpuTensor) x, out, idx);
        return new PoolArgmax(out, idx, p.lastConv, stage.pool());
    }

    /** Whether conv2d's {@link CpuConv.Route#STACK} takes {@code g}: what {@link #plan} takes of a single stage without pool. */
    static boolean suits(ConvGeometry g) {
        return enabled && g.groups() == 1 && g.n() >= CpuPar.threads() && (long) g.kh() * g.kw() <= MAX_TAPS && padsInside(g.spec(), g.kh(), g.kw());
    }

    /** Each pad below the dilated kernel's extent, as the kernel requires (a window wholly in the padding is refused). */
    private static boolean padsInside(Conv2dSpec s, int kh, int kw) {
        long eh = s.extentH(kh), ew = s.extentW(kw);
        return s.padH() < eh && s.padBottom() < eh && s.padW() < ew && s.padRight() < ew;
    }

    /** conv2d (bias null: none) as a single-stage stack into {@code out} [n, o, oh, ow]; the caller checked {@link #suits}. */
    static void conv2d(CpuTensor x, Tensor w, Tensor bias, Conv2dSpec spec, CpuTensor out) {
        Plan p = plan(x, List.of(new ConvStage(w, bias, spec, false, null)));
        if (p == null) throw new IllegalStateException("conv stack refused a conv it suits: " + x.shape() + " * " + w.shape());
        p.execute(x, out, null);
    }

    /** A checked stack: the kernel's geometry and blocks, the output's shape and the last stage's conv output shape. */
    private record Plan(int n, int[] geometry, long[] weights, long[] weightLengths, long[] biases, long[] biasLengths, Shape out,
                        Shape lastConv, double flopsPerImage) {
        /** Runs the stack into {@code out} (and the argmax into {@code idx}, null: none), the images split over the threads. */
        void execute(CpuTensor x, CpuTensor out, CpuTensor idx) {
            if (n == 0 || out.numel() == 0) return;
            long xa = x.address(), xl = x.numel(), ya = out.address(), yl = out.numel();
            long ia = idx == null ? 0L : idx.address(), il = idx == null ? 0L : idx.numel();
            // an image of the teacher's stack is ~60 MFLOP: one part per thread; tiny stacks keep a few images per part
            int minPerPart = (int) Math.max(1, Math.min(n, 2e6 / Math.max(1, flopsPerImage)));
            CpuPar.forRange(n, minPerPart, 1, (from, to) -> forward(xa, xl, ya, yl, ia, il, n, geometry, weights, weightLengths, biases, biasLengths, from, to));
            out.written();
            if (idx != null) idx.written();
        }
    }

    private static Plan plan(Tensor x, List<ConvStage> stages) {
        if (!enabled || stages.isEmpty() || stages.size() > MAX_STAGES || x.shape().rank() != 4) return null;
        CpuChecks.cpu("convStack", "input", x);
        int n = x.shape().dim(0);
        // images are what the threads split: below one image per thread the stack would leave a core idle, where the
        // separate ops split each layer (batch 1, load 14: teacher 91-167 img/s stacked against 303-384 separate)
        if (n < CpuPar.threads()) return null;
        int[] geometry = new int[STAGE_INTS * stages.size()];
        long[] weights = new long[stages.size()], weightLengths = new long[stages.size()];
        long[] biases = new long[stages.size()], biasLengths = new long[stages.size()];
        Shape in = x.shape();
        Shape conv = in;
        double flopsPerImage = 0;
        for (int i = 0; i < stages.size(); i++) {
            ConvStage s = stages.get(i);
            Conv2dSpec spec = s.spec();
            Pool2dSpec pool = s.pool();
            Tensor w = s.weight();
            if (spec.groups() != 1 || w.shape().rank() != 4 || (long) w.shape().dim(2) * w.shape().dim(3) > MAX_TAPS
                    || !padsInside(spec, w.shape().dim(2), w.shape().dim(3))) return null;
            if (pool != null && (pool.padH() != 0 || pool.padW() != 0 || pool.padBottom() != 0 || pool.padRight() != 0 || pool.ceilMode())) return null;
            ConvGeometry g = i == 0 ? ArgChecks.conv("convStack", x, w, spec) : geometry(in, w.shape(), spec, i);
            if (s.bias() != null && (s.bias().shape().rank() != 1 || s.bias().shape().dim(0) != g.o())) {
                throw new IllegalArgumentException("convStack: bias " + s.bias().shape() + " of stage " + i + " does not match weight " + w.shape());
            }
            int ph = pool == null ? g.oh() : pool.outH(g.oh()), pw = pool == null ? g.ow() : pool.outW(g.ow());
            int[] v = {g.c(), g.h(), g.w(), g.o(), g.kh(), g.kw(), spec.strideH(), spec.strideW(), spec.dilationH(), spec.dilationW(),
                spec.padH(), spec.padW(), spec.padBottom(), spec.padRight(), g.oh(), g.ow(), s.relu() ? 1 : 0,
                pool == null ? 0 : pool.kernelH(), pool == null ? 0 : pool.kernelW(), pool == null ? 0 : pool.strideH(),
                pool == null ? 0 : pool.strideW(), ph, pw};
            System.arraycopy(v, 0, geometry, i * STAGE_INTS, STAGE_INTS);
            CpuTensor cw = CpuChecks.cpu("convStack", "weight", w);
            weights[i] = cw.address();
            weightLengths[i] = cw.numel();
            if (s.bias() != null) {
                CpuTensor cb = CpuChecks.cpu("convStack", "bias", s.bias());
                biases[i] = cb.address();
                biasLengths[i] = cb.numel();
            }
            flopsPerImage += g.flops() / Math.max(1, n);
            conv = Shape.of(n, g.o(), g.oh(), g.ow());
            in = Shape.of(n, g.o(), ph, pw);
        }
        return new Plan(n, geometry, weights, weightLengths, biases, biasLengths, in, conv, flopsPerImage);
    }
}

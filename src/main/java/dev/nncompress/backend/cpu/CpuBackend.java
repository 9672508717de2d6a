package dev.nncompress.backend.cpu;

import dev.nncompress.quant.QParams;
import dev.nncompress.backend.PoolGeometry;
import dev.nncompress.backend.ConvGeometry;
import dev.nncompress.backend.ArgChecks;
import dev.nncompress.backend.Backend;
import dev.nncompress.backend.BatchNormGrads;
import dev.nncompress.backend.BatchNormResult;
import dev.nncompress.backend.Conv2dGrads;
import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.LossResult;
import dev.nncompress.backend.Pool2dSpec;
import dev.nncompress.backend.PoolArgmax;
import dev.nncompress.backend.SparseWeight;
import dev.nncompress.sparse.CsrWeights;
// pointwise family (issue 17)
import dev.nncompress.backend.Binary;
import dev.nncompress.backend.Unary;
import dev.nncompress.backend.Int8Kernels;
import dev.nncompress.backend.ref.HostInt8Backend;
import dev.nncompress.backend.ref.HostInt8Ops;
import dev.nncompress.backend.FakeQuantMask;
import dev.nncompress.backend.FakeQuantResult;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.nd4j.linalg.api.ndarray.INDArray;

import static dev.nncompress.backend.cpu.CpuChecks.cpu;

/**
 * The fast CPU backend: ND4J's native build (oneDNN where the CPU allows, see {@link NativeVariant})
 * for large convolutions, OpenBLAS sgemm for matmul and the im2col route, and Java loops over the
 * off-heap buffers for everything memory-bound (pooling, batch norm, element-wise, optimisers), where
 * per-call native overhead (4-20 us) would cost more than the work. Semantics are PyTorch's, as the
 * {@link Backend} javadoc states; tensors are {@link CpuTensor}s.
 */
public final class CpuBackend implements HostInt8Backend {
    /**
     * Break-evens of the native sparse kernels against the dense routes (SparseKernelsBench, docs/pruning.md):
     * conv wins from 60-70% zeros (teacher conv2/conv3, student conv2); linear depends on size (teacher
     * fc1 wins from 30%, student fc1 loses up to 90%), so linear goes sparse only from 90%.
     */
    static final double CONV_BREAK_EVEN = 0.7;
    static final double LINEAR_BREAK_EVEN = 0.9;

    private final CpuSparse sparse;

    public CpuBackend() { this(CpuSparse.best()); }

    /** With the given sparse kernels (null: none, every layer runs dense); tests pick a variant here. */
    CpuBackend(CpuSparse sparse) {
        CpuRuntime.init();
        this.sparse = sparse;
    }

    /**
     * Caps the OpenBLAS threads of every later matmul in this process (e.g. 1 to measure one core;
     * at most the count OpenBLAS started with).
     */
    public static void limitBlasThreads(int threads) {
        CpuRuntime.init();
        Blas.capThreads(threads);
    }

    @Override public String name() { return "cpu"; }

    /**
     * One call per core. Safe from several threads: scratch is per thread ({@link Scratch}, the native sparse
     * kernels', ND4J op contexts in {@link NativeOps}), the block pool is synchronized, {@link CpuPar} callers
     * each run a part and wait for their own, and OpenBLAS changes its thread count only while no product
     * runs ({@link BlasThreads}). The limit: every Java thread in a oneDNN convolution brings its own OpenMP
     * team of all cores, so 8 calls at once oversubscribe the cores 8x; resnet8 at batch 256, 8 threads
     * sharing a predictor gave 0.56-0.68x one thread's images/s with 8 calls at once (also with an 8 GiB
     * block pool), 1.1x with 2 (student at batch 16: 1.6x with 8, 1.06x with 2; the large batch decides).
     */
    @Override public int parallelCalls() { return CpuPar.threads(); }

    @Override public String describe() { return CpuRuntime.describe(); }

    /** Tensors made on this thread inside it skip the Cleaner and are freed at its close ({@link CpuScope}). */
    @Override public Scope scope() { return CpuScope.open(); }

    private CpuTensor alloc(Shape shape) { return CpuTensor.allocate(this, shape); }

    // ---- creation and data movement ----

    @Override public Tensor zeros(Shape shape) {
        if (shape == null) throw new IllegalArgumentException("zeros: shape is null");
        CpuTensor t = alloc(shape);
        if (shape.numel() > 0) Mem.zero(t.address(), shape.numel());
        return t;
    }

    @Override public Tensor fromFloats(float[] data, Shape shape) {
        if (data == null || shape == null) throw new IllegalArgumentException("fromFloats: data and shape must not be null");
        if (data.length != shape.numel()) {
            throw new IllegalArgumentException("fromFloats: " + data.length + " values do not fill shape " + shape + " ("
                    + shape.numel() + " elements)");
        }
        CpuTensor t = alloc(shape);
        if (data.length > 0) Mem.fromArray(data, 0, t.address(), 0, data.length);
        return t;
    }

    @Override public Tensor reshape(Tensor x, Shape shape) {
        CpuTensor c = cpu("reshape", "x", x);
        if (shape == null || shape.numel() != x.numel()) {
            throw new IllegalArgumentException("reshape: cannot view " + x.shape() + " (" + x.numel() + " elements) as " + shape
                    + (shape == null ? "" : " (" + shape.numel() + " elements)"));
        }
        return c.view(shape);
    }

    @Override public void copyInto(Tensor src, Tensor dst) {
        CpuTensor s = cpu("copyInto", "src", src);
        CpuTensor d = cpu("copyInto", "dst", dst);
        ArgChecks.sameShape("copyInto", "src", src, "dst", dst);
        if (src.numel() > 0 && s.address() != d.address()) Mem.copy(s.address(), d.address(), src.numel());
        d.written();
    }

    // ---- dense linear algebra ----

    @Override public Tensor matmul(Tensor a, boolean transA, Tensor b, boolean transB) {
        CpuTensor ca = cpu("matmul", "a", a);
        CpuTensor cb = cpu("matmul", "b", b);
        int[] mkn = ArgChecks.matmul(a, transA, b, transB);
        int m = mkn[0];
        int k = mkn[1];
        int n = mkn[2];
        CpuTensor out = alloc(Shape.of(m, n));
        if (m > 0 && n > 0) {
            Blas.sgemm(transA, transB, m, n, k, 1f, k == 0 ? 0L : ca.address(), Math.max(1, a.shape().dim(1)),
                    k == 0 ? 0L : cb.address(), Math.max(1, b.shape().dim(1)), 0f, out.address(), n);
        }
        return out;
    }

    @Override public Tensor linearForward(Tensor x, Tensor weight, Tensor bias, boolean relu) { return CpuLinear.training(this, x, weight, bias, relu); }

    @Override public Tensor[] reluBackwardSumRows(Tensor y, Tensor gradOut) { return CpuLinear.reluBackwardSumRows(this, y, gradOut); }

    @Override public Tensor addRowVector(Tensor x, Tensor bias) {
        CpuTensor cx = cpu("addRowVector", "x", x);
        CpuTensor cb = cpu("addRowVector", "bias", bias);
        ArgChecks.rank("addRowVector", "x", x, 2);
        int f = x.shape().dim(1);
        if (bias.shape().rank() != 1 || bias.shape().dim(0) != f) {
            throw new IllegalArgumentException("addRowVector: bias " + bias.shape() + " does not match the rows of x " + x.shape()
                    + ", expected [" + f + "]");
        }
        CpuTensor out = alloc(x.shape());
        if (x.numel() > 0) CpuLoops.addRowVector(cx.address(), cb.address(), out.address(), x.shape().dim(0), f);
        return out;
    }

    @Override public Tensor sumRows(Tensor x) {
        CpuTensor cx = cpu("sumRows", "x", x);
        ArgChecks.rank("sumRows", "x", x, 2);
        int f = x.shape().dim(1);
        if (x.numel() == 0) return zeros(Shape.of(f));
        CpuTensor out = alloc(Shape.of(f));
        CpuLoops.sumRows(cx.address(), out.address(), x.shape().dim(0), f);
        return out;
    }

    // ---- convolution and pooling ----

    @Override public Tensor conv2d(Tensor x, Tensor w, Tensor bias, Conv2dSpec spec) {
        CpuTensor cx = cpu("conv2d", "input", x);
        CpuTensor cw = cpu("conv2d", "weight", w);
        ConvGeometry g = ArgChecks.conv("conv2d", x, w, spec);
        CpuTensor cb = bias == null ? null : cpu("conv2d", "bias", bias);
        if (bias != null && (bias.shape().rank() != 1 || bias.shape().dim(0) != g.o())) {
            throw new IllegalArgumentException("conv2d: bias " + bias.shape() + " does not match weight " + w.shape()
                    + ", expected [" + g.o() + "]");
        }
        CpuTensor out = alloc(Shape.of(g.n(), g.o(), g.oh(), g.ow()));
        if (out.numel() == 0) return out;
        CpuConv.Route route = CpuConv.route(g, false, false);
        if (route == CpuConv.Route.NATIVE) {
            CpuConv.nativeForward(g, cx.array(), cw.array(), cb == null ? null : cb.array(), out.array());
        } else if (route == CpuConv.Route.DIRECT) {
            DirectConv.forward(g, cx.address(), cw.address(), cb == null ? 0L : cb.address(), out.address());
        } else if (route == CpuConv.Route.DEPTHWISE) { // conv family (issue 17): groups == C
            CpuDepthwiseConv.forward(g, cx.address(), cx.numel(), cw.address(), cw.numel(), cb == null ? 0L : cb.address(), cb == null ? 0L : cb.numel(),
                    out.address(), out.numel());
        } else if (route == CpuConv.Route.STACK) { // the AVX-512 direct conv as a single stage (issue 23)
            NativeConvStack.conv2d(cx, w, bias, spec, out);
        } else if (route == CpuConv.Route.POINTWISE) { // 1x1 forward as sgemm on the NCHW planes (PointwiseConv)
            PointwiseConv.forward(g, cx.address(), cw.address(), cb == null ? 0L : cb.address(), out.address());
        } else {
            CpuConv.gemmForward(g, cx.address(), cw.address(), cb == null ? 0L : cb.address(), out.address());
        }
        return out;
    }

    /** Fused inference conv stacks: {@link NativeConvStack} (AVX-512F), else null (the separate ops run). */
    @Override public Tensor convStack(Tensor x, java.util.List<dev.nncompress.backend.ConvStage> stages) { return NativeConvStack.run(this, x, stages); }

    /** Rows split over our threads, one single-threaded sgemm each, bias and ReLU while in cache: {@link CpuLinear}. */
    @Override public Tensor linearInference(Tensor x, Tensor weight, Tensor bias, boolean relu) { return CpuLinear.inference(this, x, weight, bias, relu); }

    // ---- sparse weights (native kernels; without the library every layer stays dense) ----

    @Override public String sparseKernels() { return sparse == null ? null : sparse.name(); }

    @Override public double sparseBreakEven(SparseWeight.Kind kind) {
        if (sparse == null) return Double.POSITIVE_INFINITY;
        return kind == SparseWeight.Kind.CONV ? CONV_BREAK_EVEN : LINEAR_BREAK_EVEN;
    }

    @Override public SparseWeight prepareSparse(CsrWeights w, Shape shape) {
        if (sparse == null) return HostInt8Backend.super.prepareSparse(w, shape);
        return sparse.prepare(this, w, shape);
    }

    @Override public Tensor conv2dSparse(Tensor x, SparseWeight w, Tensor bias, Conv2dSpec spec) {
        if (sparse == null) return HostInt8Backend.super.conv2dSparse(x, w, bias, spec);
        CpuTensor cx = cpu("conv2dSparse", "input", x);
        CpuTensor cb = bias == null ? null : cpu("conv2dSparse", "bias", bias);
        ArgChecks.plainSparseConv("conv2dSparse", spec); // conv family (issue 17)
        ConvGeometry g = ArgChecks.conv("conv2dSparse", x, ArgChecks.sparse("conv2dSparse", this, x, w, SparseWeight.Kind.CONV, bias), spec);
        CpuTensor out = alloc(Shape.of(g.n(), g.o(), g.oh(), g.ow()));
        if (out.numel() > 0) sparse.conv(g, w, cb, cx, out);
        return out;
    }

    @Override public Tensor linearSparse(Tensor x, SparseWeight w, Tensor bias) {
        if (sparse == null) return HostInt8Backend.super.linearSparse(x, w, bias);
        CpuTensor cx = cpu("linearSparse", "input", x);
        CpuTensor cb = bias == null ? null : cpu("linearSparse", "bias", bias);
        Shape ws = ArgChecks.sparse("linearSparse", this, x, w, SparseWeight.Kind.LINEAR, bias);
        int n = x.shape().dim(0);
        CpuTensor out = alloc(Shape.of(n, ws.dim(0)));
        if (out.numel() > 0) sparse.linear(w, cb, cx, out, n);
        return out;
    }

    @Override public Conv2dGrads conv2dBackward(Tensor x, Tensor w, Tensor gradOut, Conv2dSpec spec, boolean withBias,
                                                boolean needInputGrad) {
        return conv2dBackward(x, w, gradOut, spec, withBias, needInputGrad, false);
    }

    /** The ReLU's mask in the AVX-512 dx kernel's pass where that route runs; elsewhere the two ops (the default). */
    @Override public Conv2dGrads conv2dBackwardReluInput(Tensor x, Tensor w, Tensor gradOut, Conv2dSpec spec, boolean withBias) {
        return conv2dBackward(x, w, gradOut, spec, withBias, true, true);
    }

    private Conv2dGrads conv2dBackward(Tensor x, Tensor w, Tensor gradOut, Conv2dSpec spec, boolean withBias,
                                       boolean needInputGrad, boolean reluInput) {
        String op = reluInput ? "conv2dBackwardReluInput" : "conv2dBackward";
        CpuTensor cx = cpu(op, "input", x);
        CpuTensor cw = cpu(op, "weight", w);
        CpuTensor cg = cpu(op, "gradOut", gradOut);
        ConvGeometry g = ArgChecks.conv(op, x, w, spec);
        ArgChecks.expectShape(op, "gradOut", gradOut, Shape.of(g.n(), g.o(), g.oh(), g.ow()));
        if (reluInput && (gradOut.numel() == 0 || w.numel() == 0 || CpuConv.route(g, true, true) != CpuConv.Route.AVX512)) {
            return HostInt8Backend.super.conv2dBackwardReluInput(x, w, gradOut, spec, withBias);
        }
        CpuTensor dw = alloc(w.shape());
        CpuTensor db = withBias ? alloc(Shape.of(g.o())) : null;
        CpuTensor dx;
        if (gradOut.numel() == 0 || w.numel() == 0) {
            dx = needInputGrad ? (CpuTensor) zeros(x.shape()) : null;
            if (w.numel() > 0) Mem.zero(dw.address(), w.numel());
            if (db != null && g.o() > 0) Mem.zero(db.address(), g.o());
            return new Conv2dGrads(dx, dw, db);
        }
        CpuConv.Route route = CpuConv.route(g, true, needInputGrad);
        if (route == CpuConv.Route.AVX512) { // issue 23: dw/db and dx kernels of our own (NativeConvGrad)
            dx = needInputGrad ? NativeConvGrad.inputGrad(this, g, cw, cg, reluInput ? cx : null) : null;
            NativeConvGrad.weightGrad(g, cx, cg, dw, db);
            return new Conv2dGrads(dx, dw, db);
        }
        if (route == CpuConv.Route.DIRECT) {
            DirectConv.weightGrad(g, cx.address(), cg.address(), dw.address(), db == null ? 0L : db.address());
            return new Conv2dGrads(null, dw, db);
        }
        if (route == CpuConv.Route.DEPTHWISE) { // conv family (issue 17): groups == C
            dx = needInputGrad ? alloc(x.shape()) : null;
            CpuDepthwiseConv.backward(g, cx.address(), cw.address(), cg.address(), dx == null ? 0L : dx.address(), dw.address(),
                    db == null ? 0L : db.address());
            return new Conv2dGrads(dx, dw, db);
        }
        if (route == CpuConv.Route.NATIVE) {
            dx = alloc(x.shape());
            try (CpuTensor dummyBias = withBias ? alloc(Shape.of(g.o())) : null) {
                CpuConv.nativeBackward(g, cx.array(), cw.array(), dummyBias == null ? null : dummyBias.array(), cg.array(),
                        dx.array(), dw.array(), db == null ? null : db.array());
            }
            if (!needInputGrad) {
                dx.close();
                dx = null;
            }
        } else if (!needInputGrad) { // dw (and db) alone, images split over the threads (issue 23)
            dx = null;
            CpuConv.weightGradSplit(g, cx.address(), cw.address(), cg.address(), dw.address(), db == null ? 0L : db.address());
        } else {
            dx = alloc(x.shape());
            CpuConv.gemmBackward(g, cx.address(), cw.address(), cg.address(), dx.address(), dw.address(),
                    db == null ? 0L : db.address());
        }
        return new Conv2dGrads(dx, dw, db);
    }

    @Override public Tensor maxPool2d(Tensor x, Pool2dSpec spec) {
        CpuTensor cx = cpu("maxPool2d", "input", x);
        PoolGeometry g = ArgChecks.pool("maxPool2d", x.shape(), spec);
        CpuTensor out = alloc(g.outputShape(x.shape()));
        if (out.numel() > 0) CpuPool.maxForward(g, cx.address(), out.address());
        return out;
    }

    @Override public Tensor maxPool2dBackward(Tensor x, Tensor gradOut, Pool2dSpec spec) {
        return poolBackward("maxPool2dBackward", x, gradOut, spec, CpuPool::maxBackward);
    }

    /** A pool kernel's backward: (geometry, x, gradOut, dx) by address. */
    private interface PoolBackwardKernel { void run(PoolGeometry g, long x, long gradOut, long dx); }

    /** dx for a max-pool backward: both inputs CPU tensors, gradOut of the pool's output shape, then {@code kernel}. */
    private Tensor poolBackward(String op, Tensor x, Tensor gradOut, Pool2dSpec spec, PoolBackwardKernel kernel) {
        CpuTensor cx = cpu(op, "input", x);
        CpuTensor cg = cpu(op, "gradOut", gradOut);
        PoolGeometry g = ArgChecks.pool(op, x.shape(), spec);
        ArgChecks.expectShape(op, "gradOut", gradOut, g.outputShape(x.shape()));
        CpuTensor dx = alloc(x.shape());
        if (dx.numel() > 0) kernel.run(g, cx.address(), cg.address(), dx.address());
        return dx;
    }

    /** Plain 2x2 windows in one pass each way ({@link CpuPool#reluMax2x2}); other windows as the relu and pool ops. */
    @Override public Tensor reluMaxPool2d(Tensor x, Pool2dSpec spec) {
        if (!CpuPool.isPlain2x2(spec)) return HostInt8Backend.super.reluMaxPool2d(x, spec);
        CpuTensor cx = cpu("reluMaxPool2d", "input", x);
        PoolGeometry g = ArgChecks.pool("reluMaxPool2d", x.shape(), spec);
        CpuTensor out = alloc(g.outputShape(x.shape()));
        if (out.numel() > 0) CpuPool.reluMax2x2(g, cx.address(), 0L, out.address());
        return out;
    }

    @Override public Tensor reluMaxPool2dBackward(Tensor x, Tensor gradOut, Pool2dSpec spec) {
        if (!CpuPool.isPlain2x2(spec)) return HostInt8Backend.super.reluMaxPool2dBackward(x, gradOut, spec);
        return poolBackward("reluMaxPool2dBackward", x, gradOut, spec, CpuPool::reluMax2x2);
    }

    /** Plain 2x2 windows, recording each window's argmax ({@link ReluMaxArgmax}); other windows: null (the caller keeps the pair). */
    @Override public PoolArgmax reluMaxPool2dArgmax(Tensor x, Pool2dSpec spec) {
        if (!CpuPool.isPlain2x2(spec)) return null;
        CpuTensor cx = cpu("reluMaxPool2dArgmax", "input", x);
        PoolGeometry g = ArgChecks.pool("reluMaxPool2dArgmax", x.shape(), spec);
        Shape os = g.outputShape(x.shape());
        CpuTensor out = alloc(os);
        CpuTensor idx = alloc(os);
        if (out.numel() > 0) ReluMaxArgmax.forward(g, cx.address(), out.address(), idx.address());
        return new PoolArgmax(out, idx, x.shape(), spec);
    }

    /** conv + bias + ReLU + plain 2x2 max-pool with its argmax in one {@link NativeConvStack} pass (AVX-512F), else null. */
    @Override public PoolArgmax conv2dReluMaxPool2dArgmax(Tensor x, Tensor w, Tensor bias, Conv2dSpec spec, Pool2dSpec pool) {
        return NativeConvStack.runArgmax(this, x, new dev.nncompress.backend.ConvStage(w, bias, spec, true, pool));
    }

    @Override public Tensor reluMaxPool2dArgmaxBackward(PoolArgmax pooled, Tensor gradOut) {
        String op = "reluMaxPool2dArgmaxBackward";
        if (pooled == null || !CpuPool.isPlain2x2(pooled.spec())) throw new IllegalArgumentException(op + ": needs reluMaxPool2dArgmax's result for plain 2x2 windows");
        PoolGeometry g = ArgChecks.pool(op, pooled.inputShape(), pooled.spec());
        Shape os = g.outputShape(pooled.inputShape());
        CpuTensor idx = cpu(op, "argmax", pooled.argmax());
        CpuTensor cg = cpu(op, "gradOut", gradOut);
        ArgChecks.expectShape(op, "argmax", pooled.argmax(), os);
        ArgChecks.expectShape(op, "gradOut", gradOut, os);
        CpuTensor dx = alloc(pooled.inputShape());
        if (dx.numel() > 0) ReluMaxArgmax.backward(g, idx.address(), cg.address(), dx.address());
        return dx;
    }

    @Override public Tensor avgPool2d(Tensor x, Pool2dSpec spec) {
        CpuTensor cx = cpu("avgPool2d", "input", x);
        PoolGeometry g = ArgChecks.pool("avgPool2d", x.shape(), spec);
        CpuTensor out = alloc(g.outputShape(x.shape()));
        if (out.numel() > 0) CpuPool.avgForward(g, cx.address(), out.address());
        return out;
    }

    @Override public Tensor avgPool2dBackward(Shape inputShape, Tensor gradOut, Pool2dSpec spec) {
        String op = "avgPool2dBackward";
        CpuTensor cg = cpu(op, "gradOut", gradOut);
        PoolGeometry g = ArgChecks.pool(op, inputShape, spec);
        ArgChecks.expectShape(op, "gradOut", gradOut, g.outputShape(inputShape));
        CpuTensor dx = alloc(inputShape);
        if (dx.numel() > 0) CpuPool.avgBackward(g, cg.address(), dx.address());
        return dx;
    }


    // ---- shapes family (issue 17): concat/split, mean over dims (CpuShapes) ----

    @Override public Tensor concat(java.util.List<Tensor> parts, int axis) {
        if (parts == null) throw new IllegalArgumentException("concat: parts is null");
        long[] at = new long[parts.size()];
        for (int i = 0; i < at.length; i++) at[i] = cpu("concat", "part " + i, parts.get(i)).address();
        dev.nncompress.backend.ConcatGeometry g = dev.nncompress.backend.ConcatGeometry.of("concat", parts.stream().map(Tensor::shape).toList(), axis);
        CpuTensor out = alloc(g.output());
        CpuShapes.concat(g, at, out.address());
        return out;
    }

    @Override public java.util.List<Tensor> split(Tensor x, int axis, int[] sizes) {
        CpuTensor cx = cpu("split", "input", x);
        dev.nncompress.backend.ConcatGeometry g = dev.nncompress.backend.ConcatGeometry.split("split", x.shape(), axis, sizes);
        java.util.List<Tensor> out = new java.util.ArrayList<>();
        long[] at = new long[g.parts()];
        for (int i = 0; i < at.length; i++) {
            CpuTensor p = alloc(g.part(i));
            out.add(p);
            at[i] = p.address();
        }
        CpuShapes.split(g, cx.address(), at);
        return out;
    }

    @Override public Tensor reduceMean(Tensor x, int first, int count) {
        CpuTensor cx = cpu("reduceMean", "input", x);
        dev.nncompress.backend.ReduceGeometry g = dev.nncompress.backend.ReduceGeometry.of("reduceMean", x.shape(), first, count);
        CpuTensor out = alloc(g.output());
        CpuShapes.mean(g, cx.address(), out.address());
        return out;
    }

    @Override public Tensor reduceMeanBackward(Shape inputShape, Tensor gradOut, int first, int count) {
        String op = "reduceMeanBackward";
        CpuTensor cg = cpu(op, "gradOut", gradOut);
        dev.nncompress.backend.ReduceGeometry g = dev.nncompress.backend.ReduceGeometry.of(op, inputShape, first, count);
        ArgChecks.expectShape(op, "gradOut", gradOut, g.output());
        CpuTensor dx = alloc(inputShape);
        CpuShapes.meanBackward(g, cg.address(), dx.address());
        return dx;
    }

    // ---- batch normalisation ----

    @Override public BatchNormResult batchNormTrain(Tensor x, Tensor gamma, Tensor beta, float eps) {
        String op = "batchNormTrain";
        CpuTensor cx = cpu(op, "input", x);
        CpuNorm.Layout l = CpuChecks.norm(op, x);
        long gA = CpuChecks.channelVector(op, "gamma", gamma, x);
        long bA = CpuChecks.channelVector(op, "beta", beta, x);
        Shape c = Shape.of(l.c());
        CpuTensor out = alloc(x.shape());
        CpuTensor mean = alloc(c);
        CpuTensor var = alloc(c);
        CpuTensor invStd = alloc(c);
        if (l.c() > 0) CpuNorm.train(l, cx.address(), gA, bA, eps, out.address(), mean.address(), var.address(), invStd.address());
        return new BatchNormResult(out, mean, var, invStd);
    }

    @Override public Tensor batchNormInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                               float eps) {
        String op = "batchNormInference";
        CpuTensor cx = cpu(op, "input", x);
        CpuNorm.Layout l = CpuChecks.norm(op, x);
        inferenceVectors(op, x, gamma, beta, runningMean, runningVar);
        CpuTensor out = alloc(x.shape());
        if (l.c() > 0) {
            BnScaleShift f = BnScaleShift.of((CpuTensor) gamma, (CpuTensor) beta, (CpuTensor) runningMean, (CpuTensor) runningVar, eps);
            CpuNorm.inference(l, cx.address(), f, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, out.address());
        }
        return out;
    }

    /** The inference batch norm's four per-channel vectors, each checked against x (shared by the two inference entries). */
    private static void inferenceVectors(String op, Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar) {
        CpuChecks.channelVector(op, "gamma", gamma, x);
        CpuChecks.channelVector(op, "beta", beta, x);
        CpuChecks.channelVector(op, "runningMean", runningMean, x);
        CpuChecks.channelVector(op, "runningVar", runningVar, x);
    }

    /** The folded batch norm and the clamp in one pass over x, chunk by chunk through a heap array ({@link CpuNorm#inference}). */
    @Override public boolean batchNormClampInPlace(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                                   float eps, float lo, float hi) {
        String op = "batchNormClampInPlace";
        CpuTensor cx = cpu(op, "input", x);
        CpuNorm.Layout l = CpuChecks.norm(op, x);
        inferenceVectors(op, x, gamma, beta, runningMean, runningVar);
        if (l.c() > 0) {
            BnScaleShift f = BnScaleShift.of((CpuTensor) gamma, (CpuTensor) beta, (CpuTensor) runningMean, (CpuTensor) runningVar, eps);
            CpuNorm.inference(l, cx.address(), f, lo, hi, cx.address());
        }
        cx.written();
        return true;
    }

    @Override public BatchNormGrads batchNormBackward(Tensor x, Tensor gamma, Tensor mean, Tensor invStd, Tensor gradOut) {
        String op = "batchNormBackward";
        CpuTensor cx = cpu(op, "input", x);
        CpuTensor cg = cpu(op, "gradOut", gradOut);
        CpuNorm.Layout l = CpuChecks.norm(op, x);
        ArgChecks.expectShape(op, "gradOut", gradOut, x.shape());
        long gA = CpuChecks.channelVector(op, "gamma", gamma, x);
        long mA = CpuChecks.channelVector(op, "mean", mean, x);
        long iA = CpuChecks.channelVector(op, "invStd", invStd, x);
        Shape c = Shape.of(l.c());
        CpuTensor dx = alloc(x.shape());
        CpuTensor dgamma = alloc(c);
        CpuTensor dbeta = alloc(c);
        if (l.c() > 0) CpuNorm.backward(l, cx.address(), gA, mA, iA, cg.address(), dx.address(), dgamma.address(), dbeta.address());
        return new BatchNormGrads(dx, dgamma, dbeta);
    }

    // ---- elementwise ----

    @Override public Tensor relu(Tensor x) {
        CpuTensor cx = cpu("relu", "x", x);
        CpuTensor out = alloc(x.shape());
        if (x.numel() > 0) CpuLoops.relu(cx.address(), out.address(), x.numel());
        return out;
    }

    @Override public Tensor reluBackward(Tensor y, Tensor gradOut) {
        CpuTensor cy = cpu("reluBackward", "y", y);
        CpuTensor cg = cpu("reluBackward", "gradOut", gradOut);
        ArgChecks.sameShape("reluBackward", "y", y, "gradOut", gradOut);
        CpuTensor out = alloc(y.shape());
        if (y.numel() > 0) CpuLoops.reluBackward(cy.address(), cg.address(), out.address(), y.numel());
        return out;
    }

    @Override public Tensor add(Tensor a, Tensor b) {
        CpuTensor ca = cpu("add", "a", a);
        CpuTensor cb = cpu("add", "b", b);
        ArgChecks.sameShape("add", "a", a, "b", b);
        CpuTensor out = alloc(a.shape());
        if (a.numel() > 0) CpuLoops.add(ca.address(), cb.address(), out.address(), a.numel());
        return out;
    }

    @Override public void addInPlace(Tensor a, Tensor b) {
        CpuTensor ca = cpu("addInPlace", "a", a);
        CpuTensor cb = cpu("addInPlace", "b", b);
        ArgChecks.sameShape("addInPlace", "a", a, "b", b);
        if (a.numel() > 0) CpuLoops.add(ca.address(), cb.address(), ca.address(), a.numel());
        ca.written();
    }

    @Override public Tensor mul(Tensor a, Tensor b) {
        CpuTensor ca = cpu("mul", "a", a);
        CpuTensor cb = cpu("mul", "b", b);
        ArgChecks.sameShape("mul", "a", a, "b", b);
        CpuTensor out = alloc(a.shape());
        if (a.numel() > 0) CpuLoops.mul(ca.address(), cb.address(), out.address(), a.numel());
        return out;
    }

    @Override public Tensor scale(Tensor x, float factor) {
        CpuTensor cx = cpu("scale", "x", x);
        CpuTensor out = alloc(x.shape());
        if (x.numel() > 0) CpuLoops.scale(cx.address(), factor, out.address(), x.numel());
        return out;
    }

    // ---- pointwise family (issue 17): activations, broadcasting arithmetic, softmax (CpuPointwise) ----

    @Override public Tensor unary(Unary kind, Tensor x, float a, float b) { return CpuPointwise.unary(this, kind, x, a, b); }

    @Override public Tensor unaryBackward(Unary kind, Tensor x, Tensor y, Tensor gradOut, float a, float b) {
        return CpuPointwise.unaryBackward(this, kind, x, y, gradOut, a, b);
    }

    @Override public Tensor binary(Binary kind, Tensor a, Tensor b) { return CpuPointwise.binary(this, kind, a, b); }

    @Override public Tensor binaryBackward(Binary kind, int operand, Tensor a, Tensor b, Tensor gradOut) {
        return CpuPointwise.binaryBackward(this, kind, operand, a, b, gradOut);
    }

    @Override public Tensor softmax(Tensor x, int axis) { return CpuPointwise.softmax(this, x, axis); }

    @Override public Tensor softmaxBackward(Tensor y, Tensor gradOut, int axis) { return CpuPointwise.softmaxBackward(this, y, gradOut, axis); }

    // ---- fake quantisation (issue 21): the reference's loop over chunks, split over the cores (CpuFakeQuant) ----

    @Override public FakeQuantResult fakeQuantize(Tensor x, QParams spec) { return CpuFakeQuant.forward(this, x, spec); }

    @Override public Tensor fakeQuantizeBackward(Tensor gradOut, FakeQuantMask inRange) { return CpuFakeQuant.backward(this, gradOut, inRange); }

    @Override public float[] finiteMinMax(Tensor x) { return CpuFakeQuant.finiteMinMax(x); }

    // ---- loss ----

    @Override public LossResult softmaxCrossEntropy(Tensor logits, int[] labels) {
        CpuTensor cl = cpu("softmaxCrossEntropy", "logits", logits);
        ArgChecks.labels("softmaxCrossEntropy", logits, labels);
        CpuTensor grad = alloc(logits.shape());
        double loss = CpuLoops.softmaxCrossEntropy(cl.address(), logits.shape().dim(0), logits.shape().dim(1), labels, grad.address());
        return new LossResult((float) loss, grad);
    }

    // ---- optimiser updates ----

    @Override public void sgdUpdate(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum, float weightDecay,
                                    boolean nesterov) {
        String op = "sgdUpdate";
        CpuTensor p = cpu(op, "param", param);
        CpuTensor g = cpu(op, "grad", grad);
        CpuTensor v = velocity == null ? null : cpu(op, "velocity", velocity);
        ArgChecks.sgd(param, grad, velocity, lr, momentum, weightDecay, nesterov);
        if (param.numel() > 0) {
            CpuOptim.sgd(p.address(), g.address(), v == null ? 0L : v.address(), param.numel(), lr, momentum, weightDecay, nesterov);
        }
        p.written();
        if (v != null) v.written();
    }

    @Override public void adamUpdate(Tensor param, Tensor grad, Tensor m, Tensor v, int step, float lr, float beta1, float beta2,
                                     float eps, float weightDecay, boolean decoupled) {
        String op = decoupled ? "adamUpdate (AdamW)" : "adamUpdate";
        CpuTensor p = cpu(op, "param", param);
        CpuTensor g = cpu(op, "grad", grad);
        CpuTensor cm = cpu(op, "m", m);
        CpuTensor cv = cpu(op, "v", v);
        ArgChecks.adam(op, param, grad, m, v, step, lr, beta1, beta2, eps, weightDecay);
        if (param.numel() > 0) {
            CpuOptim.adam(p.address(), g.address(), cm.address(), cv.address(), param.numel(), step, lr, beta1, beta2, eps,
                    weightDecay, decoupled);
        }
        p.written();
        cm.written();
        cv.written();
    }

    @Override public void sgdUpdateAll(java.util.List<Tensor> params, java.util.List<Tensor> grads, java.util.List<Tensor> velocities, float lr,
                                       float momentum, float weightDecay, boolean nesterov) {
        CpuOptimStep.sgd(params, grads, velocities, lr, momentum, weightDecay, nesterov);
    }

    @Override public void adamUpdateAll(java.util.List<Tensor> params, java.util.List<Tensor> grads, java.util.List<Tensor> ms,
                                        java.util.List<Tensor> vs, int step, float lr, float beta1, float beta2, float eps, float weightDecay,
                                        boolean decoupled) {
        CpuOptimStep.adam(params, grads, ms, vs, step, lr, beta1, beta2, eps, weightDecay, decoupled);
    }

    /** The ND4J array under a tensor of this backend (for code inside backend/cpu and its tests). */
    static INDArray array(Tensor t) { return cpu("array", "t", t).array(); }

    /**
     * The int8 ops on our JNI int8 kernels (Int8KernelChoice "auto": the Java twin where they do not load), chosen on first
     * use; the int8 op block of Backend delegates to them ({@link HostInt8Backend}).
     */
    private volatile HostInt8Ops int8;

    @Override public HostInt8Ops hostInt8() {
        HostInt8Ops h = int8;
        if (h == null) {
            synchronized (this) {
                if (int8 == null) int8 = new HostInt8Ops(this, Int8KernelChoice.choose("auto", Int8KernelChoice.defaultThreads()).kernels());
                h = int8;
            }
        }
        return h;
    }

    /** A CPU backend (same sparse kernels) whose int8 ops run on {@code kernels}. */
    @Override public CpuBackend withInt8Kernels(Int8Kernels kernels) {
        CpuBackend b = new CpuBackend(sparse);
        b.int8 = new HostInt8Ops(b, kernels);
        return b;
    }
    /** Frees the cached free blocks (process-wide); open tensors stay valid. */
    @Override public void close() { CpuMemory.trim(); }

    @Override public String toString() { return "CpuBackend"; }
}

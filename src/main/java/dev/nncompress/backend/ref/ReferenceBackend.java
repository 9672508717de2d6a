package dev.nncompress.backend.ref;

import dev.nncompress.quant.QParams;
import dev.nncompress.backend.PoolGeometry;
import dev.nncompress.backend.ConcatGeometry;
import dev.nncompress.backend.ReduceGeometry;
import dev.nncompress.backend.ConvGeometry;
import dev.nncompress.backend.ArgChecks;
import dev.nncompress.backend.Backend;
import dev.nncompress.backend.BatchNormGrads;
import dev.nncompress.backend.BatchNormResult;
import dev.nncompress.backend.Conv2dGrads;
import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.SparseWeight;
import dev.nncompress.backend.LossResult;
import dev.nncompress.backend.Pool2dSpec;
// pointwise family (issue 17)
import dev.nncompress.backend.Binary;
import dev.nncompress.backend.PointwiseChecks;
import dev.nncompress.backend.Unary;
import dev.nncompress.backend.QTensor;
import dev.nncompress.backend.Int8Kernels;
import dev.nncompress.backend.FakeQuantMask;
import dev.nncompress.backend.FakeQuantResult;
import dev.nncompress.sparse.CsrWeights;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

/**
 * The plain-Java backend: simple single-threaded loops on heap arrays, written to be obviously
 * correct rather than fast. It is the oracle the other backends are tested against; semantics
 * follow PyTorch (see {@link Backend}). Arguments are checked and a mismatch throws
 * {@link IllegalArgumentException} naming the op and the shapes involved.
 *
 * <p>Tensors made by any ReferenceBackend instance are accepted (they are plain heap arrays);
 * tensors of other backends are rejected.
 */
public final class ReferenceBackend implements HostInt8Backend {
    /** Break-evens of the sparse twin against RefConv / the dense matmul (SparseKernelsBench, docs/pruning.md). */
    static final double CONV_BREAK_EVEN = 0.5;
    static final double LINEAR_BREAK_EVEN = 0.7;

    @Override public String name() { return "reference"; }

    /** Plain Java on heap arrays, no shared mutable state, no thread pool of its own: no limit. */
    @Override public int parallelCalls() { return Integer.MAX_VALUE; }

    @Override public String describe() {
        return "reference: plain Java loops on heap float[] arrays, single-threaded, double accumulation (Java "
                + Runtime.version() + ")";
    }

    // ---- creation and data movement ----

    @Override public Tensor zeros(Shape shape) {
        if (shape == null) throw new IllegalArgumentException("zeros: shape is null");
        return new HeapTensor(this, new float[shape.numel()], shape);
    }

    /** Copies {@code data}, so later writes to the caller's array do not reach the tensor. */
    @Override public Tensor fromFloats(float[] data, Shape shape) {
        if (data == null || shape == null) throw new IllegalArgumentException("fromFloats: data and shape must not be null");
        if (data.length != shape.numel()) {
            throw new IllegalArgumentException("fromFloats: " + data.length + " values do not fill shape " + shape
                    + " (" + shape.numel() + " elements)");
        }
        return new HeapTensor(this, data.clone(), shape);
    }

    /** Shares the array with {@code x}. */
    @Override public Tensor reshape(Tensor x, Shape shape) {
        float[] d = data("reshape", "x", x);
        if (shape == null || shape.numel() != d.length) {
            throw new IllegalArgumentException("reshape: cannot view " + x.shape() + " (" + d.length + " elements) as "
                    + shape + (shape == null ? "" : " (" + shape.numel() + " elements)"));
        }
        return new HeapTensor(this, d, shape);
    }

    @Override public void copyInto(Tensor src, Tensor dst) {
        float[] s = data("copyInto", "src", src);
        float[] d = data("copyInto", "dst", dst);
        ArgChecks.sameShape("copyInto", "src", src, "dst", dst);
        System.arraycopy(s, 0, d, 0, s.length);
    }

    // ---- dense linear algebra ----

    @Override public Tensor matmul(Tensor a, boolean transA, Tensor b, boolean transB) {
        float[] ad = data("matmul", "a", a);
        float[] bd = data("matmul", "b", b);
        int[] mkn = ArgChecks.matmul(a, transA, b, transB);
        int m = mkn[0];
        int k = mkn[1];
        int n = mkn[2];
        return new HeapTensor(this, RefMath.matmul(ad, transA, bd, transB, m, k, n), Shape.of(m, n));
    }

    @Override public Tensor addRowVector(Tensor x, Tensor bias) {
        float[] xd = data("addRowVector", "x", x);
        float[] bd = data("addRowVector", "bias", bias);
        ArgChecks.rank("addRowVector", "x", x, 2);
        int f = x.shape().dim(1);
        if (bias.shape().rank() != 1 || bias.shape().dim(0) != f) {
            throw new IllegalArgumentException("addRowVector: bias " + bias.shape() + " does not match the rows of x "
                    + x.shape() + ", expected [" + f + "]");
        }
        float[] out = new float[xd.length];
        for (int i = 0; i < xd.length; i++) out[i] = xd[i] + bd[i % f];
        return new HeapTensor(this, out, x.shape());
    }

    @Override public Tensor sumRows(Tensor x) {
        float[] xd = data("sumRows", "x", x);
        ArgChecks.rank("sumRows", "x", x, 2);
        int rows = x.shape().dim(0);
        int f = x.shape().dim(1);
        double[] sum = new double[f];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < f; j++) sum[j] += xd[r * f + j];
        }
        return new HeapTensor(this, RefMath.toFloats(sum), Shape.of(f));
    }

    // ---- convolution and pooling ----

    @Override public Tensor conv2d(Tensor x, Tensor w, Tensor bias, Conv2dSpec spec) {
        float[] xd = data("conv2d", "input", x);
        float[] wd = data("conv2d", "weight", w);
        float[] bd = bias == null ? null : data("conv2d", "bias", bias);
        ConvGeometry g = ArgChecks.conv("conv2d", x, w, spec);
        if (bias != null && (bias.shape().rank() != 1 || bias.shape().dim(0) != g.o())) {
            throw new IllegalArgumentException("conv2d: bias " + bias.shape() + " does not match weight " + w.shape()
                    + ", expected [" + g.o() + "]");
        }
        return new HeapTensor(this, RefConv.forward(g, xd, wd, bd), Shape.of(g.n(), g.o(), g.oh(), g.ow()));
    }

    // ---- sparse weights: the plain-Java twin of the native and CUDA sparse kernels ----

    @Override public String sparseKernels() { return "java"; }

    /** Measured with SparseKernelsBench (docs/pruning.md): the twin skips zeros, RefConv does not. */
    @Override public double sparseBreakEven(SparseWeight.Kind kind) { return kind == SparseWeight.Kind.CONV ? CONV_BREAK_EVEN : LINEAR_BREAK_EVEN; }

    @Override public SparseWeight prepareSparse(CsrWeights w, Shape shape) { return new SparseWeight(w, shape, this, null, null); }

    @Override public Tensor conv2dSparse(Tensor x, SparseWeight w, Tensor bias, Conv2dSpec spec) {
        float[] xd = data("conv2dSparse", "input", x);
        float[] bd = bias == null ? null : data("conv2dSparse", "bias", bias);
        ArgChecks.plainSparseConv("conv2dSparse", spec); // conv family (issue 17)
        ConvGeometry g = ArgChecks.conv("conv2dSparse", x, ArgChecks.sparse("conv2dSparse", this, x, w, SparseWeight.Kind.CONV, bias), spec);
        float[] y = ReferenceSparseConv.forwardCsr(g, xd, w.csr(), bd, null);
        return new HeapTensor(this, y, Shape.of(g.n(), g.o(), g.oh(), g.ow()));
    }

    @Override public Tensor linearSparse(Tensor x, SparseWeight w, Tensor bias) {
        float[] xd = data("linearSparse", "input", x);
        float[] bd = bias == null ? null : data("linearSparse", "bias", bias);
        Shape ws = ArgChecks.sparse("linearSparse", this, x, w, SparseWeight.Kind.LINEAR, bias);
        int n = x.shape().dim(0);
        return new HeapTensor(this, ReferenceSparseConv.forwardCsr(linearAsConv(n, ws), xd, w.csr(), bd, null), Shape.of(n, ws.dim(0)));
    }

    /** x [N, F] W^T as a 1x1 conv of [N, F, 1, 1]: the same multiply-adds in the same order. */
    public static ConvGeometry linearAsConv(int n, Shape weight) {
        return new ConvGeometry(n, weight.dim(1), 1, 1, weight.dim(0), 1, 1, 1, 1, new Conv2dSpec(1, 1, 0, 0));
    }

    @Override public Conv2dGrads conv2dBackward(Tensor x, Tensor w, Tensor gradOut, Conv2dSpec spec, boolean withBias,
                                                boolean needInputGrad) {
        String op = "conv2dBackward";
        float[] xd = data(op, "input", x);
        float[] wd = data(op, "weight", w);
        float[] gd = data(op, "gradOut", gradOut);
        ConvGeometry g = ArgChecks.conv(op, x, w, spec);
        ArgChecks.expectShape(op, "gradOut", gradOut, Shape.of(g.n(), g.o(), g.oh(), g.ow()));
        float[][] r = RefConv.backward(g, xd, wd, gd, withBias, needInputGrad);
        return new Conv2dGrads(r[0] == null ? null : new HeapTensor(this, r[0], x.shape()),
                new HeapTensor(this, r[1], w.shape()),
                r[2] == null ? null : new HeapTensor(this, r[2], Shape.of(g.o())));
    }

    @Override public Tensor maxPool2d(Tensor x, Pool2dSpec spec) {
        float[] xd = data("maxPool2d", "input", x);
        PoolGeometry g = ArgChecks.pool("maxPool2d", x.shape(), spec);
        return new HeapTensor(this, RefPool.maxForward(g, xd), g.outputShape(x.shape()));
    }

    @Override public Tensor maxPool2dBackward(Tensor x, Tensor gradOut, Pool2dSpec spec) {
        float[] xd = data("maxPool2dBackward", "input", x);
        float[] gd = data("maxPool2dBackward", "gradOut", gradOut);
        PoolGeometry g = ArgChecks.pool("maxPool2dBackward", x.shape(), spec);
        ArgChecks.expectShape("maxPool2dBackward", "gradOut", gradOut, g.outputShape(x.shape()));
        return new HeapTensor(this, RefPool.maxBackward(g, xd, gd), x.shape());
    }

    @Override public Tensor avgPool2d(Tensor x, Pool2dSpec spec) {
        float[] xd = data("avgPool2d", "input", x);
        PoolGeometry g = ArgChecks.pool("avgPool2d", x.shape(), spec);
        return new HeapTensor(this, RefPool.avgForward(g, xd), g.outputShape(x.shape()));
    }

    @Override public Tensor avgPool2dBackward(Shape inputShape, Tensor gradOut, Pool2dSpec spec) {
        float[] gd = data("avgPool2dBackward", "gradOut", gradOut);
        if (inputShape == null) throw new IllegalArgumentException("avgPool2dBackward: inputShape is null");
        PoolGeometry g = ArgChecks.pool("avgPool2dBackward", inputShape, spec);
        ArgChecks.expectShape("avgPool2dBackward", "gradOut", gradOut, g.outputShape(inputShape));
        return new HeapTensor(this, RefPool.avgBackward(g, gd), inputShape);
    }

    // ---- shapes family (issue 17): concat/split, mean over dims (RefShapes) ----

    @Override public Tensor concat(java.util.List<Tensor> parts, int axis) {
        if (parts == null) throw new IllegalArgumentException("concat: parts is null");
        float[][] d = new float[parts.size()][];
        for (int i = 0; i < d.length; i++) d[i] = data("concat", "part " + i, parts.get(i));
        ConcatGeometry g = ConcatGeometry.of("concat", parts.stream().map(Tensor::shape).toList(), axis);
        return new HeapTensor(this, RefShapes.concat(g, d), g.output());
    }

    @Override public java.util.List<Tensor> split(Tensor x, int axis, int[] sizes) {
        float[] d = data("split", "input", x);
        ConcatGeometry g = ConcatGeometry.split("split", x.shape(), axis, sizes);
        float[][] parts = RefShapes.split(g, d);
        java.util.List<Tensor> out = new java.util.ArrayList<>();
        for (int i = 0; i < parts.length; i++) out.add(new HeapTensor(this, parts[i], g.part(i)));
        return out;
    }

    @Override public Tensor reduceMean(Tensor x, int first, int count) {
        float[] d = data("reduceMean", "input", x);
        ReduceGeometry g = ReduceGeometry.of("reduceMean", x.shape(), first, count);
        return new HeapTensor(this, RefShapes.mean(g, d), g.output());
    }

    @Override public Tensor reduceMeanBackward(Shape inputShape, Tensor gradOut, int first, int count) {
        float[] d = data("reduceMeanBackward", "gradOut", gradOut);
        ReduceGeometry g = ReduceGeometry.of("reduceMeanBackward", inputShape, first, count);
        ArgChecks.expectShape("reduceMeanBackward", "gradOut", gradOut, g.output());
        return new HeapTensor(this, RefShapes.meanBackward(g, d), inputShape);
    }

    // ---- batch normalisation ----

    @Override public BatchNormResult batchNormTrain(Tensor x, Tensor gamma, Tensor beta, float eps) {
        String op = "batchNormTrain";
        float[] xd = data(op, "input", x);
        RefBatchNorm.Layout l = bnLayout(op, x);
        float[][] r = RefBatchNorm.train(l, xd, channelVector(op, "gamma", gamma, x), channelVector(op, "beta", beta, x), eps);
        Shape c = Shape.of(l.c());
        return new BatchNormResult(new HeapTensor(this, r[0], x.shape()), new HeapTensor(this, r[1], c),
                new HeapTensor(this, r[2], c), new HeapTensor(this, r[3], c));
    }

    @Override public Tensor batchNormInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                               float eps) {
        String op = "batchNormInference";
        float[] xd = data(op, "input", x);
        RefBatchNorm.Layout l = bnLayout(op, x);
        return new HeapTensor(this, RefBatchNorm.inference(l, xd, channelVector(op, "gamma", gamma, x),
                channelVector(op, "beta", beta, x), channelVector(op, "runningMean", runningMean, x),
                channelVector(op, "runningVar", runningVar, x), eps), x.shape());
    }

    @Override public BatchNormGrads batchNormBackward(Tensor x, Tensor gamma, Tensor mean, Tensor invStd, Tensor gradOut) {
        String op = "batchNormBackward";
        float[] xd = data(op, "input", x);
        float[] gd = data(op, "gradOut", gradOut);
        RefBatchNorm.Layout l = bnLayout(op, x);
        ArgChecks.expectShape(op, "gradOut", gradOut, x.shape());
        float[][] r = RefBatchNorm.backward(l, xd, channelVector(op, "gamma", gamma, x), channelVector(op, "mean", mean, x),
                channelVector(op, "invStd", invStd, x), gd);
        Shape c = Shape.of(l.c());
        return new BatchNormGrads(new HeapTensor(this, r[0], x.shape()), new HeapTensor(this, r[1], c),
                new HeapTensor(this, r[2], c));
    }

    // ---- elementwise ----

    @Override public Tensor relu(Tensor x) {
        float[] xd = data("relu", "x", x);
        float[] out = new float[xd.length];
        for (int i = 0; i < xd.length; i++) out[i] = Math.max(xd[i], 0f); // NaN stays NaN, -0 becomes 0
        return new HeapTensor(this, out, x.shape());
    }

    @Override public Tensor reluBackward(Tensor y, Tensor gradOut) {
        float[] yd = data("reluBackward", "y", y);
        float[] gd = data("reluBackward", "gradOut", gradOut);
        ArgChecks.sameShape("reluBackward", "y", y, "gradOut", gradOut);
        float[] out = new float[yd.length];
        for (int i = 0; i < yd.length; i++) out[i] = yd[i] > 0f ? gd[i] : 0f;
        return new HeapTensor(this, out, y.shape());
    }

    @Override public Tensor add(Tensor a, Tensor b) {
        float[] ad = data("add", "a", a);
        float[] bd = data("add", "b", b);
        ArgChecks.sameShape("add", "a", a, "b", b);
        float[] out = new float[ad.length];
        for (int i = 0; i < ad.length; i++) out[i] = ad[i] + bd[i];
        return new HeapTensor(this, out, a.shape());
    }

    @Override public void addInPlace(Tensor a, Tensor b) {
        float[] ad = data("addInPlace", "a", a);
        float[] bd = data("addInPlace", "b", b);
        ArgChecks.sameShape("addInPlace", "a", a, "b", b);
        for (int i = 0; i < ad.length; i++) ad[i] += bd[i];
    }

    @Override public Tensor mul(Tensor a, Tensor b) {
        float[] ad = data("mul", "a", a);
        float[] bd = data("mul", "b", b);
        ArgChecks.sameShape("mul", "a", a, "b", b);
        float[] out = new float[ad.length];
        for (int i = 0; i < ad.length; i++) out[i] = ad[i] * bd[i];
        return new HeapTensor(this, out, a.shape());
    }

    @Override public Tensor scale(Tensor x, float factor) {
        float[] xd = data("scale", "x", x);
        float[] out = new float[xd.length];
        for (int i = 0; i < xd.length; i++) out[i] = xd[i] * factor;
        return new HeapTensor(this, out, x.shape());
    }

    // ---- pointwise family (issue 17): activations, broadcasting arithmetic, softmax (RefActivations, RefBroadcast) ----

    @Override public Tensor unary(Unary kind, Tensor x, float a, float b) {
        float[] xd = data("unary", "x", x);
        PointwiseChecks.unary("unary", kind, a, b);
        return new HeapTensor(this, RefActivations.forward(kind, xd, a, b), x.shape());
    }

    @Override public Tensor unaryBackward(Unary kind, Tensor x, Tensor y, Tensor gradOut, float a, float b) {
        String op = "unaryBackward";
        float[] xd = data(op, "x", x), yd = data(op, "y", y), gd = data(op, "gradOut", gradOut);
        PointwiseChecks.unaryBackward(op, kind, a, b, x, y, gradOut);
        return new HeapTensor(this, RefActivations.backward(kind, xd, yd, gd, a, b), x.shape());
    }

    @Override public Tensor binary(Binary kind, Tensor a, Tensor b) {
        float[] ad = data("binary", "a", a), bd = data("binary", "b", b);
        Shape out = PointwiseChecks.binary("binary", kind, a, b).out();
        return new HeapTensor(this, RefBroadcast.forward(kind, ad, a.shape(), bd, b.shape(), out), out);
    }

    @Override public Tensor binaryBackward(Binary kind, int operand, Tensor a, Tensor b, Tensor gradOut) {
        String op = "binaryBackward";
        float[] ad = data(op, "a", a), bd = data(op, "b", b), gd = data(op, "gradOut", gradOut);
        Shape out = PointwiseChecks.binaryBackward(op, kind, operand, a, b, gradOut).out();
        return new HeapTensor(this, RefBroadcast.backward(kind, operand, ad, a.shape(), bd, b.shape(), gd, out), operand == 0 ? a.shape() : b.shape());
    }

    @Override public Tensor softmax(Tensor x, int axis) {
        float[] xd = data("softmax", "x", x);
        int[] l = PointwiseChecks.softmax("softmax", x, axis);
        return new HeapTensor(this, RefActivations.softmax(xd, l[0], l[1], l[2]), x.shape());
    }

    @Override public Tensor softmaxBackward(Tensor y, Tensor gradOut, int axis) {
        String op = "softmaxBackward";
        float[] yd = data(op, "y", y), gd = data(op, "gradOut", gradOut);
        int[] l = PointwiseChecks.softmaxBackward(op, y, gradOut, axis);
        return new HeapTensor(this, RefActivations.softmaxBackward(yd, gd, l[0], l[1], l[2]), y.shape());
    }

    // ---- loss ----

    @Override public LossResult softmaxCrossEntropy(Tensor logits, int[] labels) {
        String op = "softmaxCrossEntropy";
        float[] ld = data(op, "logits", logits);
        ArgChecks.labels(op, logits, labels);
        int n = logits.shape().dim(0);
        int k = logits.shape().dim(1);
        double[] loss = new double[1];
        float[] grad = RefMath.softmaxCrossEntropy(ld, n, k, labels, loss);
        return new LossResult((float) loss[0], new HeapTensor(this, grad, logits.shape()));
    }

    // ---- optimiser updates ----

    @Override public void sgdUpdate(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum, float weightDecay,
                                    boolean nesterov) {
        String op = "sgdUpdate";
        float[] p = data(op, "param", param);
        float[] g = data(op, "grad", grad);
        float[] v = velocity == null ? null : data(op, "velocity", velocity);
        ArgChecks.sgd(param, grad, velocity, lr, momentum, weightDecay, nesterov);
        RefOptim.sgd(p, g, v, lr, momentum, weightDecay, nesterov);
    }

    @Override public void adamUpdate(Tensor param, Tensor grad, Tensor m, Tensor v, int step, float lr, float beta1,
                                     float beta2, float eps, float weightDecay, boolean decoupled) {
        String op = decoupled ? "adamUpdate (AdamW)" : "adamUpdate";
        float[] p = data(op, "param", param);
        float[] g = data(op, "grad", grad);
        float[] md = data(op, "m", m);
        float[] vd = data(op, "v", v);
        ArgChecks.adam(op, param, grad, m, v, step, lr, beta1, beta2, eps, weightDecay);
        RefOptim.adam(p, g, md, vd, step, lr, beta1, beta2, eps, weightDecay, decoupled);
    }

    // ---- fake quantisation (issue 21): QuantArithmetic's twins of the CUDA kernels (RefFakeQuant) ----

    @Override public FakeQuantResult fakeQuantize(Tensor x, QParams spec) { return RefFakeQuant.forward(this, x, spec); }

    @Override public Tensor fakeQuantizeBackward(Tensor gradOut, FakeQuantMask inRange) { return RefFakeQuant.backward(this, gradOut, inRange); }

    // ---- argument checks ----

    /** The live array of a tensor of this backend kind; rejects null and foreign tensors. */
    static float[] data(String op, String name, Tensor t) {
        if (t == null) throw new IllegalArgumentException(op + ": " + name + " is null");
        if (!(t instanceof HeapTensor h) || !(t.owner() instanceof ReferenceBackend)) {
            String owner = t.owner() == null ? "no backend" : "backend '" + t.owner().name() + "'";
            throw new IllegalArgumentException(op + ": " + name + " " + t.shape() + " belongs to " + owner + " ("
                    + t.getClass().getSimpleName() + "), not to the reference backend; copy it with fromFloats(t.toFloatArray(), t.shape())");
        }
        return h.data();
    }

    /** [N, C, spatial...] viewed as [N, C, S]; rank 2 ([N, C], BatchNorm1d) has S = 1. */
    private static RefBatchNorm.Layout bnLayout(String op, Tensor x) {
        int[] l = ArgChecks.normLayout(op, x);
        return new RefBatchNorm.Layout(l[0], l[1], l[2]);
    }

    private static float[] channelVector(String op, String name, Tensor t, Tensor x) {
        float[] d = data(op, name, t);
        ArgChecks.channelVector(op, name, t, x);
        return d;
    }

    /**
     * The int8 ops on the Java twin of the int8 kernels (the bit-exact oracle; another instance: {@link #withInt8Kernels});
     * the int8 op block of Backend delegates to them ({@link HostInt8Backend}).
     */
    private final HostInt8Ops int8;

    public ReferenceBackend() { this(new JavaInt8Kernels(1)); }

    private ReferenceBackend(Int8Kernels kernels) { this.int8 = new HostInt8Ops(this, kernels); }

    @Override public HostInt8Ops hostInt8() { return int8; }

    /** A reference backend whose int8 ops run on {@code kernels} (its float ops are the same). */
    @Override public ReferenceBackend withInt8Kernels(Int8Kernels kernels) { return new ReferenceBackend(kernels); }
    /** As {@link HostInt8Backend}'s, but x must be this backend's (its heap array is read in place, not copied). */
    @Override public QTensor quantize(Tensor x, QParams q) { return int8.quantize(data("quantize", "x", x), x.shape(), q); }

    @Override public String toString() { return "ReferenceBackend"; }
}

package dev.nncompress.backend.cuda;

import dev.nncompress.quant.QParams;
import dev.nncompress.backend.ArgChecks;
import dev.nncompress.backend.Backend;
import dev.nncompress.backend.BatchNormGrads;
import dev.nncompress.backend.BatchNormResult;
import dev.nncompress.backend.Conv2dGrads;
import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.ConvGeometry;
import dev.nncompress.backend.Int8Kernels;
import dev.nncompress.backend.SparseWeight;
import dev.nncompress.backend.cuda.driver.CudaDriver;
import dev.nncompress.backend.cuda.driver.DeviceBuffer;
import dev.nncompress.backend.cuda.driver.DeviceMemoryPool;
import dev.nncompress.backend.cuda.kernels.Blas;
import dev.nncompress.backend.cuda.kernels.CudaConv;
import dev.nncompress.backend.cuda.kernels.CudaDnnOps;
import dev.nncompress.backend.cuda.kernels.CudaOps;
import dev.nncompress.backend.cuda.kernels.Dnn;
import dev.nncompress.backend.cuda.kernels.OwnBlas;
import dev.nncompress.backend.cuda.kernels.SparseConv;
import dev.nncompress.backend.cuda.vendor.DnnLibrary;
import dev.nncompress.backend.cuda.vendor.VendorStack;
import dev.nncompress.sparse.CsrWeights;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.backend.LossResult;
import dev.nncompress.backend.Pool2dSpec;
import dev.nncompress.backend.PoolGeometry;
// pointwise family (issue 17)
import dev.nncompress.backend.Binary;
import dev.nncompress.backend.Unary;
import dev.nncompress.backend.FakeQuantMask;
import dev.nncompress.backend.FakeQuantResult;
// int8 (issue 21)
import dev.nncompress.backend.QTensor;
import dev.nncompress.backend.QWeight;
import dev.nncompress.tensor.DType;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.Locale;

import static dev.nncompress.backend.cuda.CudaChecks.channelVector;
import static dev.nncompress.backend.cuda.CudaChecks.f32;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemsetD8;

/**
 * The Backend op set on one NVIDIA GPU: float GEMM on a {@link Blas} (cuBLAS 13, else our gemm_f32);
 * convolution, pooling, ReLU, batch norm and the softmax of softmax cross-entropy on a {@link Dnn}
 * (cuDNN 9, else our kernels; each cuDNN part runs ours where cuDNN cannot match the contract), chosen
 * once per process by {@link VendorStack}; everything else on our own kernels (cuda-kernels/:
 * elementwise, optim), launched through the JCuda driver API. Vendor calls and our launches share
 * the driver's one stream, so ops run in call order without host synchronisation; reading a tensor
 * back waits for them. Tensors live in a per-backend caching pool ({@link DeviceMemoryPool}); {@link #close()} frees
 * it all. Semantics are the ReferenceBackend's, op by op (each kernel file names its twin).
 */
public final class CudaBackend implements Backend {
    private final CudaDriver driver;
    private final DeviceMemoryPool memory = new DeviceMemoryPool();
    private final CudaOps ops;
    private final Blas blas;
    private final Dnn dnn;
    private volatile boolean closed;

    /**
     * Opens the process's CUDA device; a BackendUnavailableException saying why when there is none (or
     * when {@code -Dnncompress.cuda.blas=cublas} / {@code .dnn=cudnn} asks for a library that does not load).
     */
    public CudaBackend() { this(VendorStack.get(CudaDriver.get(), true)); }

    private CudaBackend(VendorStack vendors) { this(vendors.vendorBlas(), vendors.vendorDnn()); }

    /** Our kernels only, whatever the process chose: the baseline in gpu-check. */
    public static CudaBackend ownKernelsOnly() { return new CudaBackend((Blas) null, null); }

    /** On the given vendor libraries, null meaning ours (tests and gpu-check compare the routes). */
    CudaBackend(Blas vendorBlas, DnnLibrary vendorDnn) {
        this.driver = CudaDriver.get();
        this.ops = new CudaOps(driver);
        this.blas = vendorBlas != null ? vendorBlas : new OwnBlas(ops);
        Dnn own = Dnn.own(new CudaConv(ops, blas, memory), new CudaDnnOps(ops));
        this.dnn = vendorDnn != null ? vendorDnn.open(memory, own) : own;
    }

    @Override public String name() { return "cuda"; }

    /** "NVIDIA H100 80GB HBM3, CC 9.0, 79.1 GiB, driver 13.0, 132 SMs, nncompress kernels, BLAS cuBLAS 13.1.0, DNN cuDNN 9.19.0". */
    @Override public Int8Kernels deviceInt8Kernels() { return new CudaInt8Kernels(); }

    @Override public String describe() {
        CudaDriver.DeviceInfo i = driver.info();
        // under the CPU emulation every line that prints the backend reads "cuda (emulated, not a GPU: ...)"
        return String.format(Locale.ROOT, "%s%s, CC %s, %.1f GiB, driver %s, %d SMs, nncompress kernels, BLAS %s, DNN %s",
                i.emulated() ? "emulated, not a GPU: " : "", i.name(),
                i.computeCapability(), i.totalMemoryBytes() / (double) (1L << 30), i.driverVersion(), i.multiprocessors(),
                blas.name(), dnn.name());
    }

    /**
     * Which libraries this process's CUDA backends use for float GEMM and convolution, "BLAS cuBLAS
     * 13.1.0, DNN cuDNN 9.19.0" or with the reason ours run (decided once per process, without logging:
     * for {@code info --devices}); why not, in one line, when CUDA itself or a requested library is
     * unavailable, as a BackendUnavailableException.
     */
    public static String librariesInUse() { return VendorStack.get(CudaDriver.get(), false).libraries(); }

    /** The float GEMM in use: "cuBLAS 13.1.0" or "own gemm_f32". */
    public String blasName() { return blas.name(); }

    /** The convolution, pooling, ReLU, batch norm and softmax in use: "cuDNN 9.19.0" or "own im2col + ...". */
    public String dnnName() { return dnn.name(); }

    /** The device memory this backend's tensors come from (bytes in use and cached). */
    public DeviceMemoryPool memory() { return memory; }

    /** Waits until every op issued so far has finished (timing; reads synchronise by themselves). */
    public void synchronize() { driver.synchronize(); }

    void checkOpen() {
        if (closed) throw new IllegalStateException("the cuda backend was closed; its tensors are gone");
    }

    private CudaTensor alloc(Shape shape) { return alloc(shape, DType.F32); }

    private CudaTensor alloc(Shape shape, DType dtype) {
        checkOpen();
        return CudaTensor.allocate(this, shape, dtype);
    }

    // ---- creation and data movement ----

    @Override public Tensor zeros(Shape shape) {
        if (shape == null) throw new IllegalArgumentException("zeros: shape is null");
        CudaTensor t = alloc(shape);
        ops.elementwise("nnc_ew_fill", shape.numel(), t.buffer(), 0f, (long) shape.numel());
        return t;
    }

    @Override public Tensor fromFloats(float[] data, Shape shape) {
        checkCount("fromFloats", data == null ? -1 : data.length, shape);
        CudaTensor t = alloc(shape);
        t.buffer().write(data);
        return t;
    }

    /** An I32 tensor (int8 work: accumulators, zero points). */
    public Tensor fromInts(int[] data, Shape shape) {
        checkCount("fromInts", data == null ? -1 : data.length, shape);
        CudaTensor t = alloc(shape, DType.I32);
        t.buffer().write(data);
        return t;
    }

    /** An I8 tensor (quantised values). */
    public Tensor fromBytes(byte[] data, Shape shape) {
        checkCount("fromBytes", data == null ? -1 : data.length, shape);
        CudaTensor t = alloc(shape, DType.I8);
        t.buffer().write(data);
        return t;
    }

    /** A zero-filled tensor of any dtype. */
    public Tensor zeros(Shape shape, DType dtype) {
        CudaTensor t = alloc(shape, dtype);
        if (t.bytes() > 0) {
            driver.makeCurrent();
            cuMemsetD8(t.buffer().pointer(), (byte) 0, t.bytes());
        }
        return t;
    }

    private static void checkCount(String op, int length, Shape shape) {
        if (length < 0 || shape == null) throw new IllegalArgumentException(op + ": data and shape must not be null");
        if (length != shape.numel()) {
            throw new IllegalArgumentException(op + ": " + length + " values do not fill shape " + shape + " (" + shape.numel() + " elements)");
        }
    }

    /** Shares the device block with {@code x}. */
    @Override public Tensor reshape(Tensor x, Shape shape) {
        CudaTensor c = CudaChecks.cuda("reshape", "x", x);
        if (shape == null || shape.numel() != x.numel()) {
            throw new IllegalArgumentException("reshape: cannot view " + x.shape() + " (" + x.numel() + " elements) as "
                    + shape + (shape == null ? "" : " (" + shape.numel() + " elements)"));
        }
        return c.view(shape);
    }

    @Override public void copyInto(Tensor src, Tensor dst) {
        CudaTensor s = CudaChecks.cuda("copyInto", "src", src);
        CudaTensor d = CudaChecks.cuda("copyInto", "dst", dst);
        ArgChecks.sameShape("copyInto", "src", src, "dst", dst);
        if (s.dtype() != d.dtype()) throw new IllegalArgumentException("copyInto: src is " + s.dtype() + ", dst is " + d.dtype());
        if (s.bytes() == 0 || s.buffer() == d.buffer()) return;
        driver.makeCurrent();
        cuMemcpyDtoDAsync(d.buffer().pointer(), s.buffer().pointer(), s.bytes(), driver.stream());
    }

    // ---- dense linear algebra ----

    @Override public Tensor matmul(Tensor a, boolean transA, Tensor b, boolean transB) {
        CudaTensor ad = f32("matmul", "a", a);
        CudaTensor bd = f32("matmul", "b", b);
        int[] mkn = ArgChecks.matmul(a, transA, b, transB);
        int m = mkn[0], k = mkn[1], n = mkn[2];
        CudaTensor out = alloc(Shape.of(m, n));
        // the stored row length is the leading dimension, transposed or not
        blas.gemm(ad.buffer(), 0, 0, a.shape().dim(1), transA, bd.buffer(), 0, 0, b.shape().dim(1), transB,
                out.buffer(), 0, 0, n, m, n, k, 1, 1f, 0f);
        return out;
    }

    @Override public Tensor addRowVector(Tensor x, Tensor bias) {
        CudaTensor xd = f32("addRowVector", "x", x);
        CudaTensor bd = f32("addRowVector", "bias", bias);
        ArgChecks.rank("addRowVector", "x", x, 2);
        int f = x.shape().dim(1);
        if (bias.shape().rank() != 1 || bias.shape().dim(0) != f) {
            throw new IllegalArgumentException("addRowVector: bias " + bias.shape() + " does not match the rows of x "
                    + x.shape() + ", expected [" + f + "]");
        }
        CudaTensor out = alloc(x.shape());
        long n = x.numel();
        ops.elementwise("nnc_ew_add_row_vector", n, xd.buffer(), bd.buffer(), out.buffer(), n, f);
        return out;
    }

    @Override public Tensor sumRows(Tensor x) {
        CudaTensor xd = f32("sumRows", "x", x);
        ArgChecks.rank("sumRows", "x", x, 2);
        int rows = x.shape().dim(0), f = x.shape().dim(1);
        CudaTensor out = alloc(Shape.of(f));
        ops.elementwise("nnc_ew_sum_rows", f, xd.buffer(), out.buffer(), rows, f);
        return out;
    }

    // ---- convolution and pooling ----

    @Override public Tensor conv2d(Tensor x, Tensor w, Tensor bias, Conv2dSpec spec) {
        CudaTensor xd = f32("conv2d", "input", x);
        CudaTensor wd = f32("conv2d", "weight", w);
        CudaTensor bd = bias == null ? null : f32("conv2d", "bias", bias);
        ConvGeometry g = ArgChecks.conv("conv2d", x, w, spec);
        if (bias != null && (bias.shape().rank() != 1 || bias.shape().dim(0) != g.o())) {
            throw new IllegalArgumentException("conv2d: bias " + bias.shape() + " does not match weight " + w.shape()
                    + ", expected [" + g.o() + "]");
        }
        CudaTensor out = alloc(Shape.of(g.n(), g.o(), g.oh(), g.ow()));
        dnn.conv().convForward(g, xd.buffer(), wd.buffer(), out.buffer());
        if (bd != null) {
            long n = (long) g.n() * g.o() * g.p();
            ops.elementwise("nnc_ew_add_channel_bias", n, out.buffer(), bd.buffer(), n, g.o(), (long) g.p());
        }
        return out;
    }

    // ---- sparse weights: the CSR kernels of sparse_conv_csr.cu (SparseConv), linear as a 1x1 conv ----

    @Override public String sparseKernels() { return "cuda-csr"; }

    /**
     * Not measured on a GPU yet, so automatic choice keeps every layer dense here; the kernels run
     * when asked for explicitly ({@code --sparse on}, {@code SparseInference.Mode.ON}).
     */
    @Override public double sparseBreakEven(SparseWeight.Kind kind) { return Double.POSITIVE_INFINITY; }

    @Override public SparseWeight prepareSparse(CsrWeights w, Shape shape) {
        SparseConv.DeviceCsr d = new SparseConv.DeviceCsr(w);
        return new SparseWeight(w, shape, this, d, d);
    }

    @Override public Tensor conv2dSparse(Tensor x, SparseWeight w, Tensor bias, Conv2dSpec spec) {
        CudaTensor xd = f32("conv2dSparse", "input", x);
        CudaTensor bd = bias == null ? null : f32("conv2dSparse", "bias", bias);
        ArgChecks.plainSparseConv("conv2dSparse", spec); // conv family (issue 17)
        ConvGeometry g = ArgChecks.conv("conv2dSparse", x, ArgChecks.sparse("conv2dSparse", this, x, w, SparseWeight.Kind.CONV, bias), spec);
        CudaTensor out = alloc(Shape.of(g.n(), g.o(), g.oh(), g.ow()));
        if (out.numel() > 0) {
            SparseConv.forwardCsr(g, xd.buffer(), (SparseConv.DeviceCsr) w.prepared(),
                    bd == null ? null : bd.buffer(), null, out.buffer());
        }
        return out;
    }

    @Override public Tensor linearSparse(Tensor x, SparseWeight w, Tensor bias) {
        CudaTensor xd = f32("linearSparse", "input", x);
        CudaTensor bd = bias == null ? null : f32("linearSparse", "bias", bias);
        Shape ws = ArgChecks.sparse("linearSparse", this, x, w, SparseWeight.Kind.LINEAR, bias);
        int n = x.shape().dim(0);
        CudaTensor out = alloc(Shape.of(n, ws.dim(0)));
        if (out.numel() > 0) {
            SparseConv.forwardCsr(ReferenceBackend.linearAsConv(n, ws), xd.buffer(), (SparseConv.DeviceCsr) w.prepared(),
                    bd == null ? null : bd.buffer(), null, out.buffer());
        }
        return out;
    }

    @Override public Conv2dGrads conv2dBackward(Tensor x, Tensor w, Tensor gradOut, Conv2dSpec spec, boolean withBias,
                                                boolean needInputGrad) {
        String op = "conv2dBackward";
        CudaTensor xd = f32(op, "input", x);
        CudaTensor wd = f32(op, "weight", w);
        CudaTensor gd = f32(op, "gradOut", gradOut);
        ConvGeometry g = ArgChecks.conv(op, x, w, spec);
        ArgChecks.expectShape(op, "gradOut", gradOut, Shape.of(g.n(), g.o(), g.oh(), g.ow()));
        CudaTensor dx = needInputGrad ? alloc(x.shape()) : null;
        CudaTensor dw = alloc(w.shape());
        CudaTensor db = withBias ? alloc(Shape.of(g.o())) : null;
        dnn.conv().convBackward(g, xd.buffer(), wd.buffer(), gd.buffer(), dx == null ? null : dx.buffer(), dw.buffer());
        if (db != null) ops.perChannel("nnc_ew_sum_channels", g.o(), gd.buffer(), db.buffer(), g.n(), g.o(), g.p());
        return new Conv2dGrads(dx, dw, db);
    }

    @Override public Tensor maxPool2d(Tensor x, Pool2dSpec spec) {
        CudaTensor xd = f32("maxPool2d", "input", x);
        PoolGeometry g = ArgChecks.pool("maxPool2d", x.shape(), spec);
        CudaTensor out = alloc(g.outputShape(x.shape()));
        dnn.pooling().forward(Dnn.PoolMode.MAX, g, xd.buffer(), out.buffer());
        return out;
    }

    @Override public Tensor maxPool2dBackward(Tensor x, Tensor gradOut, Pool2dSpec spec) {
        CudaTensor xd = f32("maxPool2dBackward", "input", x);
        CudaTensor gd = f32("maxPool2dBackward", "gradOut", gradOut);
        PoolGeometry g = ArgChecks.pool("maxPool2dBackward", x.shape(), spec);
        ArgChecks.expectShape("maxPool2dBackward", "gradOut", gradOut, g.outputShape(x.shape()));
        CudaTensor dx = alloc(x.shape());
        dnn.pooling().backward(Dnn.PoolMode.MAX, g, xd.buffer(), gd.buffer(), dx.buffer());
        return dx;
    }

    @Override public Tensor avgPool2d(Tensor x, Pool2dSpec spec) {
        CudaTensor xd = f32("avgPool2d", "input", x);
        PoolGeometry g = ArgChecks.pool("avgPool2d", x.shape(), spec);
        CudaTensor out = alloc(g.outputShape(x.shape()));
        dnn.pooling().forward(Dnn.PoolMode.AVERAGE, g, xd.buffer(), out.buffer());
        return out;
    }

    @Override public Tensor avgPool2dBackward(Shape inputShape, Tensor gradOut, Pool2dSpec spec) {
        CudaTensor gd = f32("avgPool2dBackward", "gradOut", gradOut);
        if (inputShape == null) throw new IllegalArgumentException("avgPool2dBackward: inputShape is null");
        PoolGeometry g = ArgChecks.pool("avgPool2dBackward", inputShape, spec);
        ArgChecks.expectShape("avgPool2dBackward", "gradOut", gradOut, g.outputShape(inputShape));
        CudaTensor dx = alloc(inputShape);
        dnn.pooling().backward(Dnn.PoolMode.AVERAGE, g, null, gd.buffer(), dx.buffer());
        return dx;
    }

    // ---- shapes family (issue 17): concat/split, mean over dims (CudaShapes, shape.cu) ----

    @Override public Tensor concat(java.util.List<Tensor> parts, int axis) { return new CudaShapes(this, ops).concat(parts, axis); }

    @Override public java.util.List<Tensor> split(Tensor x, int axis, int[] sizes) { return new CudaShapes(this, ops).split(x, axis, sizes); }

    @Override public Tensor reduceMean(Tensor x, int first, int count) { return new CudaShapes(this, ops).reduceMean(x, first, count); }

    @Override public Tensor reduceMeanBackward(Shape inputShape, Tensor gradOut, int first, int count) {
        return new CudaShapes(this, ops).reduceMeanBackward(inputShape, gradOut, first, count);
    }

    // ---- batch normalisation ----

    @Override public BatchNormResult batchNormTrain(Tensor x, Tensor gamma, Tensor beta, float eps) {
        return batchNormTrain(x, gamma, beta, eps, null);
    }

    /** Fused: the Dnn updates the running statistics in the same call (cuDNN's own update on its route). */
    @Override public BatchNormResult batchNormTrain(Tensor x, Tensor gamma, Tensor beta, float eps, float momentum, Tensor runningMean,
                                                    Tensor runningVar) {
        String op = "batchNormTrain";
        Backend.runningBlend(op, x, momentum, runningMean, runningVar);
        return batchNormTrain(x, gamma, beta, eps, new Dnn.Running(momentum, f32(op, "runningMean", runningMean).buffer(),
                f32(op, "runningVar", runningVar).buffer()));
    }

    private BatchNormResult batchNormTrain(Tensor x, Tensor gamma, Tensor beta, float eps, Dnn.Running running) {
        String op = "batchNormTrain";
        CudaTensor xd = f32(op, "input", x);
        Dnn.NormLayout l = Dnn.NormLayout.of(ArgChecks.normLayout(op, x));
        DeviceBuffer gm = channelVector(op, "gamma", gamma, x);
        DeviceBuffer bt = channelVector(op, "beta", beta, x);
        Shape c = Shape.of(l.c());
        CudaTensor out = alloc(x.shape()), mean = alloc(c), var = alloc(c), invStd = alloc(c);
        dnn.batchNorm().train(l, eps, xd.buffer(), gm, bt, out.buffer(), mean.buffer(), var.buffer(), invStd.buffer(), running);
        return new BatchNormResult(out, mean, var, invStd);
    }

    @Override public Tensor batchNormInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                               float eps) {
        String op = "batchNormInference";
        CudaTensor xd = f32(op, "input", x);
        Dnn.NormLayout l = Dnn.NormLayout.of(ArgChecks.normLayout(op, x));
        DeviceBuffer gm = channelVector(op, "gamma", gamma, x);
        DeviceBuffer bt = channelVector(op, "beta", beta, x);
        DeviceBuffer mu = channelVector(op, "runningMean", runningMean, x);
        DeviceBuffer vr = channelVector(op, "runningVar", runningVar, x);
        CudaTensor out = alloc(x.shape());
        dnn.batchNorm().inference(l, eps, xd.buffer(), gm, bt, mu, vr, out.buffer());
        return out;
    }

    @Override public BatchNormGrads batchNormBackward(Tensor x, Tensor gamma, Tensor mean, Tensor invStd, Tensor gradOut) {
        String op = "batchNormBackward";
        CudaTensor xd = f32(op, "input", x);
        CudaTensor gd = f32(op, "gradOut", gradOut);
        Dnn.NormLayout l = Dnn.NormLayout.of(ArgChecks.normLayout(op, x));
        ArgChecks.expectShape(op, "gradOut", gradOut, x.shape());
        DeviceBuffer gm = channelVector(op, "gamma", gamma, x);
        DeviceBuffer mu = channelVector(op, "mean", mean, x);
        DeviceBuffer is = channelVector(op, "invStd", invStd, x);
        Shape c = Shape.of(l.c());
        CudaTensor dx = alloc(x.shape()), dgamma = alloc(c), dbeta = alloc(c);
        dnn.batchNorm().backward(l, xd.buffer(), gm, mu, is, gd.buffer(), dx.buffer(), dgamma.buffer(), dbeta.buffer());
        return new BatchNormGrads(dx, dgamma, dbeta);
    }

    // ---- elementwise ----

    @Override public Tensor relu(Tensor x) {
        CudaTensor xd = f32("relu", "x", x), out = alloc(x.shape());
        dnn.activation().relu(x.numel(), xd.buffer(), out.buffer());
        return out;
    }

    @Override public Tensor reluBackward(Tensor y, Tensor gradOut) {
        return binary("reluBackward", "y", y, "gradOut", gradOut, (a, b, out, n) -> dnn.activation().reluBackward(n, a, b, out));
    }

    @Override public Tensor add(Tensor a, Tensor b) { return binary("add", "nnc_ew_add", a, b); }

    @Override public void addInPlace(Tensor a, Tensor b) {
        CudaTensor ad = f32("addInPlace", "a", a);
        CudaTensor bd = f32("addInPlace", "b", b);
        ArgChecks.sameShape("addInPlace", "a", a, "b", b);
        long n = a.numel();
        ops.elementwise("nnc_ew_add_inplace", n, ad.buffer(), bd.buffer(), n);
    }

    @Override public Tensor mul(Tensor a, Tensor b) { return binary("mul", "nnc_ew_mul", a, b); }

    @Override public Tensor scale(Tensor x, float factor) {
        CudaTensor xd = f32("scale", "x", x);
        CudaTensor out = alloc(x.shape());
        long n = x.numel();
        ops.elementwise("nnc_ew_scale", n, xd.buffer(), out.buffer(), factor, n);
        return out;
    }

    /** An elementwise kernel (a, b, out, n) of two same-shaped float tensors named a and b. */
    private Tensor binary(String op, String kernel, Tensor a, Tensor b) {
        return binary(op, "a", a, "b", b, (ad, bd, out, n) -> ops.elementwise(kernel, n, ad, bd, out, n));
    }

    /** How a two-input elementwise op is launched on device buffers of n floats. */
    private interface BinaryLaunch {
        void run(DeviceBuffer a, DeviceBuffer b, DeviceBuffer out, long n);
    }

    private Tensor binary(String op, String an, Tensor a, String bn, Tensor b, BinaryLaunch launch) {
        CudaTensor ad = f32(op, an, a);
        CudaTensor bd = f32(op, bn, b);
        ArgChecks.sameShape(op, an, a, bn, b);
        CudaTensor out = alloc(a.shape());
        launch.run(ad.buffer(), bd.buffer(), out.buffer(), a.numel());
        return out;
    }

    // ---- pointwise family (issue 17): activations, broadcasting arithmetic, softmax on our kernels (CudaPointwise) ----

    @Override public Tensor unary(Unary kind, Tensor x, float a, float b) { return CudaPointwise.unary(ops, this::alloc, kind, x, a, b); }

    @Override public Tensor unaryBackward(Unary kind, Tensor x, Tensor y, Tensor gradOut, float a, float b) {
        return CudaPointwise.unaryBackward(ops, this::alloc, kind, x, y, gradOut, a, b);
    }

    @Override public Tensor binary(Binary kind, Tensor a, Tensor b) { return CudaPointwise.binary(ops, this::alloc, kind, a, b); }

    @Override public Tensor binaryBackward(Binary kind, int operand, Tensor a, Tensor b, Tensor gradOut) {
        return CudaPointwise.binaryBackward(this, ops, this::alloc, kind, operand, a, b, gradOut);
    }

    @Override public Tensor softmax(Tensor x, int axis) { return CudaPointwise.softmax(ops, this::alloc, x, axis); }

    @Override public Tensor softmaxBackward(Tensor y, Tensor gradOut, int axis) { return CudaPointwise.softmaxBackward(ops, this::alloc, y, gradOut, axis); }

    // ---- fake quantisation (issue 21): nnc_fake_quantize_s8 and its straight-through backward (CudaFakeQuant) ----

    @Override public FakeQuantResult fakeQuantize(Tensor x, QParams spec) { return CudaFakeQuant.forward(this, ops, this::alloc, x, spec); }

    @Override public Tensor fakeQuantizeBackward(Tensor gradOut, FakeQuantMask inRange) {
        return CudaFakeQuant.backward(this, ops, this::alloc, gradOut, inRange);
    }

    // ---- int8 (issue 21): QTensor codes on the device (CudaCodes), ops on int8_codes.cu and gemm_s8.cu (CudaInt8Ops, CudaQGemm) ----
    private volatile CudaInt8Ops int8;
    private volatile CudaQGemm qgemm;

    private CudaInt8Ops int8() {
        if (int8 == null) synchronized (this) { if (int8 == null) { qgemm = new CudaQGemm(this, new CudaInt8Ops(this, ops)); int8 = qgemm.int8(); } }
        return int8;
    }

    private CudaQGemm qgemm() { int8(); return qgemm; }

    @Override public String int8Kernels() { return qgemm().name(); }

    /** Itself for its own kernels ({@link #deviceInt8Kernels}: the int8 ops are device-resident); host kernels are the host backends'. */
    @Override public Backend withInt8Kernels(Int8Kernels kernels) {
        if (kernels instanceof CudaInt8Kernels) return this;
        throw new UnsupportedOperationException("the cuda backend runs its int8 ops on its own kernels, not on " + (kernels == null ? null : kernels.name()));
    }

    @Override public QTensor quantize(Tensor x, QParams q) { return int8().quantize(x, q); }
    @Override public Tensor dequantize(QTensor x) { return int8().dequantize(x); }
    @Override public QTensor requantize(QTensor x, QParams q) { return int8().requantize(x, q); }
    @Override public QWeight prepareQWeight(byte[] codes, Shape shape, float[] scales, int groups) { return qgemm().prepare(codes, shape, scales, groups); }
    @Override public QTensor qconv2d(QTensor x, QWeight w, float[] bias, Conv2dSpec spec, boolean relu,
                                                            QParams out) {
        if (out == null) throw new IllegalArgumentException("qconv2d: output parameters are null (float output: qconv2dFloat)");
        return (QTensor) qgemm().conv(x, w, bias, spec, relu, out);
    }
    @Override public Tensor qconv2dFloat(QTensor x, QWeight w, float[] bias, Conv2dSpec spec, boolean relu) {
        return (Tensor) qgemm().conv(x, w, bias, spec, relu, null);
    }
    @Override public QTensor qlinear(QTensor x, QWeight w, float[] bias, boolean relu,
                                                            QParams out) {
        if (out == null) throw new IllegalArgumentException("qlinear: output parameters are null (float output: qlinearFloat)");
        return (QTensor) qgemm().linear(x, w, bias, relu, out);
    }
    @Override public Tensor qlinearFloat(QTensor x, QWeight w, float[] bias, boolean relu) {
        return (Tensor) qgemm().linear(x, w, bias, relu, null);
    }
    @Override public QTensor qmaxPool2d(QTensor x, Pool2dSpec spec) { return int8().maxPool2d(x, spec); }
    @Override public QTensor qglobalAvgPool(QTensor x, QParams out) { return int8().globalAvgPool(x, out); }
    @Override public QTensor qunary(Unary kind, QTensor x, float a, float b, QParams out) {
        return int8().unary(kind, x, a, b, out);
    }
    @Override public QTensor qbinary(Binary kind, QTensor a, QTensor b, QParams out) {
        return int8().binary(kind, a, b, out);
    }
    @Override public QTensor qbinaryConstant(Binary kind, QTensor x, float[] constant, Shape constShape, boolean constantFirst,
                                                                    QParams out) {
        return int8().binaryConstant(kind, x, constant, constShape, constantFirst, out);
    }
    @Override public QTensor qconcat(java.util.List<QTensor> parts, int axis, QParams out) {
        return int8().concat(parts, axis, out);
    }
    @Override public QTensor qreshape(QTensor x, Shape shape, QParams out) {
        return int8().reshape(x, shape, out);
    }

    // ---- loss ----

    @Override public LossResult softmaxCrossEntropy(Tensor logits, int[] labels) {
        String op = "softmaxCrossEntropy";
        CudaTensor ld = f32(op, "logits", logits);
        ArgChecks.labels(op, logits, labels);
        int n = logits.shape().dim(0), k = logits.shape().dim(1);
        CudaTensor grad = alloc(logits.shape());
        double[] rowLoss = new double[n];
        try (DeviceBuffer lab = memory.take(4L * n); DeviceBuffer losses = memory.take(8L * n)) {
            lab.write(labels);
            dnn.softmax().crossEntropy(n, k, ld.buffer(), lab, grad.buffer(), losses);
            losses.read(rowLoss);
        }
        double total = 0;
        for (double v : rowLoss) total += v; // row order, as the twin
        return new LossResult((float) (total / n), grad);
    }

    // ---- optimiser updates ----

    @Override public void sgdUpdate(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum, float weightDecay,
                                    boolean nesterov) {
        String op = "sgdUpdate";
        CudaTensor p = f32(op, "param", param);
        CudaTensor g = f32(op, "grad", grad);
        CudaTensor v = velocity == null ? null : f32(op, "velocity", velocity);
        ArgChecks.sgd(param, grad, velocity, lr, momentum, weightDecay, nesterov);
        long n = param.numel();
        // without velocity the kernel never touches its v argument; any valid pointer will do
        ops.elementwise("nnc_sgd_update", n, p.buffer(), g.buffer(), v == null ? p.buffer() : v.buffer(), n, lr, momentum,
                weightDecay, v == null ? 0 : 1, nesterov ? 1 : 0);
    }

    @Override public void adamUpdate(Tensor param, Tensor grad, Tensor m, Tensor v, int step, float lr, float beta1,
                                     float beta2, float eps, float weightDecay, boolean decoupled) {
        String op = decoupled ? "adamUpdate (AdamW)" : "adamUpdate";
        CudaTensor p = f32(op, "param", param);
        CudaTensor g = f32(op, "grad", grad);
        CudaTensor md = f32(op, "m", m);
        CudaTensor vd = f32(op, "v", v);
        ArgChecks.adam(op, param, grad, m, v, step, lr, beta1, beta2, eps, weightDecay);
        // the step-dependent scalars in double, as RefOptim.adam computes them
        double bc1 = 1.0 - Math.pow(beta1, step);
        double bc2Sqrt = Math.sqrt(1.0 - Math.pow(beta2, step));
        double stepSize = lr / bc1;
        long n = param.numel();
        ops.elementwise("nnc_adam_update", n, p.buffer(), g.buffer(), md.buffer(), vd.buffer(), n, lr, beta1, beta2, eps,
                weightDecay, decoupled ? 1 : 0, stepSize, bc2Sqrt);
    }

    /** Frees all device memory of this backend (open tensors become unusable); the CUDA context stays. */
    @Override public void close() {
        if (closed) return;
        closed = true;
        driver.synchronize(); // no kernel may still use a block we free
        dnn.close();
        memory.close();
    }

    @Override public String toString() { return "CudaBackend"; }
}

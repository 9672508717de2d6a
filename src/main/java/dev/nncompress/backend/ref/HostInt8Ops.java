package dev.nncompress.backend.ref;

import dev.nncompress.quant.QParams;
import dev.nncompress.quant.QuantArithmetic;
import dev.nncompress.backend.Backend;
import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.ConvGeometry;
import dev.nncompress.backend.GemmS8Epilogue;
import dev.nncompress.backend.GemmS8Output;
import dev.nncompress.backend.Int8OpChecks;
import dev.nncompress.backend.Int8Kernels;
import dev.nncompress.backend.Pool2dSpec;
import dev.nncompress.backend.QTensor;
import dev.nncompress.backend.QWeight;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

/**
 * The int8 ops of the host backends ({@link Backend}'s int8 block), over one {@link Int8Kernels}: the reference
 * backend runs them on the Java twin ({@link JavaInt8Kernels}), the CPU backend on our JNI kernels, so the two
 * share every line here and differ only where the kernels do (GEMM, conv, input quantisation, floor-mode max-pool,
 * NHWC to NCHW), which the kernels' own tests hold bit-exact. Codes live in {@link ByteTensor}s (channels-last for
 * rank 4); float results are the backend's own tensors. The elementwise, concat and pooling steps are
 * {@link CodeOps}/{@link Int8Depthwise}, the int8 engine's arithmetic (issue 17), unchanged. The ops on codes take
 * per-tensor activations; per-channel parameters are for {@link #quantize}/{@link #dequantize} (and weights).
 * This file: creation, conv/linear and pooling; {@link HostCodeOps}: the elementwise family, concat and reshape.
 */
public final class HostInt8Ops {
    private final Backend backend;
    private final Int8Kernels kernels;
    private final CodePool pool = new CodePool();
    final HostCodeOps codeOps = new HostCodeOps(this);

    public HostInt8Ops(Backend backend, Int8Kernels kernels) {
        this.backend = backend;
        this.kernels = kernels;
    }

    public Int8Kernels kernels() { return kernels; }

    Backend backend() { return backend; }

    public HostCodeOps codes() { return codeOps; }

    // ---- tensors ----

    /** A new code tensor of {@code shape} (contents undefined until the op writes them all). */
    ByteTensor alloc(Shape shape) { return new ByteTensor(backend, pool.take(shape.numel()), shape, pool); }

    QTensor wrap(ByteTensor codes, QParams q) { return new QTensor(codes, q); }

    /** x's codes, when this kind of backend holds them. */
    static byte[] data(String op, QTensor x) { return Int8OpChecks.codes(op, x, ByteTensor.class, "a host backend").data(); }

    // ---- quantize / dequantize ----

    /** Float values of logical shape {@code shape} (NCHW) to codes, rounding as {@code QuantArithmetic.quantizeS8}. */
    public QTensor quantize(float[] x, Shape shape, QParams q) {
        if (x == null || shape == null || q == null) throw new IllegalArgumentException("quantize: values, shape and params must not be null");
        if (x.length != shape.numel()) throw new IllegalArgumentException("quantize: " + x.length + " values for shape " + shape);
        ByteTensor y = alloc(shape);
        byte[] codes = y.data();
        int n = shape.rank() == 0 ? 1 : shape.dim(0);
        if (x.length == 0) return wrap(y, q);
        if (q.perTensor()) {
            int c = shape.rank() == 4 ? shape.dim(1) : 1;
            kernels.quantizeToNhwc(x, n, c, x.length / n / c, q.scale(), q.zeroPoint(), codes);
        } else {
            Int8OpChecks.axis("quantize", shape, q);
            byte[] nchw = QuantArithmetic.quantizeS8(x, q.scales(), q.zeroPoints(), q.scales().length, shape.sizeAfter(q.axis()));
            if (ByteTensor.transposed(shape)) nchw = CodeOps.transpose(nchw, n, shape.dim(1), shape.dim(2) * shape.dim(3));
            System.arraycopy(nchw, 0, codes, 0, nchw.length);
        }
        return wrap(y, q);
    }

    /** The codes' float values {@code (q - zp) * scale}, as a float tensor of the backend in logical (NCHW) order. */
    public Tensor dequantize(QTensor x) {
        byte[] d = data("dequantize", x);
        Shape s = x.shape();
        QParams q = x.params();
        float[] y;
        if (q.perTensor()) {
            y = new float[d.length];
            int n = s.rank() == 0 || d.length == 0 ? 1 : s.dim(0), per = d.length / n;
            float[] out = y;
            Par.forImages(n, b -> QuantArithmetic.dequantizeS8Range(d, b * per, (b + 1) * per, q.scale(), q.zeroPoint(), out));
            y = ByteTensor.logicalOrder(y, s);
        } else {
            byte[] nchw = nchwCodes(d, s);
            y = QuantArithmetic.dequantizeS8(nchw, q.scales(), q.zeroPoints(), q.scales().length, s.sizeAfter(q.axis()));
        }
        return backend.fromFloats(y, s);
    }

    /** The codes requantised to {@code q} (per tensor both), through a table of the 256 codes; a copy when the parameters agree. */
    public QTensor requantize(QTensor x, QParams q) {
        byte[] d = data("requantize", x);
        QParams p = Int8OpChecks.perTensor("requantize", x);
        Int8OpChecks.out("requantize", q);
        ByteTensor y = alloc(x.shape());
        if (p.sameAs(q)) System.arraycopy(d, 0, y.data(), 0, d.length);
        else CodeOps.lookup(d, CodeOps.requantTable(p.scale(), p.zeroPoint(), q.scale(), q.zeroPoint()), 1, d.length, y.data());
        return wrap(y, q);
    }

    /** Codes in NCHW order (a copy when stored channels-last). */
    byte[] nchwCodes(byte[] d, Shape s) {
        if (!ByteTensor.transposed(s)) return d;
        byte[] y = new byte[d.length];
        kernels.nhwcToNchw(d, s.dim(0), s.dim(2) * s.dim(3), s.dim(1), y);
        return y;
    }


    // ---- conv / linear with the fused requantising epilogue ----

    public QWeight prepareQWeight(byte[] codes, Shape shape, float[] scales, int groups) { return HostQWeight.of(kernels, codes, shape, scales, groups); }

    /**
     * int8 conv (plain, or depthwise with groups = input channels): int32 sums of {@code (x - zpX) * w}, then
     * {@code (float) acc * scaleX * scaleW[o] + bias[o]}, ReLU, and requantised to {@code out} (int8 out) or, with
     * {@code out} null, float NCHW (a last layer; plain convs only).
     */
    public QTensor conv2d(QTensor x, QWeight w, float[] bias, Conv2dSpec spec, boolean relu, QParams out) {
        if (out == null) throw new IllegalArgumentException("qconv2d: output parameters are null (float output: qconv2dFloat)");
        return (QTensor) conv(x, w, bias, spec, relu, out);
    }

    /** {@link #conv2d} with float NCHW output (a last layer; plain convs). */
    public Tensor conv2dFloat(QTensor x, QWeight w, float[] bias, Conv2dSpec spec, boolean relu) { return (Tensor) conv(x, w, bias, spec, relu, null); }

    public QTensor linear(QTensor x, QWeight w, float[] bias, boolean relu, QParams out) {
        if (out == null) throw new IllegalArgumentException("qlinear: output parameters are null (float output: qlinearFloat)");
        return (QTensor) linear0(x, w, bias, relu, out);
    }

    /** {@link #linear} with float output [n, o] (the logits). */
    public Tensor linearFloat(QTensor x, QWeight w, float[] bias, boolean relu) { return (Tensor) linear0(x, w, bias, relu, null); }

    /** {@link #conv2d} or, with {@code out} null, {@link #conv2dFloat}. */
    private Object conv(QTensor x, QWeight weight, float[] bias, Conv2dSpec spec, boolean relu, QParams out) {
        byte[] d = data("qconv2d", x);
        QParams qx = Int8OpChecks.perTensor("qconv2d", x);
        HostQWeight w = own("qconv2d", weight);
        Shape s = x.shape(), ws = w.shape();
        ConvGeometry g = Int8OpChecks.conv("qconv2d", s, w, bias, spec);
        Shape os = Shape.of(g.n(), g.o(), g.oh(), g.ow());
        if (w.depthwise() != null) {
            Int8OpChecks.depthwise(g, w.depthwise().channels(), out);
            ByteTensor y = alloc(os);
            w.depthwise().run(d, g.n(), g.h(), g.w(), qx.zeroPoint(), spec, g.oh(), g.ow(), w.combinedScales(qx.scale()), bias, relu, out.scale(), out.zeroPoint(), y.data());
            return wrap(y, out);
        }
        Int8OpChecks.gemmConv("qconv2d", s, ws, g);
        int m = Math.multiplyExact(g.n(), g.p());
        boolean pointwise = g.kh() == 1 && g.kw() == 1 && spec.equals(Conv2dSpec.of(1, 0)); // a 1x1 conv's NHWC input is its A already
        return gemm(d, m, w, epilogue(bias, relu, out, qx, w), os, out, pointwise ? null : g, (byte) qx.zeroPoint());
    }

    /**
     * {@link #conv2d} then {@link #maxPool2d}, in one kernel call ({@code Int8Kernels.convMaxPool}: the native kernels
     * pool in the conv's epilogue) where the conv is a plain GEMM conv and the pool's windows tile its output
     * ({@code Int8Kernels.poolTilesOutput}); otherwise the two ops. Bit-identical to the two ops either way.
     */
    public QTensor conv2dMaxPool(QTensor x, QWeight weight, float[] bias, Conv2dSpec spec, boolean relu, QParams out, Pool2dSpec pool) {
        HostQWeight w = own("qconv2dMaxPool", weight);
        data("qconv2dMaxPool", x); // a null input refused before its shape is read
        // unfused, the conv's output goes through this backend's pooled code arrays, not a temporary of the kernels'
        if (out == null || pool == null || !Int8Kernels.poolTilesOutput(pool) || w.depthwise() != null || spec == null || !spec.plain()
                || !kernels.fusesConvMaxPool(Int8OpChecks.conv("qconv2dMaxPool", x.shape(), w, bias, spec), w.packed())) {
            try (QTensor y = conv2d(x, weight, bias, spec, relu, out)) {
                return maxPool2d(y, pool);
            }
        }
        byte[] d = data("qconv2dMaxPool", x);
        QParams qx = Int8OpChecks.perTensor("qconv2dMaxPool", x);
        ConvGeometry g = Int8OpChecks.conv("qconv2dMaxPool", x.shape(), w, bias, spec);
        Int8OpChecks.gemmConv("qconv2dMaxPool", x.shape(), w.shape(), g);
        if (pool.kernelH() > g.oh() || pool.kernelW() > g.ow()) {
            throw new IllegalArgumentException("qconv2dMaxPool: pool window " + pool.kernelH() + "x" + pool.kernelW() + " larger than the conv output " + g.oh() + "x" + g.ow());
        }
        ByteTensor y = alloc(Shape.of(g.n(), g.o(), pool.outH(g.oh()), pool.outW(g.ow())));
        kernels.convMaxPool(d, g, (byte) qx.zeroPoint(), w.packed(), epilogue(bias, relu, out, qx, w), pool, y.data());
        return wrap(y, out);
    }

    /** int8 Linear {@code x [n, f] W^T}, epilogue as {@link #conv}. */
    private Object linear0(QTensor x, QWeight weight, float[] bias, boolean relu, QParams out) {
        byte[] d = data("qlinear", x);
        QParams qx = Int8OpChecks.perTensor("qlinear", x);
        HostQWeight w = own("qlinear", weight);
        Shape s = x.shape(), ws = w.shape();
        Int8OpChecks.linear(s, ws, bias);
        return gemm(d, s.dim(0), w, epilogue(bias, relu, out, qx, w), Shape.of(s.dim(0), ws.dim(0)), out, null, (byte) 0);
    }

    private static GemmS8Epilogue epilogue(float[] bias, boolean relu, QParams out, QParams qx, HostQWeight w) {
        Int8OpChecks.gemmOut(out);
        return w.epilogue(qx.scale(), qx.zeroPoint(), bias, relu, out, scales -> (out == null ? GemmS8Epilogue.f32(scales, bias, relu)
                : GemmS8Epilogue.s8(scales, bias, relu, out.scale(), out.zeroPoint())).withActivationZeroPoint(qx.zeroPoint(), w.packed().rowSums()));
    }

    /** The GEMM (or, with {@code g}, the im2col conv) into codes of shape {@code os} or float NCHW. */
    private Object gemm(byte[] a, int m, HostQWeight w, GemmS8Epilogue e, Shape os, QParams out, ConvGeometry g, byte pad) {
        int size = Math.multiplyExact(m, w.outChannels()); // the batch's output: too large is an exception, never a wrapped size
        if (out != null) {
            ByteTensor y = alloc(os);
            if (g != null) kernels.conv(a, g, pad, w.packed(), e, GemmS8Output.ofS8(y.data()));
            else kernels.gemm(a, m, w.packed(), e, GemmS8Output.ofS8(y.data()));
            return wrap(y, out);
        }
        float[] f = new float[size];
        if (g != null) kernels.conv(a, g, pad, w.packed(), e, GemmS8Output.ofF32(f));
        else kernels.gemm(a, m, w.packed(), e, GemmS8Output.ofF32(f));
        f = ByteTensor.logicalOrder(f, os);
        return backend.fromFloats(f, os);
    }

    private HostQWeight own(String op, QWeight w) {
        if (!(w instanceof HostQWeight h) || h.kernels() != kernels) throw new IllegalArgumentException(op + ": the weight was prepared by another backend or other kernels");
        return h;
    }

    // ---- pooling ----

    /** Max-pool on codes, any window form; the output keeps the input's parameters (quantisation is monotone). */
    public QTensor maxPool2d(QTensor x, Pool2dSpec s) {
        byte[] d = data("qmaxPool2d", x);
        Int8OpChecks.perTensor("qmaxPool2d", x);
        Shape is = x.shape(), os = Int8OpChecks.maxPool(is, s);
        int n = is.dim(0), c = is.dim(1), h = is.dim(2), w = is.dim(3), oh = os.dim(2), ow = os.dim(3);
        ByteTensor y = alloc(os);
        if (s.symmetricFloor()) kernels.maxPool(d, n, h, w, c, s, y.data());
        else CodeOps.maxPool(d, n, h, w, c, s, oh, ow, y.data());
        return wrap(y, x.params());
    }

    /** Global average pool [n, c, h, w] to [n, c, 1, 1]: int32 sums of {@code q - zp}, mean in double, requantised to {@code out}. */
    public QTensor globalAvgPool(QTensor x, QParams out) {
        byte[] d = data("qglobalAvgPool", x);
        QParams q = Int8OpChecks.perTensor("qglobalAvgPool", x);
        Shape is = x.shape();
        ByteTensor y = alloc(Int8OpChecks.globalAvgPool(is, out));
        CodeOps.globalAvgPool(d, is.dim(0), is.dim(2) * is.dim(3), is.dim(1), q.scale(), q.zeroPoint(), out.scale(), out.zeroPoint(), y.data());
        return wrap(y, out);
    }
}

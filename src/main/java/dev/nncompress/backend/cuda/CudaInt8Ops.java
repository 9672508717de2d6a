package dev.nncompress.backend.cuda;

import dev.nncompress.quant.QParams;
import dev.nncompress.backend.Binary;
import dev.nncompress.backend.Int8OpChecks;
import dev.nncompress.backend.Pool2dSpec;
import dev.nncompress.backend.QTensor;
import dev.nncompress.backend.Unary;
import dev.nncompress.backend.cuda.driver.CudaDriver;
import dev.nncompress.backend.cuda.driver.DeviceBuffer;
import dev.nncompress.backend.cuda.kernels.CudaOps;
import dev.nncompress.backend.cuda.kernels.Int8Codes;
import dev.nncompress.backend.ref.HostCodeOps;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.tensor.DType;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static dev.nncompress.backend.cuda.CudaCodes.transposed;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoDAsync;

/**
 * The int8 ops of the {@link CudaBackend} (issue 21) on device codes ({@link CudaCodes}, channels-last for rank 4):
 * everything but the GEMMs ({@link CudaQGemm}), on {@code cuda-kernels/int8_codes.cu} and the float kernels, so that
 * an int8 model's activations stay on the device from the input's quantisation to the logits. Bit for bit the
 * reference backend's ops ({@code HostInt8Ops}/{@code HostCodeOps}): per-element code tables are the twin's own
 * ({@link HostCodeOps#unaryTable}, {@link HostCodeOps#requantTable}), uploaded once per set of parameters; the
 * arithmetic with broadcasting is the twin's per element (dequantise, the float op of {@code Backend.binary},
 * which is bit-identical on every backend, requantise). Ops on codes take per-tensor activations; per-channel
 * parameters are for quantize/dequantize (their vectors go up per call, a few bytes).
 */
final class CudaInt8Ops {
    /** Device tables held at most (256 codes each); beyond, a table goes up per call. */
    private static final int MAX_TABLES = 256;

    private final CudaBackend be;
    private final CudaOps ops;
    private final Int8Codes k;
    private final Map<TableKey, DeviceBuffer> tables = new ConcurrentHashMap<>();
    private volatile ReferenceBackend host;

    /** A code table's parameters: an activation (kind non-null) or a requantisation. */
    private record TableKey(Unary kind, float a, float b, float inScale, int inZp, float outScale, int outZp) {}

    CudaInt8Ops(CudaBackend be, CudaOps ops) {
        this.be = be;
        this.ops = ops;
        this.k = new Int8Codes(ops);
    }

    Int8Codes kernels() { return k; }

    CudaOps ops() { return ops; }

    // ---- tensors and checks ----

    CudaCodes alloc(Shape shape) { return CudaCodes.allocate(be, shape); }

    static CudaCodes codes(String op, QTensor x) { return Int8OpChecks.codes(op, x, CudaCodes.class, "the cuda backend"); }

    private static int images(Shape s) { return s.rank() == 0 || s.numel() == 0 ? 1 : s.dim(0); }

    /** Channels and positions per image of the NCHW [n, c, hw] view (c = 1 below rank 4). */
    private static int channels(Shape s) { return s.rank() == 4 ? s.dim(1) : 1; }

    private static long positions(Shape s) { return s.numel() == 0 ? 0 : (long) s.numel() / images(s) / channels(s); }

    /** Codes in the backend's pool for intermediate steps, closed by the caller once the launches that use them are issued. */
    private DeviceBuffer scratch(long bytes) { return be.memory().take(Math.max(1, bytes)); }

    // ---- quantize / dequantize / requantize ----

    QTensor quantize(Tensor x, QParams q) {
        CudaTensor xd = CudaChecks.f32("quantize", "x", x);
        if (q == null) throw new IllegalArgumentException("quantize: params must not be null");
        Shape s = x.shape();
        CudaCodes y = alloc(s);
        if (s.numel() == 0) return new QTensor(y, q);
        int n = images(s);
        if (q.perTensor()) {
            k.quantizeNhwc(xd.buffer(), y.buffer(), n, channels(s), positions(s), q.scale(), q.zeroPoint());
            return new QTensor(y, q);
        }
        Int8OpChecks.axis("quantize", s, q);
        try (DeviceBuffer sc = vector(q.scales()); DeviceBuffer zp = vector(q.zeroPoints());
             DeviceBuffer nchw = transposed(s) ? scratch(s.numel()) : null) {
            ops.elementwise("nnc_quantize_s8", s.numel(), xd.buffer(), nchw != null ? nchw : y.buffer(), sc, zp, (long) s.numel(), q.scales().length,
                    (long) s.sizeAfter(q.axis()));
            if (nchw != null) k.transpose(nchw, y.buffer(), n, s.dim(1), s.dim(2) * s.dim(3));
        }
        return new QTensor(y, q);
    }

    Tensor dequantize(QTensor x) {
        CudaCodes d = codes("dequantize", x);
        Shape s = x.shape();
        QParams q = x.params();
        CudaTensor y = CudaTensor.allocate(be, s, DType.F32);
        if (s.numel() == 0) return y;
        int n = images(s);
        if (q.perTensor()) {
            k.dequantizeNchw(d.buffer(), y.buffer(), n, channels(s), positions(s), q.scale(), q.zeroPoint());
            return y;
        }
        Int8OpChecks.axis("dequantize", s, q);
        try (DeviceBuffer sc = vector(q.scales()); DeviceBuffer zp = vector(q.zeroPoints());
             DeviceBuffer nchw = transposed(s) ? scratch(s.numel()) : null) {
            if (nchw != null) k.transpose(d.buffer(), nchw, n, s.dim(2) * s.dim(3), s.dim(1));
            ops.elementwise("nnc_dequantize_s8", s.numel(), nchw != null ? nchw : d.buffer(), y.buffer(), sc, zp, (long) s.numel(), q.scales().length,
                    (long) s.sizeAfter(q.axis()));
        }
        return y;
    }

    QTensor requantize(QTensor x, QParams q) {
        CudaCodes d = codes("requantize", x);
        QParams p = Int8OpChecks.perTensor("requantize", x);
        Int8OpChecks.out("requantize", q);
        CudaCodes y = alloc(x.shape());
        if (p.sameAs(q)) copy(d.buffer(), y.buffer(), x.shape().numel());
        else lookup(d.buffer(), y.buffer(), x.shape().numel(), null, 0, 0, p, q);
        return new QTensor(y, q);
    }

    private DeviceBuffer vector(float[] v) {
        DeviceBuffer b = scratch(4L * v.length);
        b.write(v);
        return b;
    }

    private DeviceBuffer vector(int[] v) {
        DeviceBuffer b = scratch(4L * v.length);
        b.write(v);
        return b;
    }

    private void copy(DeviceBuffer src, DeviceBuffer dst, long bytes) {
        if (bytes == 0) return;
        CudaDriver driver = CudaDriver.get();
        driver.makeCurrent();
        cuMemcpyDtoDAsync(dst.pointer(), src.pointer(), bytes, driver.stream());
    }

    /** {@code y = table[x + 128]} over n codes, the table of activation {@code kind} (null: a requantisation) from {@code in} to {@code out}. */
    private void lookup(DeviceBuffer x, DeviceBuffer y, long n, Unary kind, float a, float b, QParams in, QParams out) {
        if (n == 0) return;
        TableKey key = new TableKey(kind, a, b, in.scale(), in.zeroPoint(), out.scale(), out.zeroPoint());
        DeviceBuffer t = tables.get(key);
        if (t != null) {
            k.lookup(x, y, t, n);
            return;
        }
        byte[] codes = kind == null ? HostCodeOps.requantTable(in, out) : HostCodeOps.unaryTable(kind, a, b, in, out);
        DeviceBuffer fresh = scratch(256);
        fresh.write(codes);
        k.lookup(x, y, fresh, n);
        if (tables.size() < MAX_TABLES && tables.putIfAbsent(key, fresh) == null) return;
        fresh.close(); // issued launches still read it first: our work runs in order on one stream
    }

    // ---- pooling ----

    QTensor maxPool2d(QTensor x, Pool2dSpec s) {
        CudaCodes d = codes("qmaxPool2d", x);
        Int8OpChecks.perTensor("qmaxPool2d", x);
        Shape is = x.shape();
        CudaCodes y = alloc(Int8OpChecks.maxPool(is, s));
        k.maxPool(d.buffer(), y.buffer(), is.dim(0), is.dim(2), is.dim(3), is.dim(1), s);
        return new QTensor(y, x.params());
    }

    QTensor globalAvgPool(QTensor x, QParams out) {
        CudaCodes d = codes("qglobalAvgPool", x);
        QParams q = Int8OpChecks.perTensor("qglobalAvgPool", x);
        Shape is = x.shape();
        CudaCodes y = alloc(Int8OpChecks.globalAvgPool(is, out));
        k.globalAvgPool(d.buffer(), y.buffer(), is.dim(0), is.dim(2) * is.dim(3), is.dim(1), q.scale(), q.zeroPoint(), out.scale(), out.zeroPoint());
        return new QTensor(y, out);
    }

    // ---- elementwise, concat, reshape ----

    QTensor unary(Unary kind, QTensor x, float a, float b, QParams out) {
        CudaCodes d = codes("qunary", x);
        QParams q = Int8OpChecks.perTensor("qunary", x);
        Int8OpChecks.out("qunary", out);
        if (kind == null) throw new IllegalArgumentException("qunary: kind is null");
        CudaCodes y = alloc(x.shape());
        lookup(d.buffer(), y.buffer(), x.shape().numel(), kind, a, b, q, out);
        return new QTensor(y, out);
    }

    /** Per element as the twin: both operands dequantised, the float op with broadcasting, requantised. */
    QTensor binary(Binary kind, QTensor a, QTensor b, QParams out) {
        codes("qbinary", a);
        codes("qbinary", b);
        Int8OpChecks.perTensor("qbinary", a);
        Int8OpChecks.perTensor("qbinary", b);
        Int8OpChecks.out("qbinary", out);
        Int8OpChecks.binary(kind, a.shape(), b.shape());
        try (Tensor fa = dequantize(a); Tensor fb = dequantize(b); Tensor v = be.binary(kind, fa, fb)) {
            return quantize(v, out);
        }
    }

    QTensor binaryConstant(Binary kind, QTensor x, float[] constant, Shape constShape, boolean constantFirst, QParams out) {
        codes("qbinaryConstant", x);
        Int8OpChecks.perTensor("qbinaryConstant", x);
        Int8OpChecks.out("qbinaryConstant", out);
        Shape aligned = Int8OpChecks.constant(kind, x.shape(), constant, constShape);
        try (Tensor fx = dequantize(x); Tensor c = be.fromFloats(constant, aligned);
             Tensor v = constantFirst ? be.binary(kind, c, fx) : be.binary(kind, fx, c)) {
            return quantize(v, out);
        }
    }

    /** Along a per-sample axis: each part (requantised through its table unless it has {@code out}'s parameters) copied into its block of rows. */
    QTensor concat(List<QTensor> parts, int axis, QParams out) {
        Shape os = Int8OpChecks.concat(parts, axis, out), first = parts.get(0).shape();
        for (QTensor p : parts) codes("qconcat", p);
        CudaCodes y = alloc(os);
        // the storage axis: a rank-4 tensor's codes are [n, h, w, c]
        int storageAxis = first.rank() != 4 ? axis : axis == 1 ? 3 : axis - 1;
        long outer = 1;
        Shape storage = first.rank() == 4 ? Shape.of(first.dim(0), first.dim(2), first.dim(3), first.dim(1)) : first;
        for (int d = 0; d < storageAxis; d++) outer *= storage.dim(d);
        long rowLen = outer == 0 ? 0 : os.numel() / outer, at = 0;
        for (QTensor p : parts) {
            long block = outer == 0 ? 0 : p.shape().numel() / outer;
            DeviceBuffer src = codes("qconcat", p).buffer();
            try (DeviceBuffer t = p.params().sameAs(out) ? null : scratch(p.shape().numel())) {
                if (t != null) lookup(src, t, p.shape().numel(), null, 0, 0, p.params(), out);
                k.copyBlock(t != null ? t : src, y.buffer(), outer, block, rowLen, at);
            }
            at += block;
        }
        return new QTensor(y, out);
    }

    /** The codes in NCHW order under {@code shape} (channels-last again where the new shape is rank 4), requantised to {@code out}. */
    QTensor reshape(QTensor x, Shape shape, QParams out) {
        CudaCodes d = codes("qreshape", x);
        QParams q = x.params();
        out = Int8OpChecks.reshape(x, shape, out);
        Shape xs = x.shape();
        CudaCodes y = alloc(shape);
        boolean same = q.sameAs(out), fromNhwc = transposed(xs), toNhwc = transposed(shape);
        long n = shape.numel();
        List<DeviceBuffer> temps = new ArrayList<>();
        try {
            DeviceBuffer src = d.buffer();
            if (fromNhwc) { // NHWC [n, hw, c] to NCHW
                DeviceBuffer dst = !toNhwc && same ? y.buffer() : temp(temps, n);
                k.transpose(src, dst, xs.dim(0), xs.dim(2) * xs.dim(3), xs.dim(1));
                src = dst;
            }
            if (toNhwc) { // NCHW [n, c, hw] to NHWC
                DeviceBuffer dst = same ? y.buffer() : temp(temps, n);
                k.transpose(src, dst, shape.dim(0), shape.dim(1), shape.dim(2) * shape.dim(3));
                src = dst;
            }
            if (!same) lookup(src, y.buffer(), n, null, 0, 0, q, out);
            else if (!fromNhwc && !toNhwc) copy(src, y.buffer(), n);
        } finally {
            for (DeviceBuffer t : temps) t.close();
        }
        return new QTensor(y, out);
    }

    private DeviceBuffer temp(List<DeviceBuffer> temps, long bytes) {
        DeviceBuffer b = scratch(bytes);
        temps.add(b);
        return b;
    }

    /** The reference backend whose prepareQWeight checks a weight before it goes up (the one place of those checks). */
    ReferenceBackend host() {
        ReferenceBackend h = host;
        if (h == null) {
            synchronized (this) {
                if (host == null) host = new ReferenceBackend();
                h = host;
            }
        }
        return h;
    }
}

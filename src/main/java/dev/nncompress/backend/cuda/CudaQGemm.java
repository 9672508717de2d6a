package dev.nncompress.backend.cuda;

import dev.nncompress.quant.QParams;
import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.ConvGeometry;
import dev.nncompress.backend.GemmS8Epilogue;
import dev.nncompress.backend.Int8OpChecks;
import dev.nncompress.backend.QTensor;
import dev.nncompress.backend.QWeight;
import dev.nncompress.backend.cuda.driver.CudaDriver;
import dev.nncompress.backend.cuda.driver.DeviceBuffer;
import dev.nncompress.backend.cuda.kernels.GemmS8;
import dev.nncompress.backend.ref.ReferenceGemmS8;
import dev.nncompress.tensor.DType;
import dev.nncompress.tensor.Shape;

import java.util.Locale;

import static dev.nncompress.backend.cuda.CudaInt8Ops.codes;
import static dev.nncompress.backend.Int8OpChecks.perTensor;

/**
 * The CUDA backend's int8 conv and Linear (issue 21) on device codes: a conv's input is turned into im2col rows on
 * the device ({@code nnc_q8_im2col_nhwc}; a 1x1 stride-1 conv's NHWC input is its rows already) and multiplied by
 * the prepared weight with {@code gemm_s8.cu}'s fused epilogue (scale, bias, ReLU, requantisation), whose output,
 * one row per position, is the next layer's NHWC codes. Float output (the logits) stays a device tensor; a conv's is
 * transposed to NCHW on the device. Bit for bit the reference backend's ops ({@code HostInt8Ops}), as the GEMM is
 * {@code ReferenceGemmS8}'s and im2col the Java twin's. Depthwise convs run {@code nnc_q8_depthwise_nhwc} (twin
 * {@code Int8Depthwise}) on the same device codes and the same cached epilogue vectors.
 */
final class CudaQGemm {
    private final CudaBackend be;
    private final CudaInt8Ops int8;
    private final GemmS8.Variant variant;

    CudaQGemm(CudaBackend be, CudaInt8Ops int8) {
        this.be = be;
        this.int8 = int8;
        this.variant = GemmS8.defaultVariant(CudaDriver.get().info());
    }

    CudaInt8Ops int8() { return int8; }

    /** "cuda-tensor_core" or "cuda-dp4a": what the int8 GEMMs run on, as {@code CudaInt8Kernels.name()}. */
    String name() { return "cuda-" + variant.name().toLowerCase(Locale.ROOT); }

    /**
     * Checked by the reference backend's prepareQWeight (the one place of those checks); the codes then go up once,
     * transposed on the device: a plain weight's to [O, kH, kW, C] (the im2col rows' (ky, kx, ch) order), a depthwise
     * weight's [O, 1, kH, kW] to taps [kH * kW, O] (each tap's output channels contiguous, as the kernel reads them).
     */
    QWeight prepare(byte[] codes, Shape shape, float[] scales, int groups) {
        int8.host().prepareQWeight(codes, shape, scales, groups);
        int o = shape.dim(0), kk = shape.numel() / o;
        DeviceBuffer rows = be.memory().take(Math.max(1, codes.length));
        try (DeviceBuffer oihw = shape.rank() == 4 ? be.memory().take(Math.max(1, codes.length)) : null) {
            (oihw != null ? oihw : rows).write(codes);
            if (oihw != null && groups > 1) int8.kernels().transpose(oihw, rows, 1, o, kk);
            else if (oihw != null) int8.kernels().transpose(oihw, rows, o, shape.dim(1), shape.dim(2) * shape.dim(3));
        } catch (RuntimeException e) {
            rows.close();
            throw e;
        }
        return new CudaQWeight(shape, groups, scales.clone(), be, rows, groups > 1 ? null : ReferenceGemmS8.weightRowSums(codes, o, kk));
    }

    /** int8 conv, requantised to {@code out} or, with {@code out} null, float NCHW (plain convs only). */
    Object conv(QTensor x, QWeight weight, float[] bias, Conv2dSpec spec, boolean relu, QParams out) {
        CudaCodes d = codes("qconv2d", x);
        QParams qx = perTensor("qconv2d", x);
        CudaQWeight w = own("qconv2d", weight);
        Shape s = x.shape(), ws = w.shape();
        ConvGeometry g = Int8OpChecks.conv("qconv2d", s, w, bias, spec);
        if (w.depthwise()) return depthwise(d, qx, w, bias, relu, out, g);
        Int8OpChecks.gemmConv("qconv2d", s, ws, g);
        int m = Math.multiplyExact(g.n(), g.p());
        Shape os = Shape.of(g.n(), g.o(), g.oh(), g.ow());
        boolean pointwise = g.kh() == 1 && g.kw() == 1 && spec.equals(Conv2dSpec.of(1, 0)); // a 1x1 conv's NHWC input is its rows already
        try (DeviceBuffer cols = pointwise ? null : be.memory().take(Math.max(1, Math.multiplyExact((long) m, g.ckk())))) {
            if (cols != null) int8.kernels().im2col(d.buffer(), cols, g, qx.zeroPoint());
            return gemm(cols != null ? cols : d.buffer(), m, w, bias, relu, qx, out, os);
        }
    }

    /** A depthwise conv ({@code nnc_q8_depthwise_nhwc}), int8 codes out; the epilogue has no zero-point term (the kernel subtracts it per tap). */
    private QTensor depthwise(CudaCodes x, QParams qx, CudaQWeight w, float[] bias, boolean relu, QParams out, ConvGeometry g) {
        Int8OpChecks.depthwise(g, w.groups(), out);
        GemmS8.DeviceEpilogue e = w.epilogue(qx.scale(), qx.zeroPoint(), bias, relu, out, be.memory(),
                scales -> GemmS8Epilogue.s8(scales, bias, relu, out.scale(), out.zeroPoint()));
        CudaCodes y = int8.alloc(Shape.of(g.n(), g.o(), g.oh(), g.ow()));
        int8.kernels().depthwise(x.buffer(), w.rows(), y.buffer(), g, qx.zeroPoint(), e);
        return new QTensor(y, out);
    }

    /** int8 Linear {@code x [n, f] W^T}, requantised to {@code out} or, with {@code out} null, float [n, o]. */
    Object linear(QTensor x, QWeight weight, float[] bias, boolean relu, QParams out) {
        CudaCodes d = codes("qlinear", x);
        QParams qx = perTensor("qlinear", x);
        CudaQWeight w = own("qlinear", weight);
        Shape s = x.shape(), ws = w.shape();
        Int8OpChecks.linear(s, ws, bias);
        return gemm(d.buffer(), s.dim(0), w, bias, relu, qx, out, Shape.of(s.dim(0), ws.dim(0)));
    }

    /** The GEMM of rows {@code a} [m, K] with the weight into codes of shape {@code os} or float (NCHW for rank 4). */
    private Object gemm(DeviceBuffer a, int m, CudaQWeight w, float[] bias, boolean relu, QParams qx, QParams out, Shape os) {
        Int8OpChecks.gemmOut(out);
        int n = w.outChannels(), kk = w.shape().numel() / n;
        Math.multiplyExact(m, n); // the batch's output: too large is an exception, never a wrapped size
        GemmS8.DeviceEpilogue e = w.epilogue(qx.scale(), qx.zeroPoint(), bias, relu, out, be.memory(), scales -> (out == null ? GemmS8Epilogue.f32(scales, bias, relu)
                : GemmS8Epilogue.s8(scales, bias, relu, out.scale(), out.zeroPoint())).withActivationZeroPoint(qx.zeroPoint(), w.rowSums()));
        if (out != null) {
            CudaCodes y = int8.alloc(os);
            if (m > 0) GemmS8.launch(variant, a, w.rows(), y.buffer(), m, n, kk, e);
            return new QTensor(y, out);
        }
        CudaTensor f = CudaTensor.allocate(be, os, DType.F32);
        if (m == 0) return f;
        if (os.rank() != 4) {
            GemmS8.launch(variant, a, w.rows(), f.buffer(), m, n, kk, e);
            return f;
        }
        try (DeviceBuffer nhwc = be.memory().take(4L * m * n)) {
            GemmS8.launch(variant, a, w.rows(), nhwc, m, n, kk, e);
            int8.kernels().transposeFloats(nhwc, f.buffer(), os.dim(0), os.dim(2) * os.dim(3), n);
        }
        return f;
    }

    private CudaQWeight own(String op, QWeight w) {
        if (!(w instanceof CudaQWeight c) || c.backend() != be) throw new IllegalArgumentException(op + ": the weight was prepared by another backend");
        return c;
    }
}

package dev.nncompress.backend.cuda.kernels;

import dev.nncompress.backend.ConvGeometry;
import dev.nncompress.backend.GemmS8Epilogue;
import dev.nncompress.backend.Pool2dSpec;
import dev.nncompress.backend.cuda.driver.DeviceBuffer;

/**
 * The launches of {@code cuda-kernels/int8_codes.cu}: the int8 ops' data movement and code arithmetic on device
 * codes (rank 4 channels-last), each with its C signature spelled out once. Semantics and CPU twins are listed in
 * the kernel file; {@code CudaInt8OpsGpuTest} holds the ops built on them bit-exact against the reference backend.
 * Empty work launches nothing.
 */
public final class Int8Codes {
    private final CudaOps ops;

    public Int8Codes(CudaOps ops) { this.ops = ops; }

    /** Floats NCHW [n, c, hw] to codes NHWC [n, hw, c], per tensor. */
    public void quantizeNhwc(DeviceBuffer x, DeviceBuffer q, long n, int c, long hw, float scale, int zeroPoint) {
        ops.elementwise("nnc_q8_quantize_nhwc", n * c * hw, x, q, n, c, hw, scale, zeroPoint);
    }

    /** Codes NHWC [n, hw, c] to floats NCHW [n, c, hw], {@code (q - zp) * scale}. */
    public void dequantizeNchw(DeviceBuffer q, DeviceBuffer x, long n, int c, long hw, float scale, int zeroPoint) {
        ops.elementwise("nnc_q8_dequantize_nchw", n * c * hw, q, x, n, c, hw, scale, zeroPoint);
    }

    /** Codes [n, a, b] to [n, b, a]. */
    public void transpose(DeviceBuffer x, DeviceBuffer y, long n, int a, int b) {
        ops.elementwise("nnc_q8_transpose", n * a * b, x, y, n, a, b);
    }

    /** Floats [n, a, b] to [n, b, a]. */
    public void transposeFloats(DeviceBuffer x, DeviceBuffer y, long n, int a, int b) {
        ops.elementwise("nnc_q8_transpose_f32", n * a * b, x, y, n, a, b);
    }

    /** NHWC codes to im2col rows [n * oh * ow, kh * kw * c] in (ky, kx, ch) order, {@code pad} in the padding. */
    public void im2col(DeviceBuffer x, DeviceBuffer cols, ConvGeometry g, int pad) {
        var s = g.spec();
        ops.elementwise("nnc_q8_im2col_nhwc", (long) g.n() * g.p() * g.ckk(), x, cols, g.n(), g.h(), g.w(), g.c(), g.kh(), g.kw(),
                s.strideH(), s.strideW(), s.padH(), s.padW(), s.dilationH(), s.dilationW(), g.oh(), g.ow(), pad);
    }

    /** Max-pool of NHWC codes [n, h, w, c] into [n, oh, ow, c], window positions outside the input skipped. */
    public void maxPool(DeviceBuffer x, DeviceBuffer y, int n, int h, int w, int c, Pool2dSpec s) {
        int oh = s.outH(h), ow = s.outW(w);
        ops.elementwise("nnc_q8_max_pool_nhwc", (long) n * oh * ow * c, x, y, n, h, w, c, oh, ow, s.kernelH(), s.kernelW(),
                s.strideH(), s.strideW(), s.padH(), s.padW());
    }

    /** Global average pool of NHWC codes [n, hw, c] into [n, c], requantised. */
    public void globalAvgPool(DeviceBuffer x, DeviceBuffer y, int n, int hw, int c, float scale, int zeroPoint, float outScale, int outZeroPoint) {
        ops.elementwise("nnc_q8_global_avg_pool", (long) n * c, x, y, n, hw, c, scale, zeroPoint, outScale, outZeroPoint);
    }

    /** {@code y[i] = table[x[i] + 128]} for {@code n} codes; the table is 256 codes on the device. */
    public void lookup(DeviceBuffer x, DeviceBuffer y, DeviceBuffer table, long n) {
        ops.elementwise("nnc_q8_lookup", n, x, y, table, n);
    }

    /** {@code rows x cols} codes of {@code src} into rows of {@code dstStride} codes of {@code dst}, from column {@code dstOffset}. */
    public void copyBlock(DeviceBuffer src, DeviceBuffer dst, long rows, long cols, long dstStride, long dstOffset) {
        ops.elementwise("nnc_q8_copy_block", rows * cols, src, dst, rows, cols, dstStride, dstOffset);
    }

    /**
     * Depthwise conv of NHWC codes [n, h, w, c] (groups = c, weight taps [kh * kw, o] with o = c * m) into NHWC codes
     * [n, oh, ow, o], input zero point {@code zpX}, with the epilogue's scale, bias, ReLU and requantisation (mode S8,
     * no activation zero-point term: the kernel subtracts {@code zpX} per tap). The geometry is the caller's checked
     * {@link ConvGeometry}; the buffers' sizes and the epilogue's channels are checked here, before the launch.
     */
    public void depthwise(DeviceBuffer x, DeviceBuffer taps, DeviceBuffer y, ConvGeometry g, int zpX, GemmS8.DeviceEpilogue e) {
        GemmS8Epilogue h = e.host();
        if (g.groups() != g.c() || g.cPerGroup() != 1 || h.mode() != GemmS8Epilogue.Mode.S8 || h.zpA() != 0) {
            throw new IllegalArgumentException("q8 depthwise: needs groups = channels and an int8 epilogue without the zero-point term, got "
                    + g.groups() + " groups for " + g.c() + " channels, " + h.mode());
        }
        h.checkChannels(g.o());
        need(x, (long) g.n() * g.c() * g.h() * g.w(), "input");
        need(taps, (long) g.o() * g.kh() * g.kw(), "weight");
        need(y, (long) g.n() * g.o() * g.oh() * g.ow(), "output");
        var s = g.spec();
        ops.elementwise("nnc_q8_depthwise_nhwc", (long) g.n() * g.o() * g.oh() * g.ow(), x, taps, y, e.scale(), e.bias(), g.n(), g.h(), g.w(), g.c(),
                g.oPerGroup(), g.kh(), g.kw(), s.strideH(), s.strideW(), s.padH(), s.padW(), s.dilationH(), s.dilationW(), g.oh(), g.ow(), zpX,
                h.relu() ? 1 : 0, h.outScale(), h.outZp());
    }

    private static void need(DeviceBuffer buf, long bytes, String what) {
        if (buf.bytes() < bytes) throw new IllegalArgumentException("q8 depthwise: " + what + " has " + buf.bytes() + " bytes, needs " + bytes);
    }
}

package dev.nncompress.backend.cuda.kernels;

import dev.nncompress.backend.ConvGeometry;
import dev.nncompress.backend.cuda.CudaBackend;
import dev.nncompress.backend.cuda.driver.DeviceBuffer;

/**
 * Launches the depthwise kernels of {@code cuda-kernels/conv_grouped.cu} (groups == C, any channel
 * multiplier, stride, dilation and padding): forward, input gradient (a gather: deterministic) and
 * weight gradient (one block per weight element, double sums in a fixed tree). Both {@link CudaConv}
 * and cuDNN's fallback reach it through {@link CudaConv}; bias stays with {@link CudaBackend}.
 * CPU twin: {@code RefConv} (ReferenceBackend.conv2d / conv2dBackward with groups == C).
 */
public final class CudaDepthwiseConv {
    public static final String FWD = "nnc_conv_depthwise_fwd", BWD_INPUT = "nnc_conv_depthwise_bwd_input", BWD_WEIGHT = "nnc_conv_depthwise_bwd_weight";

    private final CudaOps ops;

    public CudaDepthwiseConv(CudaOps ops) { this.ops = ops; }

    /** y = depthwise conv(x, w), overwriting y. */
    public void forward(ConvGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer y) {
        ops.elementwise(FWD, g.outputSize(), args(g, x, w, y));
    }

    /** dw (always) and dx (when not null), overwriting both. */
    public void backward(ConvGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer gy, DeviceBuffer dx, DeviceBuffer dw) {
        if (dx != null) ops.elementwise(BWD_INPUT, g.inputSize(), args(g, gy, w, dx));
        // one block of CudaOps.BLOCK (a power of two, as block_sum needs) per weight element; the geometry
        // bounds O*kH*kW below 2^31, grid.x's limit
        ops.perChannel(BWD_WEIGHT, (int) g.weightSize(), args(g, x, gy, dw));
    }

    /** The three buffers (device pointers), then the fifteen ints of NNC_DW_GEO_PARAMS in the C order. */
    public static Object[] args(ConvGeometry g, Object a, Object b, Object out) {
        return new Object[] {a, b, out, g.n(), g.c(), g.h(), g.w(), g.o(), g.kh(), g.kw(), g.oh(), g.ow(), g.spec().strideH(), g.spec().strideW(),
            g.spec().padH(), g.spec().padW(), g.spec().dilationH(), g.spec().dilationW()};
    }
}

package dev.nncompress.backend.cuda;

import dev.nncompress.backend.ArgChecks;
import dev.nncompress.backend.Conv2dGrads;
import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.ConvGeometry;
import dev.nncompress.backend.cuda.driver.CudaDriver;
import dev.nncompress.backend.cuda.driver.DeviceBuffer;
import dev.nncompress.backend.cuda.driver.DeviceMemoryPool;
import dev.nncompress.backend.cuda.kernels.CudaConv;
import dev.nncompress.backend.cuda.kernels.CudaDepthwiseConv;
import dev.nncompress.backend.cuda.kernels.CudaOps;
import dev.nncompress.backend.cuda.kernels.OwnBlas;
import dev.nncompress.backend.cuda.vendor.BytedecoCuda;
import dev.nncompress.backend.cuda.vendor.CudnnConv;
import dev.nncompress.backend.cuda.vendor.CudnnHandle;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 17's convolutions on the GPU against their twin, ReferenceBackend's RefConv (double sums):
 * conv_grouped.cu's depthwise kernels launched directly ({@link CudaDepthwiseConv}), our im2col route
 * with groups, dilation and asymmetric padding ({@link CudaConv}), and cuDNN 9 with its group count and
 * dilation set (symmetric padding; asymmetric padding must fall back to ours). Tolerance 1e-5 of the
 * largest |reference| per tensor (float sums of at most a few hundred products on the GPU).
 * Skips with the reason without a GPU (or, for the cuDNN case, without cuDNN 9).
 */
@Tag("gpu")
class ConvGroupedGpuTest {
    static final ReferenceBackend REF = new ReferenceBackend();

    /** n, c, h, w, o, kh, kw and the spec (strideH, strideW, top, left, bottom, right, dilationH, dilationW, groups). */
    record Case(int n, int c, int h, int w, int o, int kh, int kw, Conv2dSpec spec) {}

    static final Case[] DEPTHWISE = {
        new Case(3, 5, 13, 11, 5, 3, 3, new Conv2dSpec(1, 1, 1, 1, 1, 1, 1, 1, 5)),
        new Case(2, 4, 9, 7, 12, 3, 2, new Conv2dSpec(2, 1, 1, 0, 2, 1, 2, 1, 4)),   // multiplier 3, strided, dilated, asymmetric
        new Case(2, 8, 10, 10, 8, 3, 3, new Conv2dSpec(2, 2, 0, 0, 1, 1, 1, 1, 8)),  // stride 2, SAME_UPPER-like padding
        new Case(1, 3, 5, 5, 3, 5, 5, new Conv2dSpec(1, 1, 2, 2, 2, 2, 1, 1, 3)),    // window as wide as the padded input
        new Case(4, 33, 14, 14, 33, 3, 3, new Conv2dSpec(1, 1, 1, 1, 1, 1, 1, 1, 33)), // many blocks of the grid-stride loops
    };

    static final Case[] GROUPED = {
        new Case(2, 6, 7, 7, 9, 3, 3, new Conv2dSpec(1, 1, 1, 1, 1, 1, 1, 1, 3)),
        new Case(2, 4, 8, 8, 6, 1, 1, new Conv2dSpec(1, 1, 0, 0, 0, 0, 1, 1, 2)),    // grouped 1x1: the direct (no im2col) path
        new Case(2, 6, 6, 6, 4, 3, 3, new Conv2dSpec(1, 1, 2, 1, 0, 1, 1, 2, 2)),    // grouped, dilated, asymmetric
        new Case(2, 3, 9, 9, 4, 3, 3, new Conv2dSpec(1, 1, 2, 2, 2, 2, 2, 2, 1)),    // dilated dense
        new Case(2, 3, 6, 7, 4, 2, 2, new Conv2dSpec(1, 1, 0, 0, 1, 1, 1, 1, 1)),    // asymmetric dense
    };

    @Test
    void depthwiseKernelsMatchTheirTwin() {
        CudaDriver d = Gpu.driverOrSkip();
        CudaDepthwiseConv k = new CudaDepthwiseConv(new CudaOps(d));
        Random rnd = new Random(17);
        for (Case c : DEPTHWISE) {
            check(c, rnd, "depthwise kernels", (g, x, w, y) -> k.forward(g, x, w, y), (g, x, w, gy, dx, dw) -> k.backward(g, x, w, gy, dx, dw));
        }
    }

    @Test
    void ourRouteMatchesTheReference() {
        CudaDriver d = Gpu.driverOrSkip();
        try (DeviceMemoryPool pool = new DeviceMemoryPool()) {
            CudaOps ops = new CudaOps(d);
            CudaConv conv = new CudaConv(ops, new OwnBlas(ops), pool);
            Random rnd = new Random(18);
            for (Case[] cases : new Case[][] {DEPTHWISE, GROUPED}) {
                for (Case c : cases) check(c, rnd, "CudaConv", conv::convForward, conv::convBackward);
            }
        }
    }

    @Test
    void cudnnTakesGroupsAndDilationAndLeavesAsymmetricPaddingToOurs() {
        CudaDriver d = Gpu.driverOrSkip();
        String why = BytedecoCuda.load(CudnnHandle.PRESET);
        Assumptions.assumeTrue(why == null, () -> "cuDNN unavailable: " + why);
        try (DeviceMemoryPool pool = new DeviceMemoryPool()) {
            CudaOps ops = new CudaOps(d);
            try (CudnnConv cudnn = new CudnnConv(new CudnnHandle(d), pool, new CudaConv(ops, new OwnBlas(ops), pool))) {
                Random rnd = new Random(19);
                for (Case[] cases : new Case[][] {DEPTHWISE, GROUPED}) {
                    for (Case c : cases) {
                        check(c, rnd, "CudnnConv", cudnn::convForward, cudnn::convBackward);
                        ConvGeometry g = ConvGeometry.of(c.n, c.c, c.h, c.w, c.o, c.kh, c.kw, c.spec);
                        String route = cudnn.route(g);
                        if (c.spec.symmetricPads()) assertFalse(route.contains("fallback"), c + ": " + route);
                        else assertTrue(route.contains("asymmetric padding"), c + ": " + route);
                    }
                }
            }
        }
    }

    interface Forward { void run(ConvGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer y); }

    interface Backward { void run(ConvGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer gy, DeviceBuffer dx, DeviceBuffer dw); }

    static void check(Case c, Random rnd, String who, Forward fwd, Backward bwd) {
        float[] xv = VendorBlasGpuTest.random(rnd, c.n * c.c * c.h * c.w);
        float[] wv = VendorBlasGpuTest.random(rnd, c.o * (c.c / c.spec.groups()) * c.kh * c.kw);
        Tensor x = REF.fromFloats(xv, Shape.of(c.n, c.c, c.h, c.w));
        Tensor w = REF.fromFloats(wv, Shape.of(c.o, c.c / c.spec.groups(), c.kh, c.kw));
        ConvGeometry g = ArgChecks.conv("test", x, w, c.spec);
        Tensor y = REF.conv2d(x, w, null, c.spec);
        float[] gyv = VendorBlasGpuTest.random(rnd, y.numel());
        Conv2dGrads grads = REF.conv2dBackward(x, w, REF.fromFloats(gyv, y.shape()), c.spec, false, true);
        String what = who + " " + c;
        try (DeviceBuffer dx = DeviceBuffer.of(xv); DeviceBuffer dw = DeviceBuffer.of(wv); DeviceBuffer dgy = DeviceBuffer.of(gyv);
             DeviceBuffer dy = DeviceBuffer.allocate(4L * y.numel()); DeviceBuffer gx = DeviceBuffer.allocate(4L * xv.length);
             DeviceBuffer gw = DeviceBuffer.allocate(4L * wv.length)) {
            fwd.run(g, dx, dw, dy);
            VendorConvGpuTest.near(what + " forward", y.toFloatArray(), dy.toFloats());
            bwd.run(g, dx, dw, dgy, gx, gw);
            VendorConvGpuTest.near(what + " backward data", grads.input().toFloatArray(), gx.toFloats());
            VendorConvGpuTest.near(what + " backward filter", grads.weight().toFloatArray(), gw.toFloats());
            bwd.run(g, dx, dw, dgy, null, gw); // weight gradient only
            VendorConvGpuTest.near(what + " backward filter, no dx", grads.weight().toFloatArray(), gw.toFloats());
        }
    }
}

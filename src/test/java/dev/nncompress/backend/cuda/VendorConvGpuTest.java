package dev.nncompress.backend.cuda;

import dev.nncompress.backend.ArgChecks;
import dev.nncompress.backend.Conv2dGrads;
import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.ConvGeometry;
import dev.nncompress.backend.cuda.driver.CudaDriver;
import dev.nncompress.backend.cuda.driver.DeviceBuffer;
import dev.nncompress.backend.cuda.driver.DeviceMemoryPool;
import dev.nncompress.backend.cuda.kernels.CudaConv;
import dev.nncompress.backend.cuda.kernels.CudaOps;
import dev.nncompress.backend.cuda.kernels.Dnn;
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

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * cuDNN's convolution (forward, backward data, backward filter) and our im2col route against the
 * ReferenceBackend (double accumulation) on odd shapes: non-square kernels and images, stride 2,
 * asymmetric padding, a 1x1 conv (our direct path), one channel in. Tolerance: 1e-5 of the largest
 * |reference| per tensor (FP32 FMA math on both routes, no TF32; cuDNN's algorithm may sum in another
 * order). Also checks that cuDNN found a qualifying algorithm for each shape, so the comparison is
 * not silently our route twice. Skips with the reason without a GPU or without cuDNN 9.
 */
@Tag("gpu")
public class VendorConvGpuTest {
    static final ReferenceBackend REF = new ReferenceBackend();

    // n, c, h, w, o, kh, kw, strideH, strideW, padH, padW
    static final int[][] SHAPES = {
            {3, 5, 13, 11, 7, 3, 3, 1, 1, 1, 1},
            {2, 3, 17, 9, 4, 5, 3, 2, 2, 2, 1},
            {5, 16, 7, 7, 9, 1, 1, 1, 1, 0, 0},
            {4, 8, 10, 10, 6, 3, 3, 2, 2, 0, 0},
            {2, 1, 28, 28, 32, 5, 5, 1, 1, 2, 2},
    };

    @Test
    void ourIm2colRouteMatchesTheReference() {
        CudaDriver d = Gpu.driverOrSkip();
        try (DeviceMemoryPool pool = new DeviceMemoryPool()) {
            CudaOps ops = new CudaOps(d);
            check(new CudaConv(ops, new OwnBlas(ops), pool), null);
        }
    }

    @Test
    void cudnnMatchesTheReference() {
        CudaDriver d = Gpu.driverOrSkip();
        String why = BytedecoCuda.load(CudnnHandle.PRESET);
        Assumptions.assumeTrue(why == null, () -> "cuDNN unavailable: " + why);
        try (DeviceMemoryPool pool = new DeviceMemoryPool()) {
            CudaOps ops = new CudaOps(d);
            try (CudnnConv cudnn = new CudnnConv(new CudnnHandle(d), pool, new CudaConv(ops, new OwnBlas(ops), pool))) {
                check(cudnn, cudnn::route);
            }
        }
    }

    /** {@code route} (null for our route) says which algorithms a vendor chose, so a silent fallback fails. */
    public static void check(Dnn.Conv dnn, java.util.function.Function<ConvGeometry, String> route) {
        Random rnd = new Random(5);
        for (int[] s : SHAPES) {
            Conv2dSpec spec = new Conv2dSpec(s[7], s[8], s[9], s[10]);
            float[] xv = VendorBlasGpuTest.random(rnd, s[0] * s[1] * s[2] * s[3]);
            float[] wv = VendorBlasGpuTest.random(rnd, s[4] * s[1] * s[5] * s[6]);
            Tensor x = REF.fromFloats(xv, Shape.of(s[0], s[1], s[2], s[3]));
            Tensor w = REF.fromFloats(wv, Shape.of(s[4], s[1], s[5], s[6]));
            ConvGeometry g = ArgChecks.conv("test", x, w, spec);
            Tensor y = REF.conv2d(x, w, null, spec);
            float[] gyv = VendorBlasGpuTest.random(rnd, y.numel());
            Conv2dGrads grads = REF.conv2dBackward(x, w, REF.fromFloats(gyv, y.shape()), spec, false, true);
            String what = dnn.getClass().getSimpleName() + " " + java.util.Arrays.toString(s);
            try (DeviceBuffer dx = DeviceBuffer.of(xv); DeviceBuffer dw = DeviceBuffer.of(wv); DeviceBuffer dgy = DeviceBuffer.of(gyv);
                 DeviceBuffer dy = DeviceBuffer.allocate(4L * y.numel()); DeviceBuffer gx = DeviceBuffer.allocate(4L * xv.length);
                 DeviceBuffer gw = DeviceBuffer.allocate(4L * wv.length)) {
                dnn.convForward(g, dx, dw, dy);
                near(what + " forward", y.toFloatArray(), dy.toFloats());
                dnn.convBackward(g, dx, dw, dgy, gx, gw);
                near(what + " backward data", grads.input().toFloatArray(), gx.toFloats());
                near(what + " backward filter", grads.weight().toFloatArray(), gw.toFloats());
                dnn.convBackward(g, dx, dw, dgy, null, gw); // weight gradient only (first layers)
                near(what + " backward filter, no dx", grads.weight().toFloatArray(), gw.toFloats());
            }
            if (route != null) {
                String r = route.apply(g);
                assertTrue(!r.contains("fallback"), what + ": " + r);
            }
        }
    }

    static void near(String what, float[] want, float[] got) {
        double mag = 0;
        for (float v : want) mag = Math.max(mag, Math.abs(v));
        double bound = 1e-5 * Math.max(mag, 1e-30);
        for (int i = 0; i < want.length; i++) {
            if (!(Math.abs(got[i] - want[i]) <= bound)) {
                throw new AssertionError(what + ": element " + i + " is " + got[i] + ", reference " + want[i] + " (bound " + bound + ")");
            }
        }
    }
}

package dev.nncompress.backend.cuda;

import dev.nncompress.quant.QParams;
import dev.nncompress.backend.FakeQuantChecks;
import dev.nncompress.backend.FakeQuantMask;
import dev.nncompress.backend.FakeQuantResult;
import dev.nncompress.backend.cuda.driver.DeviceBuffer;
import dev.nncompress.backend.cuda.kernels.CudaOps;
import dev.nncompress.tensor.DType;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.function.BiFunction;

import static dev.nncompress.backend.cuda.CudaChecks.f32;

/**
 * Fake quantisation on the CUDA backend: cuda-kernels/quantize.cu's {@code nnc_fake_quantize_s8} (per tensor or per
 * channel) and {@code nnc_fake_quantize_s8_backward}, twins {@code QuantArithmetic.fakeQuantizeS8} and its backward. The
 * values and the mask (an I8 device tensor) stay on the device; only the spec's scales and zero points go up, a few
 * bytes per call, through the backend's memory pool.
 */
final class CudaFakeQuant {
    static final String FORWARD = "nnc_fake_quantize_s8", BACKWARD = "nnc_fake_quantize_s8_backward";

    private CudaFakeQuant() {}

    static FakeQuantResult forward(CudaBackend be, CudaOps ops, BiFunction<Shape, DType, CudaTensor> alloc, Tensor x, QParams spec) {
        CudaTensor xd = f32("fakeQuantize", "x", x);
        int[] l = FakeQuantChecks.layout("fakeQuantize", x, spec);
        CudaTensor y = alloc.apply(x.shape(), DType.F32);
        CudaTensor mask = alloc.apply(x.shape(), DType.I8);
        long n = x.numel();
        if (n > 0) {
            try (DeviceBuffer scales = be.memory().take(4L * l[0]); DeviceBuffer zeroPoints = be.memory().take(4L * l[0])) {
                scales.write(spec.scales());
                zeroPoints.write(spec.s8ZeroPoints());
                ops.elementwise(FORWARD, n, xd.buffer(), y.buffer(), mask.buffer(), scales, zeroPoints, n, l[0], (long) l[1]);
            }
        }
        return new FakeQuantResult(y, new FakeQuantMask(x.shape(), be, mask, mask::close));
    }

    static Tensor backward(CudaBackend be, CudaOps ops, BiFunction<Shape, DType, CudaTensor> alloc, Tensor gradOut, FakeQuantMask inRange) {
        CudaTensor gd = f32("fakeQuantizeBackward", "gradOut", gradOut);
        CudaTensor mask = (CudaTensor) FakeQuantChecks.backward("fakeQuantizeBackward", be, gradOut, inRange);
        CudaTensor dx = alloc.apply(gradOut.shape(), DType.F32);
        long n = gradOut.numel();
        ops.elementwise(BACKWARD, n, gd.buffer(), mask.buffer(), dx.buffer(), n);
        return dx;
    }
}

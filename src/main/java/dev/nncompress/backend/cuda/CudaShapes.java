package dev.nncompress.backend.cuda;

import dev.nncompress.backend.ArgChecks;
import dev.nncompress.backend.ConcatGeometry;
import dev.nncompress.backend.ReduceGeometry;
import dev.nncompress.backend.cuda.driver.DeviceBuffer;
import dev.nncompress.backend.cuda.kernels.CudaOps;
import dev.nncompress.tensor.DType;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

import static dev.nncompress.backend.cuda.CudaChecks.f32;

/**
 * Concat, split and the mean over consecutive dims on our kernels (cuda-kernels/shape.cu; twins in
 * ReferenceBackend): one nnc_shape_copy_block launch per part in either direction, one launch per mean.
 * Stateless: {@link CudaBackend} makes one per call.
 */
final class CudaShapes {
    private final CudaBackend backend;
    private final CudaOps ops;

    CudaShapes(CudaBackend backend, CudaOps ops) {
        this.backend = backend;
        this.ops = ops;
    }

    private CudaTensor alloc(Shape s) {
        backend.checkOpen();
        return CudaTensor.allocate(backend, s, DType.F32);
    }

    /** nnc_shape_copy_block: rows x cols floats from src (row stride, offset) into dst (row stride, offset). */
    private void copyBlock(DeviceBuffer src, int srcStride, int srcOffset, DeviceBuffer dst, int dstStride, int dstOffset, int rows, int cols) {
        ops.elementwise("nnc_shape_copy_block", (long) rows * cols, src, dst, (long) rows, (long) cols, (long) srcStride, (long) srcOffset,
                (long) dstStride, (long) dstOffset);
    }

    Tensor concat(List<Tensor> parts, int axis) {
        if (parts == null) throw new IllegalArgumentException("concat: parts is null");
        DeviceBuffer[] in = new DeviceBuffer[parts.size()];
        for (int i = 0; i < in.length; i++) in[i] = f32("concat", "part " + i, parts.get(i)).buffer();
        ConcatGeometry g = ConcatGeometry.of("concat", parts.stream().map(Tensor::shape).toList(), axis);
        CudaTensor out = alloc(g.output());
        for (int i = 0; i < g.parts(); i++) copyBlock(in[i], g.inner(i), 0, out.buffer(), g.rowLength(), g.offset(i), g.outer(), g.inner(i));
        return out;
    }

    List<Tensor> split(Tensor x, int axis, int[] sizes) {
        DeviceBuffer in = f32("split", "input", x).buffer();
        ConcatGeometry g = ConcatGeometry.split("split", x.shape(), axis, sizes);
        List<Tensor> out = new ArrayList<>();
        for (int i = 0; i < g.parts(); i++) {
            CudaTensor p = alloc(g.part(i));
            copyBlock(in, g.rowLength(), g.offset(i), p.buffer(), g.inner(i), 0, g.outer(), g.inner(i));
            out.add(p);
        }
        return out;
    }

    Tensor reduceMean(Tensor x, int first, int count) {
        DeviceBuffer in = f32("reduceMean", "input", x).buffer();
        ReduceGeometry g = ReduceGeometry.of("reduceMean", x.shape(), first, count);
        CudaTensor out = alloc(g.output());
        ops.elementwise("nnc_shape_mean", (long) g.outer() * g.inner(), in, out.buffer(), (long) g.outer(), (long) g.reduce(), (long) g.inner());
        return out;
    }

    Tensor reduceMeanBackward(Shape inputShape, Tensor gradOut, int first, int count) {
        String op = "reduceMeanBackward";
        DeviceBuffer gy = f32(op, "gradOut", gradOut).buffer();
        ReduceGeometry g = ReduceGeometry.of(op, inputShape, first, count);
        ArgChecks.expectShape(op, "gradOut", gradOut, g.output());
        CudaTensor dx = alloc(inputShape);
        ops.elementwise("nnc_shape_mean_backward", (long) inputShape.numel(), gy, dx.buffer(), (long) g.outer(), (long) g.reduce(), (long) g.inner());
        return dx;
    }
}

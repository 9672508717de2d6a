package dev.nncompress.backend.cuda.vendor;

import dev.nncompress.backend.PoolGeometry;
import dev.nncompress.backend.Pool2dSpec;
import dev.nncompress.backend.cuda.driver.DeviceBuffer;
import dev.nncompress.backend.cuda.driver.DeviceMemoryPool;
import dev.nncompress.backend.cuda.kernels.Dnn;
import org.bytedeco.cuda.cudnn.cudnnPoolingStruct;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;

import static dev.nncompress.backend.cuda.vendor.BytedecoCuda.floats;
import static dev.nncompress.backend.cuda.vendor.CudnnHandle.check;
import static org.bytedeco.cuda.global.cudnn.CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING;
import static org.bytedeco.cuda.global.cudnn.CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING;
import static org.bytedeco.cuda.global.cudnn.CUDNN_POOLING_MAX;
import static org.bytedeco.cuda.global.cudnn.CUDNN_PROPAGATE_NAN;
import static org.bytedeco.cuda.global.cudnn.cudnnCreatePoolingDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnDestroyPoolingDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnGetPooling2dForwardOutputDim;
import static org.bytedeco.cuda.global.cudnn.cudnnPoolingBackward;
import static org.bytedeco.cuda.global.cudnn.cudnnPoolingForward;
import static org.bytedeco.cuda.global.cudnn.cudnnSetPooling2dDescriptor;

/**
 * {@link Dnn.Pooling} on cuDNN 9's legacy pooling API (cudnnPoolingForward / cudnnPoolingBackward, in
 * its ops library), the N*C planes described as N = planes, C = 1. Our semantics map onto it as:
 * max = CUDNN_POOLING_MAX with CUDNN_PROPAGATE_NAN (a NaN wins, as in ours; the maximum's value does not
 * depend on which tied position cuDNN picks); average = CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING, or
 * _INCLUDE_PADDING with count_include_pad (in floor mode with symmetric padding every window lies inside
 * the padded input, so cuDNN's divisor, the window size, is the contract's); windows in floor mode,
 * checked against cudnnGetPooling2dForwardOutputDim on every call (a mismatch, never expected, runs ours).
 * On {@code fallback} (our pool.cu) instead, see {@link #fallbackReason}: max-pool backward always,
 * because the contract sends a tied maximum's gradient to the first position in scan order and cuDNN
 * promises no particular one (ties are common after a ReLU; CUDNN_POOLING_MAX_DETERMINISTIC is only
 * deterministic, not first-in-order); asymmetric padding and ceil mode, which its descriptor cannot say;
 * and empty tensors or tensors beyond cuDNN's int sizes.
 */
public final class CudnnPooling extends CudnnPart<Dnn.Pooling> implements Dnn.Pooling {
    private final DeviceMemoryPool memory;
    private final cudnnPoolingStruct pool = new cudnnPoolingStruct();
    private final cudnnTensorStruct x = tensor(), y = tensor();

    CudnnPooling(CudnnHandle cudnn, DeviceMemoryPool memory, Dnn.Pooling fallback) {
        super(cudnn, fallback);
        this.memory = memory;
        check("cudnnCreatePoolingDescriptor", cudnnCreatePoolingDescriptor(pool));
    }

    /** Null when cuDNN runs this case, else why ours does (a pure rule, tested without a GPU). */
    public static String fallbackReason(Dnn.PoolMode mode, boolean backward, PoolGeometry g) {
        if (mode == Dnn.PoolMode.MAX && backward) {
            return "max-pool backward: the contract sends a tie's gradient to the first maximum in scan order, cuDNN to any one";
        }
        if (!g.spec().symmetricFloor()) {
            return "asymmetric padding or ceil mode: cuDNN's pooling descriptor has one padding per axis and floor-mode windows";
        }
        return CudnnHandle.sizeReason((long) g.planes() * g.h() * g.w(), (long) g.planes() * g.oh() * g.ow());
    }

    @Override public void forward(Dnn.PoolMode mode, PoolGeometry g, DeviceBuffer in, DeviceBuffer out) {
        if (fallbackReason(mode, false, g) != null || !describe(mode, g)) {
            fallback.forward(mode, g, in, out);
            return;
        }
        check("cudnnPoolingForward", cudnnPoolingForward(cudnn.handle, pool, cudnn.one, x, floats(in), cudnn.zero, y, floats(out)));
    }

    @Override public void backward(Dnn.PoolMode mode, PoolGeometry g, DeviceBuffer in, DeviceBuffer gy, DeviceBuffer dx) {
        if (fallbackReason(mode, true, g) != null || !describe(mode, g)) {
            fallback.backward(mode, g, in, gy, dx);
            return;
        }
        // Only AVERAGE gets here. cuDNN's call also takes the forward input and output, on which an
        // average's gradient does not depend and which our contract does not pass: gy stands in for the
        // output (same shape, read only) and a scratch block for the input (never dx, which is written).
        try (DeviceBuffer scratch = memory.take(4L * g.planes() * g.h() * g.w())) {
            check("cudnnPoolingBackward", cudnnPoolingBackward(cudnn.handle, pool, cudnn.one, y, floats(gy), y, floats(gy), x,
                    floats(scratch), cudnn.zero, x, floats(dx)));
        }
    }

    /** Sets the descriptors for {@code g}; false when cuDNN's output size would differ from ours. */
    private boolean describe(Dnn.PoolMode mode, PoolGeometry g) {
        cudnn.driver.makeCurrent();
        Pool2dSpec s = g.spec();
        check("cudnnSetPooling2dDescriptor", cudnnSetPooling2dDescriptor(pool,
                mode == Dnn.PoolMode.MAX ? CUDNN_POOLING_MAX
                        : s.countIncludePad() ? CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING : CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING,
                CUDNN_PROPAGATE_NAN,
                s.kernelH(), s.kernelW(), s.padH(), s.padW(), s.strideH(), s.strideW()));
        CudnnHandle.shape(x, g.planes(), 1, g.h(), g.w());
        int[] n = new int[1], c = new int[1], h = new int[1], w = new int[1];
        check("cudnnGetPooling2dForwardOutputDim", cudnnGetPooling2dForwardOutputDim(pool, x, n, c, h, w));
        if (n[0] != g.planes() || c[0] != 1 || h[0] != g.oh() || w[0] != g.ow()) return false;
        CudnnHandle.shape(y, g.planes(), 1, g.oh(), g.ow());
        return true;
    }

    @Override public void destroyOthers() { cudnnDestroyPoolingDescriptor(pool); }
}

package dev.nncompress.backend.cuda.vendor;

import dev.nncompress.backend.cuda.driver.DeviceBuffer;
import dev.nncompress.backend.cuda.kernels.Dnn;

import org.bytedeco.cuda.cudnn.cudnnActivationStruct;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;

import static dev.nncompress.backend.cuda.vendor.BytedecoCuda.floats;
import static dev.nncompress.backend.cuda.vendor.CudnnHandle.check;
import static org.bytedeco.cuda.global.cudnn.CUDNN_ACTIVATION_RELU;
import static org.bytedeco.cuda.global.cudnn.CUDNN_PROPAGATE_NAN;
import static org.bytedeco.cuda.global.cudnn.cudnnActivationBackward;
import static org.bytedeco.cuda.global.cudnn.cudnnActivationForward;
import static org.bytedeco.cuda.global.cudnn.cudnnCreateActivationDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnDestroyActivationDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnSetActivationDescriptor;

/**
 * {@link Dnn.Activation} on cuDNN 9's legacy activation API: CUDNN_ACTIVATION_RELU with
 * CUDNN_PROPAGATE_NAN (a NaN input stays NaN, as Math.max and our kernel keep it), the n values as
 * one [1, 1, 1, n] tensor. cuDNN's backward takes the forward input x besides the output y; the
 * contract passes only y, which stands in for x because relu(y) = y: y > 0 exactly where x > 0.
 * Whether -0 comes out as -0 or +0 may differ from ours (equal as floats). Empty tensors and tensors
 * beyond cuDNN's int sizes run on {@code fallback} (our elementwise.cu).
 */
public final class CudnnActivation extends CudnnPart<Dnn.Activation> implements Dnn.Activation {
    private final cudnnActivationStruct relu = new cudnnActivationStruct();
    private final cudnnTensorStruct t = tensor();

    CudnnActivation(CudnnHandle cudnn, Dnn.Activation fallback) {
        super(cudnn, fallback);
        check("cudnnCreateActivationDescriptor", cudnnCreateActivationDescriptor(relu));
        check("cudnnSetActivationDescriptor", cudnnSetActivationDescriptor(relu, CUDNN_ACTIVATION_RELU, CUDNN_PROPAGATE_NAN, 0.0));
    }

    /** Null when cuDNN runs n values, else why ours does. */
    public static String fallbackReason(long n) { return CudnnHandle.sizeReason(n); }

    @Override public void relu(long n, DeviceBuffer x, DeviceBuffer y) {
        if (!describe(n)) {
            fallback.relu(n, x, y);
            return;
        }
        check("cudnnActivationForward", cudnnActivationForward(cudnn.handle, relu, cudnn.one, t, floats(x), cudnn.zero, t, floats(y)));
    }

    @Override public void reluBackward(long n, DeviceBuffer y, DeviceBuffer gy, DeviceBuffer dx) {
        if (!describe(n)) {
            fallback.reluBackward(n, y, gy, dx);
            return;
        }
        check("cudnnActivationBackward", cudnnActivationBackward(cudnn.handle, relu, cudnn.one, t, floats(y), t, floats(gy), t, floats(y),
                cudnn.zero, t, floats(dx)));
    }

    private boolean describe(long n) {
        if (fallbackReason(n) != null) return false;
        cudnn.driver.makeCurrent();
        CudnnHandle.shape(t, 1, 1, 1, (int) n);
        return true;
    }

    @Override public void destroyOthers() { cudnnDestroyActivationDescriptor(relu); }
}

package dev.nncompress.backend.cuda.vendor;

import dev.nncompress.backend.cuda.driver.DeviceBuffer;
import dev.nncompress.backend.cuda.kernels.CudaOps;
import dev.nncompress.backend.cuda.kernels.Dnn;

import org.bytedeco.cuda.cudnn.cudnnTensorStruct;

import static dev.nncompress.backend.cuda.vendor.BytedecoCuda.floats;
import static dev.nncompress.backend.cuda.vendor.CudnnHandle.check;
import static org.bytedeco.cuda.global.cudnn.CUDNN_SOFTMAX_LOG;
import static org.bytedeco.cuda.global.cudnn.CUDNN_SOFTMAX_MODE_INSTANCE;
import static org.bytedeco.cuda.global.cudnn.cudnnSoftmaxForward;

/**
 * {@link Dnn.Softmax} with cuDNN 9's legacy softmax (cudnnSoftmaxForward, CUDNN_SOFTMAX_MODE_INSTANCE
 * over the [n, k, 1, 1] logits) doing the softmax and our nnc_softmax_xent_from_log the loss and
 * gradient from it, in the gradient's buffer. CUDNN_SOFTMAX_LOG rather than probabilities: -log p of a
 * tiny p loses its digits (or becomes infinite) once p is rounded to float, log p keeps them. Float
 * inside cuDNN where our fused kernel works in double: agreement to ~1e-6 relative. Empty tensors and
 * tensors beyond cuDNN's int sizes run on {@code fallback} (our fused nnc_softmax_xent).
 */
public final class CudnnSoftmax extends CudnnPart<Dnn.Softmax> implements Dnn.Softmax {
    private final CudaOps ops;
    private final cudnnTensorStruct t = tensor();

    CudnnSoftmax(CudnnHandle cudnn, CudaOps ops, Dnn.Softmax fallback) {
        super(cudnn, fallback);
        this.ops = ops;
    }

    /** Null when cuDNN runs the softmax of [n, k] logits, else why ours does. */
    public static String fallbackReason(int n, int k) { return CudnnHandle.sizeReason((long) n * k); }

    @Override public void crossEntropy(int n, int k, DeviceBuffer logits, DeviceBuffer labels, DeviceBuffer grad, DeviceBuffer rowLoss) {
        if (fallbackReason(n, k) != null) {
            fallback.crossEntropy(n, k, logits, labels, grad, rowLoss);
            return;
        }
        cudnn.driver.makeCurrent();
        CudnnHandle.shape(t, n, k, 1, 1);
        check("cudnnSoftmaxForward", cudnnSoftmaxForward(cudnn.handle, CUDNN_SOFTMAX_LOG, CUDNN_SOFTMAX_MODE_INSTANCE, cudnn.one, t,
                floats(logits), cudnn.zero, t, floats(grad)));
        ops.elementwise("nnc_softmax_xent_from_log", n, grad, labels, rowLoss, n, k);
    }
}

package dev.nncompress.backend.cuda.vendor;

import dev.nncompress.backend.cuda.driver.DeviceBuffer;
import dev.nncompress.backend.cuda.kernels.CudaOps;
import dev.nncompress.backend.cuda.kernels.Dnn;

import org.bytedeco.cuda.cudnn.cudnnTensorStruct;

import static dev.nncompress.backend.cuda.vendor.BytedecoCuda.floats;
import static dev.nncompress.backend.cuda.vendor.CudnnHandle.check;
import static org.bytedeco.cuda.global.cudnn.CUDNN_BATCHNORM_SPATIAL;
import static org.bytedeco.cuda.global.cudnn.CUDNN_BN_MIN_EPSILON;
import static org.bytedeco.cuda.global.cudnn.cudnnBatchNormalizationBackward;
import static org.bytedeco.cuda.global.cudnn.cudnnBatchNormalizationForwardInference;
import static org.bytedeco.cuda.global.cudnn.cudnnBatchNormalizationForwardTraining;
import static org.bytedeco.cuda.global.cudnn.cudnnDeriveBNTensorDescriptor;

/**
 * {@link Dnn.BatchNorm} on cuDNN 9's legacy batch-norm API (cudnnBatchNormalizationForwardTraining,
 * ForwardInference, Backward; CUDNN_BATCHNORM_SPATIAL over the [n, c, s, 1] view), whose conventions
 * are the contract's: statistics per channel over N * spatial values, normalisation with the biased
 * variance, saved inverse standard deviation 1 / sqrt(var + eps), and the running update
 * running = (1 - factor) running + factor batch statistic with exponentialAverageFactor = momentum and
 * the unbiased batch variance (PyTorch relies on cuDNN for exactly this; VendorDnnGpuTest checks it
 * against the reference's update). Float arithmetic inside cuDNN, where ours sums in double:
 * agreement to ~1e-6 relative, not bit for bit.
 * Two gaps are closed with our kernels: cuDNN returns no batch variance, so nnc_bn_var_from_inv_std
 * derives it from the saved invStd; and the backward call wants the forward's epsilon, which the
 * contract does not pass: cuDNN uses the saved mean and invStd it is given (then epsilon is only
 * validated), so any valid value serves.
 * On {@code fallback} (our batchnorm.cu), see {@link #fallbackReason}: one value per channel in
 * training (cuDNN's unbiased variance would divide by count - 1 = 0, the contract uses factor 1),
 * eps below CUDNN_BN_MIN_EPSILON, empty tensors and tensors beyond cuDNN's int sizes.
 */
public final class CudnnBatchNorm extends CudnnPart<Dnn.BatchNorm> implements Dnn.BatchNorm {
    /** Any epsilon cuDNN accepts, for the backward call (see above). */
    private static final double BACKWARD_EPS = Math.max(CUDNN_BN_MIN_EPSILON, 1e-5);

    private final CudaOps ops;
    private final cudnnTensorStruct x = tensor(), channels = tensor(); // after super(): the handle is set

    CudnnBatchNorm(CudnnHandle cudnn, CudaOps ops, Dnn.BatchNorm fallback) {
        super(cudnn, fallback);
        this.ops = ops;
    }

    /** Null when cuDNN runs this case (training: forward or backward), else why ours does. */
    public static String fallbackReason(Dnn.NormLayout l, double eps, boolean training) {
        String size = CudnnHandle.sizeReason(l.elements());
        if (size != null) return size;
        if (!(eps >= CUDNN_BN_MIN_EPSILON)) return "eps " + eps + " below cuDNN's minimum " + CUDNN_BN_MIN_EPSILON;
        if (training && l.count() < 2) {
            return "one value per channel: cuDNN's unbiased running variance divides by count - 1 = 0, the contract uses factor 1";
        }
        return null;
    }

    @Override public void train(Dnn.NormLayout l, float eps, DeviceBuffer in, DeviceBuffer gamma, DeviceBuffer beta, DeviceBuffer y,
                                DeviceBuffer mean, DeviceBuffer var, DeviceBuffer invStd, Dnn.Running running) {
        if (fallbackReason(l, eps, true) != null) {
            fallback.train(l, eps, in, gamma, beta, y, mean, var, invStd, running);
            return;
        }
        describe(l);
        // without running statistics both pointers are null, which cuDNN allows (it then updates none)
        check("cudnnBatchNormalizationForwardTraining", cudnnBatchNormalizationForwardTraining(cudnn.handle, CUDNN_BATCHNORM_SPATIAL,
                cudnn.one, cudnn.zero, x, floats(in), x, floats(y), channels, floats(gamma), floats(beta),
                running == null ? 0.0 : running.momentum(), running == null ? null : floats(running.mean()),
                running == null ? null : floats(running.var()), eps, floats(mean), floats(invStd)));
        ops.elementwise("nnc_bn_var_from_inv_std", l.c(), invStd, var, l.c(), eps);
    }

    @Override public void inference(Dnn.NormLayout l, float eps, DeviceBuffer in, DeviceBuffer gamma, DeviceBuffer beta,
                                    DeviceBuffer mean, DeviceBuffer var, DeviceBuffer y) {
        if (fallbackReason(l, eps, false) != null) {
            fallback.inference(l, eps, in, gamma, beta, mean, var, y);
            return;
        }
        describe(l);
        check("cudnnBatchNormalizationForwardInference", cudnnBatchNormalizationForwardInference(cudnn.handle, CUDNN_BATCHNORM_SPATIAL,
                cudnn.one, cudnn.zero, x, floats(in), x, floats(y), channels, floats(gamma), floats(beta), floats(mean), floats(var), eps));
    }

    @Override public void backward(Dnn.NormLayout l, DeviceBuffer in, DeviceBuffer gamma, DeviceBuffer mean, DeviceBuffer invStd,
                                   DeviceBuffer gy, DeviceBuffer dx, DeviceBuffer dgamma, DeviceBuffer dbeta) {
        if (fallbackReason(l, BACKWARD_EPS, true) != null) {
            fallback.backward(l, in, gamma, mean, invStd, gy, dx, dgamma, dbeta);
            return;
        }
        describe(l);
        // alpha/beta for the data gradient, then for the parameter gradients: overwrite both
        check("cudnnBatchNormalizationBackward", cudnnBatchNormalizationBackward(cudnn.handle, CUDNN_BATCHNORM_SPATIAL,
                cudnn.one, cudnn.zero, cudnn.one, cudnn.zero, x, floats(in), x, floats(gy), x, floats(dx), channels, floats(gamma),
                floats(dgamma), floats(dbeta), BACKWARD_EPS, floats(mean), floats(invStd)));
    }

    /** x as [n, c, s, 1] and the per-channel [1, c, 1, 1] that cuDNN derives from it. */
    private void describe(Dnn.NormLayout l) {
        cudnn.driver.makeCurrent();
        CudnnHandle.shape(x, l.n(), l.c(), l.s(), 1);
        check("cudnnDeriveBNTensorDescriptor", cudnnDeriveBNTensorDescriptor(channels, x, CUDNN_BATCHNORM_SPATIAL));
    }
}

package dev.nncompress.backend.cuda.kernels;

import dev.nncompress.backend.ConvGeometry;
import dev.nncompress.backend.PoolGeometry;
import dev.nncompress.backend.cuda.CudaBackend;
import dev.nncompress.backend.cuda.driver.DeviceBuffer;
import dev.nncompress.backend.cuda.vendor.CudnnActivation;
import dev.nncompress.backend.cuda.vendor.CudnnBatchNorm;
import dev.nncompress.backend.cuda.vendor.CudnnConv;
import dev.nncompress.backend.cuda.vendor.CudnnPooling;
import dev.nncompress.backend.cuda.vendor.CudnnSoftmax;
import dev.nncompress.backend.cuda.vendor.VendorStack;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The CUDA backend's cuDNN-shaped ops on device buffers (float, NCHW), one part per op family: either
 * a vendor's ({@link CudnnConv}, {@link CudnnPooling}, {@link CudnnActivation}, {@link CudnnBatchNorm},
 * {@link CudnnSoftmax}: cuDNN 9 through bytedeco; {@code JcudnnConv}: cuDNN 8, convolution only) or ours
 * ({@link CudaConv}: im2col + a {@link Blas}; {@link CudaDnnOps}: pool.cu, elementwise.cu, batchnorm.cu,
 * loss.cu). {@link VendorStack} decides per process. Semantics are the {@code Backend} op contract as
 * {@code ReferenceBackend} defines it; a vendor part hands the cases it cannot reproduce exactly to ours
 * and says which and why (its {@code fallbackReason}). Bias and its gradient are not here:
 * {@link CudaBackend} adds them with our kernels on either route. Asynchronous on the driver's stream.
 *
 * @param name "cuDNN 9.19.0" or "own im2col + cuBLAS 13.1.0", for logs and {@code info --devices}
 */
public record Dnn(String name, Conv conv, Pooling pooling, Activation activation, BatchNorm batchNorm, Softmax softmax)
        implements AutoCloseable {

    /** One op family's implementation; close frees what it holds beyond the pool's memory (cuDNN descriptors). */
    public interface Part extends AutoCloseable {
        @Override default void close() {}
    }

    /**
     * NCHW input, OIHW weight, NCHW output. Backward data and backward filter are one call because our
     * im2col route shares one column buffer between them; cuDNN runs them as its two calls.
     */
    public interface Conv extends Part {
        /** y = conv(x, w), overwriting y. */
        void convForward(ConvGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer y);

        /** dw (always) and dx (when not null) from x, w and the output gradient gy, overwriting both. */
        void convBackward(ConvGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer gy, DeviceBuffer dx, DeviceBuffer dw);
    }

    public enum PoolMode { MAX, AVERAGE }

    /**
     * Windows of {@link PoolGeometry} (its output sizes: floor or ceil mode, padding per side), padding
     * never the maximum and counted in an average's divisor only with count_include_pad
     * ({@link PoolGeometry#divisor}), NaN propagates; max backward sends each output's gradient to the
     * first maximum of its window in row-major scan order.
     */
    public interface Pooling extends Part {
        void forward(PoolMode mode, PoolGeometry g, DeviceBuffer x, DeviceBuffer y);

        /** dx from the output gradient gy; x is the forward input (MAX only; null for AVERAGE). */
        void backward(PoolMode mode, PoolGeometry g, DeviceBuffer x, DeviceBuffer gy, DeviceBuffer dx);
    }

    /** ReLU over n floats: y = max(x, 0) with NaN kept; backward dx = y > 0 ? gy : 0 from the output y. */
    public interface Activation extends Part {
        void relu(long n, DeviceBuffer x, DeviceBuffer y);

        void reluBackward(long n, DeviceBuffer y, DeviceBuffer gy, DeviceBuffer dx);
    }

    /** [n, c, s] view of an input [N, C, spatial...]: statistics per channel over count() = n * s values. */
    public record NormLayout(int n, int c, int s) {
        public static NormLayout of(int[] ncs) { return new NormLayout(ncs[0], ncs[1], ncs[2]); }

        public long count() { return (long) n * s; }

        public long elements() { return count() * c; }
    }

    /**
     * The running statistics a training step updates in place, PyTorch's convention:
     * mean = (1 - momentum) * mean + momentum * batch mean, var likewise with the unbiased batch variance
     * (factor count / (count - 1); 1 when count is 1), as {@code Backend.batchNormTrain(..., momentum, ...)}.
     */
    public record Running(float momentum, DeviceBuffer mean, DeviceBuffer var) {}

    /** Batch normalisation, per channel: (x - mean) / sqrt(var + eps) * gamma + beta with the biased variance. */
    public interface BatchNorm extends Part {
        /**
         * With the batch's statistics: y, and per channel the mean, the biased variance and
         * invStd = 1 / sqrt(var + eps); with {@code running} (may be null) also the running update.
         */
        void train(NormLayout l, float eps, DeviceBuffer x, DeviceBuffer gamma, DeviceBuffer beta, DeviceBuffer y,
                   DeviceBuffer mean, DeviceBuffer var, DeviceBuffer invStd, Running running);

        /** With given statistics (the running ones). */
        void inference(NormLayout l, float eps, DeviceBuffer x, DeviceBuffer gamma, DeviceBuffer beta, DeviceBuffer mean,
                       DeviceBuffer var, DeviceBuffer y);

        /** dx, dgamma, dbeta of {@link #train} from the saved batch mean and invStd. */
        void backward(NormLayout l, DeviceBuffer x, DeviceBuffer gamma, DeviceBuffer mean, DeviceBuffer invStd, DeviceBuffer gy,
                      DeviceBuffer dx, DeviceBuffer dgamma, DeviceBuffer dbeta);
    }

    /** The softmax of softmax cross-entropy (the backend's only softmax). */
    public interface Softmax extends Part {
        /**
         * Logits [n, k] (float), labels [n] (int): rowLoss[r] (double) = log sum exp(z_r) - z_r[label],
         * grad = (softmax(z_r) - onehot(label)) / n (float). The host sums rowLoss in row order.
         */
        void crossEntropy(int n, int k, DeviceBuffer logits, DeviceBuffer labels, DeviceBuffer grad, DeviceBuffer rowLoss);
    }

    /** Our kernels for everything: {@code conv} (im2col + a Blas) and {@code ops} for the rest. */
    public static Dnn own(CudaConv conv, CudaDnnOps ops) { return new Dnn(conv.name(), conv, ops, ops, ops, ops); }

    /** Closes every distinct part once (ours often serves several families). */
    @Override public void close() {
        Map<Part, Boolean> seen = new IdentityHashMap<>();
        for (Part p : new Part[] {conv, pooling, activation, batchNorm, softmax}) {
            if (seen.put(p, Boolean.TRUE) == null) p.close();
        }
    }
}

package dev.nncompress.backend.cuda.kernels;

import dev.nncompress.backend.BatchNormResult;
import dev.nncompress.backend.Pool2dSpec;
import dev.nncompress.backend.PoolGeometry;
import dev.nncompress.backend.cuda.driver.DeviceBuffer;

/**
 * Pooling, ReLU, batch norm and softmax cross-entropy on our kernels (pool.cu, elementwise.cu,
 * batchnorm.cu, loss.cu; each kernel file names its CPU twin): the {@link Dnn} parts when cuDNN is
 * absent and the fallback of the cuDNN parts for the cases cuDNN cannot do with our semantics.
 */
public final class CudaDnnOps implements Dnn.Pooling, Dnn.Activation, Dnn.BatchNorm, Dnn.Softmax {
    private final CudaOps ops;

    public CudaDnnOps(CudaOps ops) { this.ops = ops; }

    @Override public void forward(Dnn.PoolMode mode, PoolGeometry g, DeviceBuffer x, DeviceBuffer y) {
        long n = (long) g.planes() * g.oh() * g.ow();
        if (mode == Dnn.PoolMode.MAX) pool("nnc_pool_max_forward", n, g, false, x, y);
        else pool("nnc_pool_avg_forward", n, g, true, x, y);
    }

    @Override public void backward(Dnn.PoolMode mode, PoolGeometry g, DeviceBuffer x, DeviceBuffer gy, DeviceBuffer dx) {
        long n = (long) g.planes() * g.h() * g.w();
        if (mode == Dnn.PoolMode.MAX) pool("nnc_pool_max_backward", n, g, false, x, gy, dx);
        else pool("nnc_pool_avg_backward", n, g, true, gy, dx);
    }

    /**
     * pool.cu kernels: the tensors, then planes, h, w, kh, kw, sh, sw, ph, pw, (average only: pb, pr,
     * include_pad,) oh, ow.
     */
    private void pool(String kernel, long n, PoolGeometry g, boolean average, DeviceBuffer... tensors) {
        Pool2dSpec s = g.spec();
        int[] geometry = average
                ? new int[] {g.planes(), g.h(), g.w(), s.kernelH(), s.kernelW(), s.strideH(), s.strideW(), s.padH(), s.padW(), s.padBottom(),
                    s.padRight(), s.countIncludePad() ? 1 : 0, g.oh(), g.ow()}
                : new int[] {g.planes(), g.h(), g.w(), s.kernelH(), s.kernelW(), s.strideH(), s.strideW(), s.padH(), s.padW(), g.oh(), g.ow()};
        Object[] args = new Object[tensors.length + geometry.length];
        System.arraycopy(tensors, 0, args, 0, tensors.length);
        for (int i = 0; i < geometry.length; i++) args[tensors.length + i] = geometry[i];
        ops.elementwise(kernel, n, args);
    }

    @Override public void relu(long n, DeviceBuffer x, DeviceBuffer y) { ops.elementwise("nnc_ew_relu", n, x, y, n); }

    @Override public void reluBackward(long n, DeviceBuffer y, DeviceBuffer gy, DeviceBuffer dx) {
        ops.elementwise("nnc_ew_relu_backward", n, y, gy, dx, n);
    }

    @Override public void train(Dnn.NormLayout l, float eps, DeviceBuffer x, DeviceBuffer gamma, DeviceBuffer beta, DeviceBuffer y,
                                DeviceBuffer mean, DeviceBuffer var, DeviceBuffer invStd, Dnn.Running running) {
        ops.perChannel("nnc_bn_train", l.c(), x, gamma, beta, y, mean, var, invStd, l.n(), l.c(), l.s(), eps);
        if (running != null) runningUpdate(l, mean, var, running);
    }

    /** nnc_bn_running_update with {@link BatchNormResult.RunningBlend}'s factors (the Java default's arithmetic). */
    public void runningUpdate(Dnn.NormLayout l, DeviceBuffer mean, DeviceBuffer var, Dnn.Running running) {
        BatchNormResult.RunningBlend f = BatchNormResult.RunningBlend.of(running.momentum(), l.count());
        ops.elementwise("nnc_bn_running_update", l.c(), mean, var, running.mean(), running.var(), l.c(), f.keep(), f.meanFactor(),
                f.varFactor());
    }

    @Override public void inference(Dnn.NormLayout l, float eps, DeviceBuffer x, DeviceBuffer gamma, DeviceBuffer beta,
                                    DeviceBuffer mean, DeviceBuffer var, DeviceBuffer y) {
        long n = l.elements();
        ops.elementwise("nnc_bn_inference", n, x, gamma, beta, mean, var, y, n, l.c(), l.s(), eps);
    }

    @Override public void backward(Dnn.NormLayout l, DeviceBuffer x, DeviceBuffer gamma, DeviceBuffer mean, DeviceBuffer invStd,
                                   DeviceBuffer gy, DeviceBuffer dx, DeviceBuffer dgamma, DeviceBuffer dbeta) {
        ops.perChannel("nnc_bn_backward", l.c(), x, gamma, mean, invStd, gy, dx, dgamma, dbeta, l.n(), l.c(), l.s());
    }

    @Override public void crossEntropy(int n, int k, DeviceBuffer logits, DeviceBuffer labels, DeviceBuffer grad, DeviceBuffer rowLoss) {
        ops.elementwise("nnc_softmax_xent", n, logits, labels, grad, rowLoss, n, k);
    }
}

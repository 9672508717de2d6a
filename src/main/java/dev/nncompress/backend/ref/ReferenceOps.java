package dev.nncompress.backend.ref;

/**
 * CPU twins of our CUDA kernels ({@code cuda-kernels/}): plain loops with exactly the kernels'
 * semantics, so that a GPU result can be compared with them bit for bit. Each method names its
 * kernel. The quantisation kernels' twins are {@link dev.nncompress.quant.QuantArithmetic}.
 */
public final class ReferenceOps {
    private ReferenceOps() {}

    /**
     * Twin of {@code nnc_softmax_xent_from_log}: cross-entropy from log-probabilities {@code logp} [n, k];
     * rowLoss[r] = -logp[r, label] and the returned gradient (exp(logp) - onehot) / n, in double, rounded once.
     */
    public static float[] softmaxXentFromLogSoftmax(float[] logp, int n, int k, int[] labels, double[] rowLoss) {
        if (logp.length != n * k || labels.length != n || rowLoss.length != n) {
            throw new IllegalArgumentException("logp " + logp.length + ", labels " + labels.length + ", rowLoss " + rowLoss.length
                    + " for n, k = " + n + ", " + k);
        }
        float[] g = new float[logp.length];
        for (int r = 0; r < n; r++) {
            rowLoss[r] = -(double) logp[r * k + labels[r]];
            for (int j = 0; j < k; j++) g[r * k + j] = (float) ((Math.exp(logp[r * k + j]) - (j == labels[r] ? 1.0 : 0.0)) / n);
        }
        return g;
    }

    /** Twin of {@code nnc_bn_var_from_inv_std}: 1 / invStd^2 - eps in double when positive, else 0, rounded once. */
    public static float[] batchNormVarianceFromInvStd(float[] invStd, float eps) {
        float[] v = new float[invStd.length];
        for (int c = 0; c < v.length; c++) {
            double is = invStd[c];
            double var = 1.0 / (is * is) - (double) eps;
            v[c] = (float) (var > 0.0 ? var : 0.0);
        }
        return v;
    }
}

package dev.nncompress.compress.distill;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.LossResult;
import dev.nncompress.tensor.Tensor;
import dev.nncompress.train.Check;

/**
 * Response distillation (Hinton, Vinyals, Dean 2015):
 * {@code loss = alpha * T^2 * KL(softmax(t/T) || softmax(s/T)) + (1 - alpha) * CE(s, y)}, both terms averaged
 * over the batch (PyTorch's {@code kl_div(..., reduction="batchmean")}). The T^2 keeps the soft term's gradient,
 * {@code alpha * T / N * (softmax(s/T) - softmax(t/T))}, on the scale of the hard term's as T changes.
 *
 * <p>The soft term is computed on the host in double: the Backend op set has no tempered softmax, and the logits
 * are tiny ([N, classes], 2.5 KB at batch 64), so the round trip costs nothing next to the forward passes. The
 * hard term is the backend's own {@link Backend#softmaxCrossEntropy}, so it is exactly plain training's loss.
 */
public record ResponseDistillation(double temperature, double alpha) {
    public ResponseDistillation {
        Check.positive("temperature", temperature);
        Check.range("alpha", alpha, 0, 1, true);
    }

    /**
     * The loss and its gradient w.r.t. {@code studentLogits} [N, K] (owned by the caller; the result's gradient
     * is the caller's to close).
     *
     * @param teacherLogits [N, K] row-major, from the frozen teacher
     */
    public LossResult compute(Backend backend, Tensor studentLogits, float[] teacherLogits, int[] labels) {
        int n = studentLogits.shape().dim(0);
        int k = studentLogits.shape().dim(1);
        if (teacherLogits.length != n * k) {
            throw new IllegalArgumentException("teacher logits hold " + teacherLogits.length + " values, the student's [" + n + ", " + k + "] need " + n * k);
        }
        float[] s = studentLogits.toFloatArray();
        float[] grad = new float[n * k];
        double soft = alpha == 0 ? 0 : softTerm(s, teacherLogits, n, k, grad);
        if (alpha == 1) return new LossResult((float) soft, backend.fromFloats(grad, studentLogits.shape()));
        LossResult ce = backend.softmaxCrossEntropy(studentLogits, labels);
        if (alpha == 0) return ce;
        try (Tensor hard = backend.scale(ce.gradLogits(), (float) (1 - alpha));
             Tensor softGrad = backend.fromFloats(grad, studentLogits.shape())) {
            ce.gradLogits().close();
            return new LossResult((float) (soft + (1 - alpha) * ce.loss()), backend.add(hard, softGrad));
        }
    }

    /** alpha * T^2 * mean_n KL(p_t || p_s) at temperature T; writes its gradient w.r.t. the student logits into {@code grad}. */
    private double softTerm(float[] s, float[] t, int n, int k, float[] grad) {
        double[] ps = new double[k];
        double[] pt = new double[k];
        double kl = 0;
        double gradScale = alpha * temperature / n; // d(T^2 KL / N)/ds = T/N (p_s - p_t)
        for (int r = 0; r < n; r++) {
            double logZs = logSoftmax(s, r * k, k, temperature, ps);
            double logZt = logSoftmax(t, r * k, k, temperature, pt);
            for (int j = 0; j < k; j++) {
                // ps/pt hold log-probabilities here
                double logPt = pt[j];
                double logPs = ps[j];
                double p = Math.exp(logPt);
                if (p > 0) kl += p * (logPt - logPs);
                grad[r * k + j] = (float) (gradScale * (Math.exp(logPs) - p));
            }
            if (!Double.isFinite(logZs) || !Double.isFinite(logZt)) kl = Double.NaN; // surfaces as a diverged loss
        }
        return alpha * temperature * temperature * kl / n;
    }

    /** Writes log softmax(x[off..off+k) / T) into {@code out}; returns the log partition (finite unless the row is not). */
    private static double logSoftmax(float[] x, int off, int k, double temperature, double[] out) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < k; j++) max = Math.max(max, x[off + j] / temperature);
        double sum = 0;
        for (int j = 0; j < k; j++) sum += Math.exp(x[off + j] / temperature - max);
        double logZ = max + Math.log(sum);
        for (int j = 0; j < k; j++) out[j] = x[off + j] / temperature - logZ;
        return logZ;
    }
}

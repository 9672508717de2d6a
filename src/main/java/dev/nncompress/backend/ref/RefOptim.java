package dev.nncompress.backend.ref;

/**
 * Element-wise optimiser steps as PyTorch's torch.optim.SGD / Adam / AdamW (no dampening, no
 * amsgrad, no maximize). Each element is computed in double and rounded when stored.
 */
final class RefOptim {
    private RefOptim() {}

    /** g = grad + wd*p; v = momentum*v + g; p -= lr * (nesterov ? g + momentum*v : v). v may be null when momentum is 0. */
    static void sgd(float[] p, float[] grad, float[] v, float lr, float momentum, float wd, boolean nesterov) {
        for (int i = 0; i < p.length; i++) {
            double g = (double) grad[i] + (double) wd * p[i];
            double step = g;
            if (v != null) {
                double vi = (double) momentum * v[i] + g;
                v[i] = (float) vi;
                step = nesterov ? g + (double) momentum * vi : vi;
            }
            p[i] = (float) (p[i] - (double) lr * step);
        }
    }

    /**
     * AdamW (decoupled): p *= 1 - lr*wd first; Adam (L2): g = grad + wd*p. Then m = b1*m + (1-b1)*g,
     * v = b2*v + (1-b2)*g^2, p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
     */
    static void adam(float[] p, float[] grad, float[] m, float[] v, int step, float lr, float beta1, float beta2,
                     float eps, float wd, boolean decoupled) {
        double bc1 = 1.0 - Math.pow(beta1, step);
        double bc2Sqrt = Math.sqrt(1.0 - Math.pow(beta2, step));
        double stepSize = lr / bc1;
        for (int i = 0; i < p.length; i++) {
            double pi = p[i];
            double g = grad[i];
            if (wd != 0f) {
                if (decoupled) pi = pi * (1.0 - (double) lr * wd);
                else g = g + (double) wd * pi;
            }
            double mi = (double) beta1 * m[i] + (1.0 - beta1) * g;
            double vi = (double) beta2 * v[i] + (1.0 - beta2) * g * g;
            m[i] = (float) mi;
            v[i] = (float) vi;
            pi -= stepSize * mi / (Math.sqrt(vi) / bc2Sqrt + eps);
            p[i] = (float) pi;
        }
    }
}

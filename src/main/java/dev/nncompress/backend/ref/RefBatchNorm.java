package dev.nncompress.backend.ref;

/**
 * Batch normalisation over a [N, C, S] view of the input (S = product of the spatial dimensions):
 * statistics per channel over N*S values, biased variance, sums in double.
 */
final class RefBatchNorm {
    private RefBatchNorm() {}

    record Layout(int n, int c, int s) {
        int count() { return n * s; }

        int index(int b, int ch, int i) { return (b * c + ch) * s + i; }
    }

    /** Returns {output, mean, biased variance, invStd}. */
    static float[][] train(Layout l, float[] x, float[] gamma, float[] beta, float eps) {
        float[] mean = new float[l.c()];
        float[] var = new float[l.c()];
        float[] invStd = new float[l.c()];
        float[] out = new float[x.length];
        for (int ch = 0; ch < l.c(); ch++) {
            double sum = 0;
            for (int b = 0; b < l.n(); b++) {
                for (int i = 0; i < l.s(); i++) sum += x[l.index(b, ch, i)];
            }
            double mu = sum / l.count();
            double sq = 0; // second pass: no cancellation from E[x^2] - E[x]^2
            for (int b = 0; b < l.n(); b++) {
                for (int i = 0; i < l.s(); i++) {
                    double d = x[l.index(b, ch, i)] - mu;
                    sq += d * d;
                }
            }
            double v = sq / l.count();
            double is = 1.0 / Math.sqrt(v + eps);
            mean[ch] = (float) mu;
            var[ch] = (float) v;
            invStd[ch] = (float) is;
            for (int b = 0; b < l.n(); b++) {
                for (int i = 0; i < l.s(); i++) {
                    int k = l.index(b, ch, i);
                    out[k] = (float) ((x[k] - mu) * is * gamma[ch] + beta[ch]);
                }
            }
        }
        return new float[][] {out, mean, var, invStd};
    }

    static float[] inference(Layout l, float[] x, float[] gamma, float[] beta, float[] mean, float[] var, float eps) {
        float[] out = new float[x.length];
        for (int ch = 0; ch < l.c(); ch++) {
            double is = 1.0 / Math.sqrt((double) var[ch] + eps);
            for (int b = 0; b < l.n(); b++) {
                for (int i = 0; i < l.s(); i++) {
                    int k = l.index(b, ch, i);
                    out[k] = (float) (((double) x[k] - mean[ch]) * is * gamma[ch] + beta[ch]);
                }
            }
        }
        return out;
    }

    /**
     * With xhat = (x - mean) * invStd and M = N*S: dbeta = sum(g), dgamma = sum(g * xhat),
     * dx = gamma * invStd / M * (M*g - dbeta - xhat * dgamma). Returns {dx, dgamma, dbeta}.
     */
    static float[][] backward(Layout l, float[] x, float[] gamma, float[] mean, float[] invStd, float[] gradOut) {
        float[] dx = new float[x.length];
        float[] dgamma = new float[l.c()];
        float[] dbeta = new float[l.c()];
        int m = l.count();
        for (int ch = 0; ch < l.c(); ch++) {
            double mu = mean[ch];
            double is = invStd[ch];
            double sumG = 0;
            double sumGXhat = 0;
            for (int b = 0; b < l.n(); b++) {
                for (int i = 0; i < l.s(); i++) {
                    int k = l.index(b, ch, i);
                    sumG += gradOut[k];
                    sumGXhat += gradOut[k] * ((x[k] - mu) * is);
                }
            }
            dbeta[ch] = (float) sumG;
            dgamma[ch] = (float) sumGXhat;
            double scale = gamma[ch] * is / m;
            for (int b = 0; b < l.n(); b++) {
                for (int i = 0; i < l.s(); i++) {
                    int k = l.index(b, ch, i);
                    double xhat = (x[k] - mu) * is;
                    dx[k] = (float) (scale * ((double) m * gradOut[k] - sumG - xhat * sumGXhat));
                }
            }
        }
        return new float[][] {dx, dgamma, dbeta};
    }
}

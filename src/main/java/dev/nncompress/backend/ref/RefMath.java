package dev.nncompress.backend.ref;

/** Dense linear algebra and the loss, on plain arrays; sums in double. */
final class RefMath {
    private RefMath() {}

    /** Rounds to float; null stays null. */
    static float[] toFloats(double[] values) {
        if (values == null) return null;
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) out[i] = (float) values[i];
        return out;
    }

    /**
     * op(a)[m,k] x op(b)[k,n]. Stored a is [m,k], or [k,m] when transA; stored b is [k,n], or [n,k]
     * when transB.
     */
    static float[] matmul(float[] a, boolean transA, float[] b, boolean transB, int m, int k, int n) {
        float[] out = new float[m * n];
        double[] row = new double[n];
        for (int i = 0; i < m; i++) {
            java.util.Arrays.fill(row, 0.0);
            for (int p = 0; p < k; p++) {
                double aip = transA ? a[p * m + i] : a[i * k + p];
                for (int j = 0; j < n; j++) {
                    row[j] += aip * (transB ? b[j * k + p] : b[p * n + j]);
                }
            }
            for (int j = 0; j < n; j++) out[i * n + j] = (float) row[j];
        }
        return out;
    }

    /**
     * Mean over the n rows of -log softmax(logits)[label], computed as logsumexp(z - max) - (z_label - max);
     * the gradient is (softmax - onehot) / n. Returns the loss in {@code loss[0]}.
     */
    static float[] softmaxCrossEntropy(float[] logits, int n, int k, int[] labels, double[] loss) {
        float[] grad = new float[n * k];
        double total = 0;
        double[] e = new double[k];
        for (int r = 0; r < n; r++) {
            int base = r * k;
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < k; j++) max = Math.max(max, logits[base + j]);
            double sum = 0;
            for (int j = 0; j < k; j++) {
                e[j] = Math.exp(logits[base + j] - max);
                sum += e[j];
            }
            total += Math.log(sum) - (logits[base + labels[r]] - max);
            for (int j = 0; j < k; j++) {
                double p = e[j] / sum;
                grad[base + j] = (float) ((p - (j == labels[r] ? 1.0 : 0.0)) / n);
            }
        }
        loss[0] = total / n;
        return grad;
    }
}

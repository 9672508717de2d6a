// Softmax cross-entropy over logits [N, K] with integer labels, mean over the batch.
// CPU twin: ReferenceBackend.softmaxCrossEntropy (RefMath.softmaxCrossEntropy), same arithmetic in
// double: per row, loss_r = log(sum exp(z - max)) - (z_label - max) and
// grad = (softmax - onehot) / N. One thread per row (K is small: classes); the per-row losses go to
// a double array that the host sums in row order, exactly as the twin does.
#ifndef NNC_LOSS_CU
#define NNC_LOSS_CU

extern "C" __global__ void nnc_softmax_xent(const float* __restrict__ logits, const int* __restrict__ labels,
                                            float* __restrict__ grad, double* __restrict__ row_loss, int n, int k) {
    for (int r = blockIdx.x * blockDim.x + threadIdx.x; r < n; r += gridDim.x * blockDim.x) {
        const float* z = logits + (long long) r * k;
        float* g = grad + (long long) r * k;
        double mx = -INFINITY;
        for (int j = 0; j < k; j++) mx = fmax(mx, (double) z[j]);
        double sum = 0.0;
        for (int j = 0; j < k; j++) sum += exp(z[j] - mx);
        int label = labels[r];
        row_loss[r] = log(sum) - (z[label] - mx);
        for (int j = 0; j < k; j++) {
            double p = exp(z[j] - mx) / sum;
            g[j] = (float) ((p - (j == label ? 1.0 : 0.0)) / n);
        }
    }
}
#endif  // NNC_LOSS_CU

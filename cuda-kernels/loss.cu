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

// Cross-entropy from log-probabilities (cuDNN's CUDNN_SOFTMAX_LOG of the logits, already in g), in place:
// row_loss[r] = -logp[label] and g = (exp(logp) - onehot) / n, in double, rounded once. The cuDNN route
// of the backend's softmax cross-entropy. Twin: ReferenceOps.softmaxXentFromLogSoftmax.
extern "C" __global__ void nnc_softmax_xent_from_log(float* __restrict__ g, const int* __restrict__ labels,
                                                     double* __restrict__ row_loss, int n, int k) {
    for (int r = blockIdx.x * blockDim.x + threadIdx.x; r < n; r += gridDim.x * blockDim.x) {
        float* row = g + (long long) r * k;
        int label = labels[r];
        row_loss[r] = -(double) row[label];
        for (int j = 0; j < k; j++) row[j] = (float) ((exp((double) row[j]) - (j == label ? 1.0 : 0.0)) / n);
    }
}
#endif  // NNC_LOSS_CU

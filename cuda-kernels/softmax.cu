// Softmax over one axis of a tensor viewed as [outer, k, inner], forward and backward from the output,
// one thread per (outer, inner) row (rows of one outer slice are neighbours in memory, so a warp's reads
// of one j are coalesced when inner > 1; classifier logits [N, K] have inner = 1 and few rows).
// CPU twin: dev.nncompress.backend.ref.RefActivations.softmax / softmaxBackward (ReferenceBackend.softmax,
// softmaxBackward), the same double arithmetic: m = max, e = exp(x - m), y = e / sum(e) rounded once;
// dx = y (g - sum(g y)), each g y exact in double. exp may differ from Java's in the last double bit.
#ifndef NNC_SOFTMAX_CU
#define NNC_SOFTMAX_CU

extern "C" __global__ void nnc_softmax_forward(const float* __restrict__ x, float* __restrict__ y, int outer, int k, int inner) {
    long long rows = (long long) outer * inner;
    for (long long r = blockIdx.x * (long long) blockDim.x + threadIdx.x; r < rows; r += (long long) gridDim.x * blockDim.x) {
        long long base = (r / inner) * k * (long long) inner + r % inner;
        double m = -INFINITY;
        for (int j = 0; j < k; j++) {
            double v = x[base + (long long) j * inner];
            m = v != v ? v : (m != m ? m : fmax(m, v));  // Java's Math.max: NaN wins
        }
        double sum = 0.0;
        for (int j = 0; j < k; j++) sum += exp(x[base + (long long) j * inner] - m);
        for (int j = 0; j < k; j++) {
            long long at = base + (long long) j * inner;
            y[at] = (float) (exp(x[at] - m) / sum);
        }
    }
}

extern "C" __global__ void nnc_softmax_backward(const float* __restrict__ y, const float* __restrict__ g, float* __restrict__ dx, int outer,
                                                int k, int inner) {
    long long rows = (long long) outer * inner;
    for (long long r = blockIdx.x * (long long) blockDim.x + threadIdx.x; r < rows; r += (long long) gridDim.x * blockDim.x) {
        long long base = (r / inner) * k * (long long) inner + r % inner;
        double dot = 0.0;
        for (int j = 0; j < k; j++) dot += (double) g[base + (long long) j * inner] * y[base + (long long) j * inner];
        for (int j = 0; j < k; j++) {
            long long at = base + (long long) j * inner;
            dx[at] = (float) (y[at] * (g[at] - dot));
        }
    }
}
#endif  // NNC_SOFTMAX_CU

// Element-wise float32 kernels of the CUDA backend and two small reductions (column sums of a
// [rows, f] matrix, per-channel sums of an [N, C, S] tensor).
// CPU twin: the ReferenceBackend op of the same name (dev.nncompress.backend.ref.ReferenceBackend):
// relu, reluBackward, add, addInPlace, mul, scale, addRowVector, sumRows; the per-channel sum is the
// bias gradient of RefConv.backward. Single-rounding ops (add, mul, scale, addRowVector) are bit-exact
// with the twin; the sums accumulate in double as the twin does (one rounding at the end).
// Every 1-D kernel is grid-stride over a long long count, so any grid size is correct.
#ifndef NNC_ELEMENTWISE_CU
#define NNC_ELEMENTWISE_CU

namespace nnc_elementwise {
__device__ __forceinline__ long long first_index() { return blockIdx.x * (long long) blockDim.x + threadIdx.x; }
__device__ __forceinline__ long long grid_stride() { return (long long) gridDim.x * blockDim.x; }

// Block-wide sum of one double per thread (blockDim.x a power of two, <= 1024); valid in thread 0.
__device__ double block_sum(double v) {
    __shared__ double partial[32];
    for (int off = 16; off > 0; off >>= 1) v += __shfl_down_sync(0xffffffffu, v, off);
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    __syncthreads();  // partial[] may still be read by a previous call
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    int warps = (blockDim.x + 31) >> 5;
    v = threadIdx.x < warps ? partial[threadIdx.x] : 0.0;
    if (warp == 0) {
        for (int off = 16; off > 0; off >>= 1) v += __shfl_down_sync(0xffffffffu, v, off);
    }
    return v;
}
}  // namespace nnc_elementwise

// Java's Math.max(x, 0f): NaN stays NaN (fmaxf would return 0), -0 becomes +0.
extern "C" __global__ void nnc_ew_relu(const float* __restrict__ x, float* __restrict__ y, long long n) {
    for (long long i = nnc_elementwise::first_index(); i < n; i += nnc_elementwise::grid_stride()) {
        float v = x[i];
        y[i] = v > 0.f ? v : (v != v ? v : 0.f);
    }
}

extern "C" __global__ void nnc_ew_relu_backward(const float* __restrict__ y, const float* __restrict__ g,
                                                float* __restrict__ dx, long long n) {
    for (long long i = nnc_elementwise::first_index(); i < n; i += nnc_elementwise::grid_stride()) {
        dx[i] = y[i] > 0.f ? g[i] : 0.f;
    }
}

extern "C" __global__ void nnc_ew_add(const float* __restrict__ a, const float* __restrict__ b, float* __restrict__ out,
                                      long long n) {
    for (long long i = nnc_elementwise::first_index(); i < n; i += nnc_elementwise::grid_stride()) out[i] = a[i] + b[i];
}

// a += b; a and b may be the same tensor (x += x), so no __restrict__.
extern "C" __global__ void nnc_ew_add_inplace(float* a, const float* b, long long n) {
    for (long long i = nnc_elementwise::first_index(); i < n; i += nnc_elementwise::grid_stride()) a[i] = a[i] + b[i];
}

extern "C" __global__ void nnc_ew_mul(const float* __restrict__ a, const float* __restrict__ b, float* __restrict__ out,
                                      long long n) {
    for (long long i = nnc_elementwise::first_index(); i < n; i += nnc_elementwise::grid_stride()) out[i] = a[i] * b[i];
}

extern "C" __global__ void nnc_ew_scale(const float* __restrict__ x, float* __restrict__ out, float factor, long long n) {
    for (long long i = nnc_elementwise::first_index(); i < n; i += nnc_elementwise::grid_stride()) out[i] = x[i] * factor;
}

extern "C" __global__ void nnc_ew_fill(float* __restrict__ out, float value, long long n) {
    for (long long i = nnc_elementwise::first_index(); i < n; i += nnc_elementwise::grid_stride()) out[i] = value;
}

// out[r, j] = x[r, j] + bias[j] over a row-major [n / f, f] matrix.
extern "C" __global__ void nnc_ew_add_row_vector(const float* __restrict__ x, const float* __restrict__ bias,
                                                 float* __restrict__ out, long long n, int f) {
    for (long long i = nnc_elementwise::first_index(); i < n; i += nnc_elementwise::grid_stride()) {
        out[i] = x[i] + bias[i % f];
    }
}

// In place: y[b, c, s] += bias[c] over an [N, C, S] tensor with n = N*C*S (conv bias, NCHW).
extern "C" __global__ void nnc_ew_add_channel_bias(float* __restrict__ y, const float* __restrict__ bias, long long n,
                                                   int channels, long long inner) {
    for (long long i = nnc_elementwise::first_index(); i < n; i += nnc_elementwise::grid_stride()) {
        y[i] += bias[(i / inner) % channels];
    }
}

// out[j] = sum over r of x[r, j] for a row-major [rows, f] matrix: one thread per column (reads
// coalesced across the columns of a row), double accumulation as in the twin.
extern "C" __global__ void nnc_ew_sum_rows(const float* __restrict__ x, float* __restrict__ out, int rows, int f) {
    for (long long j = nnc_elementwise::first_index(); j < f; j += nnc_elementwise::grid_stride()) {
        double s = 0.0;
        for (int r = 0; r < rows; r++) s += x[(long long) r * f + j];
        out[j] = (float) s;
    }
}

// out[c] = sum over b, s of x[b, c, s] for an [N, C, S] tensor: one block per channel (gridDim.x =
// C, blockDim.x a power of two), double accumulation. The conv bias gradient.
extern "C" __global__ void nnc_ew_sum_channels(const float* __restrict__ x, float* __restrict__ out, int batch,
                                               int channels, int inner) {
    int c = blockIdx.x;
    long long count = (long long) batch * inner;
    double s = 0.0;
    for (long long i = threadIdx.x; i < count; i += blockDim.x) {
        long long b = i / inner, k = i - b * inner;
        s += x[(b * channels + c) * inner + k];
    }
    s = nnc_elementwise::block_sum(s);
    if (threadIdx.x == 0) out[c] = (float) s;
}
#endif  // NNC_ELEMENTWISE_CU

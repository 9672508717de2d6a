// Batch normalisation over an [N, C, S] view of the input (S = product of the spatial dimensions):
// per-channel statistics over N*S values, biased variance.
// CPU twin: ReferenceBackend.batchNormTrain / batchNormInference / batchNormBackward (RefBatchNorm),
// with the same arithmetic: sums in double, two passes for the variance (no E[x^2] - E[x]^2
// cancellation), invStd = 1 / sqrt(var + eps) in double, outputs computed in double and rounded once.
// Only the order of the double sums differs (block reduction), far below float resolution.
// Training and backward use one block per channel (gridDim.x = C, blockDim.x a power of two <= 1024).
#ifndef NNC_BATCHNORM_CU
#define NNC_BATCHNORM_CU
#include "elementwise.cu"  // nnc_elementwise::block_sum

namespace nnc_batchnorm {
__device__ __forceinline__ long long index(long long i, int channels, int s, int c) {
    long long b = i / s;
    return (b * channels + c) * s + (i - b * s);
}

// Broadcast of a thread-0 value to the whole block.
__device__ __forceinline__ double broadcast(double v) {
    __shared__ double shared;
    if (threadIdx.x == 0) shared = v;
    __syncthreads();
    double r = shared;
    __syncthreads();  // nobody overwrites `shared` before all have read it
    return r;
}
}  // namespace nnc_batchnorm

// out = (x - mean) * invStd * gamma + beta with the batch statistics, which are also stored
// (mean, biased variance, invStd; each [C]).
extern "C" __global__ void nnc_bn_train(const float* __restrict__ x, const float* __restrict__ gamma,
                                        const float* __restrict__ beta, float* __restrict__ out, float* __restrict__ mean,
                                        float* __restrict__ var, float* __restrict__ inv_std, int batch, int channels, int s,
                                        float eps) {
    using namespace nnc_batchnorm;
    const int c = blockIdx.x;
    const long long count = (long long) batch * s;
    double sum = 0.0;
    for (long long i = threadIdx.x; i < count; i += blockDim.x) sum += x[index(i, channels, s, c)];
    double mu = broadcast(nnc_elementwise::block_sum(sum)) / (double) count;
    double sq = 0.0;
    for (long long i = threadIdx.x; i < count; i += blockDim.x) {
        double d = x[index(i, channels, s, c)] - mu;
        sq += d * d;
    }
    double v = broadcast(nnc_elementwise::block_sum(sq)) / (double) count;
    double is = 1.0 / sqrt(v + (double) eps);
    if (threadIdx.x == 0) {
        mean[c] = (float) mu;
        var[c] = (float) v;
        inv_std[c] = (float) is;
    }
    double g = gamma[c], b = beta[c];
    for (long long i = threadIdx.x; i < count; i += blockDim.x) {
        long long k = index(i, channels, s, c);
        out[k] = (float) ((x[k] - mu) * is * g + b);
    }
}

// Element-wise over n = N*C*S values: (x - mean) * (1 / sqrt(var + eps)) * gamma + beta in double.
extern "C" __global__ void nnc_bn_inference(const float* __restrict__ x, const float* __restrict__ gamma,
                                            const float* __restrict__ beta, const float* __restrict__ mean,
                                            const float* __restrict__ var, float* __restrict__ out, long long n,
                                            int channels, int s, float eps) {
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        int c = (int) ((i / s) % channels);
        double is = 1.0 / sqrt((double) var[c] + (double) eps);
        out[i] = (float) (((double) x[i] - mean[c]) * is * gamma[c] + beta[c]);
    }
}

// With xhat = (x - mean) * invStd and M = N*S: dbeta = sum(g), dgamma = sum(g * xhat),
// dx = gamma * invStd / M * (M*g - dbeta - xhat * dgamma).
extern "C" __global__ void nnc_bn_backward(const float* __restrict__ x, const float* __restrict__ gamma,
                                           const float* __restrict__ mean, const float* __restrict__ inv_std,
                                           const float* __restrict__ gy, float* __restrict__ dx, float* __restrict__ dgamma,
                                           float* __restrict__ dbeta, int batch, int channels, int s) {
    using namespace nnc_batchnorm;
    const int c = blockIdx.x;
    const long long count = (long long) batch * s;
    const double mu = mean[c], is = inv_std[c];
    double sg = 0.0, sgx = 0.0;
    for (long long i = threadIdx.x; i < count; i += blockDim.x) {
        long long k = index(i, channels, s, c);
        sg += gy[k];
        sgx += gy[k] * ((x[k] - mu) * is);
    }
    sg = broadcast(nnc_elementwise::block_sum(sg));
    sgx = broadcast(nnc_elementwise::block_sum(sgx));
    if (threadIdx.x == 0) {
        dbeta[c] = (float) sg;
        dgamma[c] = (float) sgx;
    }
    const double scale = gamma[c] * is / (double) count;
    for (long long i = threadIdx.x; i < count; i += blockDim.x) {
        long long k = index(i, channels, s, c);
        double xhat = (x[k] - mu) * is;
        dx[k] = (float) (scale * ((double) count * gy[k] - sg - xhat * sgx));
    }
}

// The running-statistics update of Backend.batchNormTrain(..., momentum, runningMean, runningVar) on our
// route, per channel: rm = rm * keep + mean * momentum and rv = rv * keep + var * var_factor, where the
// caller computes keep = 1 - momentum and var_factor = momentum * count / (count - 1) in float (1 for a
// count of 1: the unbiased variance) and every product and the sum round to float without FMA, exactly
// as the Java default (scale, scale, addInPlace) does: the twin is that default.
extern "C" __global__ void nnc_bn_running_update(const float* __restrict__ mean, const float* __restrict__ var,
                                                 float* __restrict__ running_mean, float* __restrict__ running_var,
                                                 int channels, float keep, float momentum, float var_factor) {
    for (int c = blockIdx.x * blockDim.x + threadIdx.x; c < channels; c += gridDim.x * blockDim.x) {
        running_mean[c] = __fadd_rn(__fmul_rn(running_mean[c], keep), __fmul_rn(mean[c], momentum));
        running_var[c] = __fadd_rn(__fmul_rn(running_var[c], keep), __fmul_rn(var[c], var_factor));
    }
}

// The biased batch variance from an inverse standard deviation, var = 1 / inv_std^2 - eps in double,
// 0 where rounding near var = 0 makes that negative: cuDNN's training forward returns invStd (its saved
// inverse variance) but no variance, which Backend.batchNormTrain also returns.
// Twin: ReferenceOps.batchNormVarianceFromInvStd.
extern "C" __global__ void nnc_bn_var_from_inv_std(const float* __restrict__ inv_std, float* __restrict__ var, int channels,
                                                   float eps) {
    for (int c = blockIdx.x * blockDim.x + threadIdx.x; c < channels; c += gridDim.x * blockDim.x) {
        double is = inv_std[c];
        double v = 1.0 / (is * is) - (double) eps;
        var[c] = (float) (v > 0.0 ? v : 0.0);  // a select, so a NaN invStd gives 0 here and in the twin
    }
}
#endif  // NNC_BATCHNORM_CU

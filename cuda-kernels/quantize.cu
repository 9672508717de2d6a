// Quantise / dequantise / fake-quantise, per tensor or per channel, int8 (signed, [-128, 127]).
// Semantics are those of dev.nncompress.backend.ref.ReferenceOps (the CPU twin), bit for bit:
//   q = clamp(rint(x / scale[c]) + zero_point[c], -128, 127)       (rint: round half to even)
//   x' = (q - zero_point[c]) * scale[c]
// with c = (i / inner) % channels, so per tensor is channels = 1, and per output channel of an
// OIHW weight is channels = O, inner = I*kH*kW. Division (not multiplication by 1/scale) keeps the
// GPU and Java results identical: nvcc's default -prec-div=true makes '/' IEEE-correct.
#include "quantize_common.cuh"

extern "C" __global__ void nnc_quantize_s8(const float* __restrict__ x, int8_t* __restrict__ q,
                                           const float* __restrict__ scale, const int* __restrict__ zero_point,
                                           long long n, int channels, long long inner) {
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        int c = nnc_quantize::channel_of(i, channels, inner);
        q[i] = (int8_t) nnc_quantize::quantize_one(x[i], scale[c], zero_point[c]);
    }
}

extern "C" __global__ void nnc_dequantize_s8(const int8_t* __restrict__ q, float* __restrict__ x,
                                             const float* __restrict__ scale, const int* __restrict__ zero_point,
                                             long long n, int channels, long long inner) {
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        int c = nnc_quantize::channel_of(i, channels, inner);
        x[i] = (float) ((int) q[i] - zero_point[c]) * scale[c];
    }
}

// Fake quantisation for QAT: y = dequantize(quantize(x)); in_range[i] = 1 where x was not clamped,
// which is the straight-through estimator's gradient mask (dy/dx = 1 inside the range, 0 outside).
extern "C" __global__ void nnc_fake_quantize_s8(const float* __restrict__ x, float* __restrict__ y,
                                                uint8_t* __restrict__ in_range, const float* __restrict__ scale,
                                                const int* __restrict__ zero_point, long long n, int channels,
                                                long long inner) {
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        int c = nnc_quantize::channel_of(i, channels, inner);
        float v = rintf(x[i] / scale[c]) + (float) zero_point[c];
        in_range[i] = (v >= -128.f && v <= 127.f) ? 1 : 0;
        int q = (int) fminf(127.f, fmaxf(-128.f, v));
        y[i] = (float) (q - zero_point[c]) * scale[c];
    }
}

// Straight-through estimator backward of nnc_fake_quantize_s8: the gradient passes where the forward
// did not clamp and is 0 elsewhere. A select, not grad * mask, so that a NaN gradient stays visible
// inside the range and never leaks out of it (0 * NaN would be NaN).
extern "C" __global__ void nnc_fake_quantize_s8_backward(const float* __restrict__ grad_out,
                                                         const uint8_t* __restrict__ in_range,
                                                         float* __restrict__ grad_in, long long n) {
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        grad_in[i] = in_range[i] ? grad_out[i] : 0.f;
    }
}

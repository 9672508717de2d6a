// The int8 rounding every quantising kernel shares (quantize.cu, int8_codes.cu), twin
// QuantArithmetic.quantizeS8: q = clamp(rint(x / scale) + zero_point, -128, 127), float division
// (nvcc's default -prec-div=true makes '/' IEEE-correct), rintf rounds half to even, and
// fmaxf(-128, NaN) = -128, so NaN becomes -128 as in the twin.
#ifndef NNC_QUANTIZE_COMMON_CUH
#define NNC_QUANTIZE_COMMON_CUH

#include <cstdint>

namespace nnc_quantize {
__device__ __forceinline__ int channel_of(long long i, int channels, long long inner) {
    return (int) ((i / inner) % channels);
}

__device__ __forceinline__ int quantize_one(float x, float scale, int zero_point) {
    float v = rintf(x / scale) + (float) zero_point;
    return (int) fminf(127.f, fmaxf(-128.f, v));
}
}  // namespace nnc_quantize

#endif

// Fake quantisation to int8 codes and its straight-through backward (issue 23: QAT's activations), per tensor:
// y = (clamp(rint(x / s) + zp, -128, 127) - zp) * s and mask = (the unclamped code was inside [-128, 127]), step by step
// in float as dev.nncompress.quant.QuantArithmetic.fakeQuantizeS8Range computes it (the Java twin): the float quotient,
// rint to nearest even, the zero point added in float, NaN clamped to -128 (fmaxf keeps the non-NaN operand). So every
// variant is bit-identical to the twin. The backward is g where the mask is 1 and +0 where it is 0 (a select).
#ifndef NNCOMPRESS_FAKEQUANT_F32_H
#define NNCOMPRESS_FAKEQUANT_F32_H

#include <cstdint>

namespace nnc {

void fake_quantize_s8_scalar(const float* x, float* y, uint8_t* mask, int64_t n, float scale, float zero_point);
void fake_quantize_s8_avx512(const float* x, float* y, uint8_t* mask, int64_t n, float scale, float zero_point);

void fake_quantize_backward_scalar(const float* g, const uint8_t* mask, float* dx, int64_t n);
void fake_quantize_backward_avx512(const float* g, const uint8_t* mask, float* dx, int64_t n);

// min and max of x[0, n), n >= 1; false when a value is NaN or infinite. Zeros: see min_max_zero_signs.
bool finite_min_max_scalar(const float* x, int64_t n, float* lo, float* hi);
bool finite_min_max_avx512(const float* x, int64_t n, float* lo, float* hi);

}  // namespace nnc

#endif

// AVX-512 (F, BW, VL) variant of fakequant_f32.h: 16 floats a step, the tail under a lane mask.
#include <immintrin.h>

#include "fakequant_f32.h"

namespace nnc {

namespace {

// One step of 16 lanes (those of `lanes`): the codes' arithmetic of the scalar twin, lane by lane.
inline void step(const float* x, float* y, uint8_t* mask, __mmask16 lanes, __m512 s, __m512 zp) {
    const __m512 lo = _mm512_set1_ps(-128.0f), hi = _mm512_set1_ps(127.0f);
    const __m512 q = _mm512_div_ps(_mm512_maskz_loadu_ps(lanes, x), s);                       // IEEE quotient, as Java's x / s
    const __m512 v = _mm512_add_ps(_mm512_roundscale_ps(q, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), zp);  // rint, + zp
    const __mmask16 in = _mm512_cmp_ps_mask(v, lo, _CMP_GE_OQ) & _mm512_cmp_ps_mask(v, hi, _CMP_LE_OQ);  // NaN: out
    const __m512 c = _mm512_min_ps(_mm512_max_ps(v, lo), hi);  // vmaxps gives its second operand for a NaN: -128, as fmaxf
    _mm512_mask_storeu_ps(y, lanes, _mm512_mul_ps(_mm512_sub_ps(c, zp), s));  // (code - zp) exact in float, then * s
    _mm_mask_storeu_epi8(mask, lanes, _mm_maskz_mov_epi8(in, _mm_set1_epi8(1)));
}

}  // namespace

void fake_quantize_s8_avx512(const float* x, float* y, uint8_t* mask, int64_t n, float scale, float zero_point) {
    const __m512 s = _mm512_set1_ps(scale), zp = _mm512_set1_ps(zero_point);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) step(x + i, y + i, mask + i, 0xFFFF, s, zp);
    if (i < n) step(x + i, y + i, mask + i, static_cast<__mmask16>((1u << (n - i)) - 1), s, zp);
}

void fake_quantize_backward_avx512(const float* g, const uint8_t* mask, float* dx, int64_t n) {
    int64_t i = 0;
    for (; i < n; i += 16) {
        const __mmask16 lanes = n - i >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << (n - i)) - 1);
        const __m128i m = _mm_maskz_loadu_epi8(lanes, mask + i);
        const __mmask16 pass = _mm_test_epi8_mask(m, m);  // mask byte != 0
        _mm512_mask_storeu_ps(dx + i, lanes, _mm512_maskz_loadu_ps(pass & lanes, g + i));  // g, or +0 where clamped
    }
}

bool finite_min_max_avx512(const float* x, int64_t n, float* lo, float* hi) {
    const __m512 big = _mm512_set1_ps(3.40282347e38f);
    __m512 mn = _mm512_set1_ps(__builtin_inff()), mx = _mm512_set1_ps(-__builtin_inff());
    __mmask16 bad = 0;
    for (int64_t i = 0; i < n; i += 16) {
        const __mmask16 lanes = n - i >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << (n - i)) - 1);
        const __m512 v = _mm512_maskz_loadu_ps(lanes, x + i);
        bad |= _mm512_mask_cmp_ps_mask(lanes, _mm512_abs_ps(v), big, _CMP_NLE_UQ);  // NaN or infinite
        mn = _mm512_mask_min_ps(mn, lanes, mn, v);
        mx = _mm512_mask_max_ps(mx, lanes, mx, v);
    }
    if (bad != 0) return false;
    *lo = _mm512_reduce_min_ps(mn);
    *hi = _mm512_reduce_max_ps(mx);
    return true;
}

}  // namespace nnc

// The AVX-512 VNNI microkernel (a 6 x 64 tile over segments of k) and its epilogue (the twin's ReLU,
// requantisation and per-16-column store), shared by the GEMM and the direct conv; included only by files
// compiled with the VNNI flags. `static inline`, as every helper in the headers
// here (see gemm_s8.h).
#ifndef NNCOMPRESS_GEMM_S8_AVX512VNNI_H
#define NNCOMPRESS_GEMM_S8_AVX512VNNI_H

#include <immintrin.h>

#include <cstring>

#include "gemm_s8.h"

namespace nnc {

// The twin's ReLU on 16 floats: v < 0 ? 0 : v, so NaN and -0 pass unchanged.
static inline __m512 relu16(__m512 v) {
    const __m512 zero = _mm512_setzero_ps();
    return _mm512_mask_mov_ps(v, _mm512_cmp_ps_mask(v, zero, _CMP_LT_OQ), zero);
}

// The twin's requantisation of 16 floats (QuantArithmetic.quantizeS8): clamp(rint(v / out_scale) + out_zp,
// -128, 127) with a true division and round-half-even; NaN fails both comparisons and becomes -128.
static inline __m512i requantize16(const Epilogue& e, __m512 v) {
    __m512 q = _mm512_div_ps(v, _mm512_set1_ps(e.out_scale));
    q = _mm512_roundscale_ps(q, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    q = _mm512_add_ps(q, _mm512_set1_ps(static_cast<float>(e.out_zp)));
    const __m512 lo = _mm512_set1_ps(-128.0f), hi = _mm512_set1_ps(127.0f);
    q = _mm512_mask_mov_ps(lo, _mm512_cmp_ps_mask(q, lo, _CMP_GE_OQ), q);
    q = _mm512_mask_mov_ps(hi, _mm512_cmp_ps_mask(q, hi, _CMP_LE_OQ), q);
    return _mm512_cvtps_epi32(q);
}

// The twin's ReLU (when set) and requantisation of 16 floats `v` (before the ReLU) into int32 codes.
//
// With e.fast (prepare_fast_requantize), the division v / out_scale becomes t = v * (1 / out_scale),
// which may differ from the quotient in its last bits, and is used only where that cannot change the
// rounded code: with u = 2^-24, |t - x| <= 2u|x| (x = v / out_scale, exact) and |fl(x) - x| <= u|x|, so
// for |x| < 1025, |t - fl(x)| < 3.01u * 1025 < 2^-12. rint(t) and rint(fl(x)) then differ only if a
// half-integer lies within 2^-12 of t; such vectors (|t - rint(t)| >= 0.5 - 2^-12, exact in float) take
// the division. For |t| >= 1024 both are clamped to the same end (|zp| <= 128). t - rint(t) is exact
// (the two are within a factor of 2, or rint(t) is 0). The clamp of rint(t) + zp to [-128, 127] is the
// clamp of rint(t) to [-128 - zp, 127 - zp] (small integers, exact), the ReLU folded in (no NaN here).
static inline __m512i codes16(const Epilogue& e, __m512 v) {
    if (e.fast) {
        const __m512 t = _mm512_mul_ps(v, _mm512_set1_ps(e.inv_out_scale));
        __m512 k = _mm512_roundscale_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        const __m512 d = _mm512_abs_ps(_mm512_sub_ps(t, k));
        if (_mm512_cmp_ps_mask(d, _mm512_set1_ps(0.5f - 0x1p-12f), _CMP_GE_OQ) == 0) {
            k = _mm512_min_ps(_mm512_max_ps(k, _mm512_set1_ps(e.fast_lo)), _mm512_set1_ps(e.fast_hi));
            return _mm512_add_epi32(_mm512_cvtps_epi32(k), _mm512_set1_epi32(e.out_zp));
        }
    }
    if (e.relu) v = relu16(v);
    return requantize16(e, v);
}

// Epilogue of 16 columns starting at c of one output row; `mask` selects the columns inside n.
static inline void store16(const Epilogue& e, Output out, size_t row, int c, __mmask16 mask, __m512i raw) {
    __m512i acc = _mm512_sub_epi32(raw, _mm512_loadu_si512(e.corr + c));
    size_t at = row * static_cast<size_t>(out.n) + static_cast<size_t>(c);
    if (e.mode == kS32) {
        _mm512_mask_storeu_epi32(static_cast<int32_t*>(out.base) + at, mask, acc);
        return;
    }
    __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), _mm512_loadu_ps(e.scale + c));
    if (e.bias != nullptr) v = _mm512_add_ps(v, _mm512_loadu_ps(e.bias + c));
    if (e.mode == kF32) {
        if (e.relu) v = relu16(v);
        _mm512_mask_storeu_ps(static_cast<float*>(out.base) + at, mask, v);
        return;
    }
    _mm_mask_storeu_epi8(static_cast<int8_t*>(out.base) + at, mask, _mm512_cvtepi32_epi8(codes16(e, v)));
}

static inline __mmask16 column_mask(int valid) { return valid >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << valid) - 1u); }

constexpr int kVnniPanel = 64;  // columns per packed B panel (4 zmm of 16 int32 sums)
constexpr int kVnniRows = 6;    // rows per microkernel tile

static inline int vnni_panel_width(int n, int p) { return min_int(kVnniPanel, round_up(n - p * kVnniPanel, 16)); }

// Accumulators are named variables, not an array: with a 6 x 4 array of __m512i GCC 12 keeps a copy
// of the sums on the stack up to date inside the k loop (19 stores per 24 vpdpbusd). Unused ones (MR < 6
// or NV < 4) are removed by the compiler.
#define NNC_ZERO_ROW(r) __m512i c##r##0 = _mm512_setzero_si512(), c##r##1 = c##r##0, c##r##2 = c##r##0, c##r##3 = c##r##0;
#define NNC_DP(r, v) \
    if constexpr (v < NV) c##r##v = _mm512_dpbusd_epi32(c##r##v, av, b##v);
#define NNC_STEP_ROW(r)                                                          \
    if constexpr (r < MR) {                                                      \
        int32_t four;                                                            \
        std::memcpy(&four, a##r + static_cast<size_t>(g) * 4, 4);                \
        const __m512i av = _mm512_set1_epi32(four);                              \
        NNC_DP(r, 0) NNC_DP(r, 1) NNC_DP(r, 2) NNC_DP(r, 3)                      \
    }
#define NNC_ROW_AT(r) const uint8_t* a##r = r < MR ? rows[r] + seg : nullptr;
// The fast S8 epilogue of accumulator c<r><v> (codes16's multiply path, without its per-vector guard): codes
// stored, and the lanes whose product lies within 2^-12 of a half-integer added to `near` (the caller then
// redoes the tile through store16, which divides there).
#define NNC_FAST(r, v)                                                                                              \
    if constexpr (r < MR && v < NV) {                                                                              \
        const __m512 y = _mm512_add_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(c##r##v, corr##v)), scale##v), bias##v); \
        const __m512 t = _mm512_mul_ps(y, inv);                                                                     \
        const __m512 k = _mm512_roundscale_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);                    \
        near |= _mm512_cmp_ps_mask(_mm512_abs_ps(_mm512_sub_ps(t, k)), edge, _CMP_GE_OQ);                          \
        const __m512i q = _mm512_add_epi32(_mm512_cvtps_epi32(_mm512_min_ps(_mm512_max_ps(k, lo), hi)), zp);        \
        _mm_mask_storeu_epi8(base + (row0 + r) * static_cast<size_t>(out.n) + col0 + v * 16, mask##v, _mm512_cvtepi32_epi8(q)); \
    }
#define NNC_FAST_ROWS(v) NNC_FAST(0, v) NNC_FAST(1, v) NNC_FAST(2, v) NNC_FAST(3, v) NNC_FAST(4, v) NNC_FAST(5, v)
#define NNC_FAST_COLUMNS(v)                                                                                        \
    const int at##v = v < NV ? min_int(col0 + v * 16, out.n - 1) : col0;                                           \
    const __mmask16 mask##v = v < NV && col0 + v * 16 < n ? column_mask(n - col0 - v * 16) : 0;                     \
    const __m512i corr##v = _mm512_loadu_si512(e.corr + at##v);                                                    \
    const __m512 scale##v = _mm512_loadu_ps(e.scale + at##v);                                                      \
    const __m512 bias##v = e.bias != nullptr ? _mm512_loadu_ps(e.bias + at##v) : _mm512_setzero_ps();
#define NNC_SPILL(r, v) \
    if constexpr (r < MR && v < NV) _mm512_store_si512(sums[r][v], c##r##v);
#define NNC_SPILL_ROW(r) NNC_SPILL(r, 0) NNC_SPILL(r, 1) NNC_SPILL(r, 2) NNC_SPILL(r, 3)

// One MR x (NV * 16) tile (MR <= 6, NV <= 4) against one B panel, then the epilogue. Row r of A is read
// from rows[r] in `segs` segments of seg_groups 4-byte k groups, segment s at rows[r] + s * seg_stride: a
// packed A block is one segment per row (rows kp bytes apart); a direct conv reads kernel row ky of an
// output pixel from the padded input, kh segments one padded input row apart. B's k groups run on
// across the segments, in the same order.
template <int MR, int NV>
static void tile(const uint8_t* const* rows, size_t seg_stride, int segs, int seg_groups, const int8_t* panel, const Epilogue& e, Output out,
          size_t row0, int col0, int n) {
    NNC_ZERO_ROW(0) NNC_ZERO_ROW(1) NNC_ZERO_ROW(2) NNC_ZERO_ROW(3) NNC_ZERO_ROW(4) NNC_ZERO_ROW(5)
    const int8_t* bp = panel;
    for (int s = 0; s < segs; s++) {
        const size_t seg = static_cast<size_t>(s) * seg_stride;
        NNC_ROW_AT(0) NNC_ROW_AT(1) NNC_ROW_AT(2) NNC_ROW_AT(3) NNC_ROW_AT(4) NNC_ROW_AT(5)
        for (int g = 0; g < seg_groups; g++, bp += NV * 64) {
            const __m512i b0 = _mm512_load_si512(bp);
            const __m512i b1 = NV > 1 ? _mm512_load_si512(bp + 64) : b0;
            const __m512i b2 = NV > 2 ? _mm512_load_si512(bp + 128) : b0;
            const __m512i b3 = NV > 3 ? _mm512_load_si512(bp + 192) : b0;
            NNC_STEP_ROW(0) NNC_STEP_ROW(1) NNC_STEP_ROW(2) NNC_STEP_ROW(3) NNC_STEP_ROW(4) NNC_STEP_ROW(5)
        }
    }
    if (e.mode == kS8 && e.fast) {
        // the common case without a call or a branch per vector: the constants loaded once a tile, one guard test
        // a tile; adding +0.0 where there is no bias changes only -0 to +0, which rounds to the same code
        int8_t* const base = static_cast<int8_t*>(out.base);
        const __m512 inv = _mm512_set1_ps(e.inv_out_scale), lo = _mm512_set1_ps(e.fast_lo), hi = _mm512_set1_ps(e.fast_hi);
        const __m512 edge = _mm512_set1_ps(0.5f - 0x1p-12f);
        const __m512i zp = _mm512_set1_epi32(e.out_zp);
        __mmask16 near = 0;
        {
            NNC_FAST_COLUMNS(0)
            NNC_FAST_ROWS(0)
        }
        if constexpr (NV > 1) {
            NNC_FAST_COLUMNS(1)
            NNC_FAST_ROWS(1)
        }
        if constexpr (NV > 2) {
            NNC_FAST_COLUMNS(2)
            NNC_FAST_ROWS(2)
        }
        if constexpr (NV > 3) {
            NNC_FAST_COLUMNS(3)
            NNC_FAST_ROWS(3)
        }
        if (near == 0) return;
    }
    alignas(64) int32_t sums[MR][NV][16];
    NNC_SPILL_ROW(0) NNC_SPILL_ROW(1) NNC_SPILL_ROW(2) NNC_SPILL_ROW(3) NNC_SPILL_ROW(4) NNC_SPILL_ROW(5)
    for (int r = 0; r < MR; r++) {
        for (int v = 0; v < NV; v++) {
            int c = col0 + v * 16;
            if (c < n) store16(e, out, row0 + r, c, column_mask(n - c), _mm512_load_si512(sums[r][v]));
        }
    }
}

using TileFn = void (*)(const uint8_t* const*, size_t, int, int, const int8_t*, const Epilogue&, Output, size_t, int, int);

template <int MR>
static constexpr TileFn tile_for(int nv) {
    return nv == 1 ? tile<MR, 1> : nv == 2 ? tile<MR, 2> : nv == 3 ? tile<MR, 3> : tile<MR, 4>;
}

static inline TileFn tile_fn(int mr, int nv) {
    switch (mr) {
        case 1: return tile_for<1>(nv);
        case 2: return tile_for<2>(nv);
        case 3: return tile_for<3>(nv);
        case 4: return tile_for<4>(nv);
        case 5: return tile_for<5>(nv);
        default: return tile_for<6>(nv);
    }
}

}  // namespace nnc

#endif

// AVX-512 VNNI int8 GEMM (compiled with -mavx512f -mavx512bw -mavx512vl -mavx512vnni; called only
// when the CPU has them). vpdpbusd multiplies unsigned by signed bytes, so A is shifted to unsigned
// (a ^ 0x80 = a + 128) and the epilogue's correction removes 128 * rowSum(B) again, exact in int32.
//
// Blocking: B is packed once into panels of 64 columns; within a panel, k runs in groups of 4 and each
// group holds 64 columns x 4 bytes, i.e. four zmm registers, one vpdpbusd operand each. A is packed
// per call in blocks of rows that fit L2 (shifted, k padded to a multiple of 4). The microkernel keeps
// a 6 x 64 tile of int32 sums in 24 zmm registers over the whole of k and applies the epilogue
// straight from them, so no partial sums go through memory.
#include <immintrin.h>

#include <cstring>

#include "gemm_s8.h"

namespace nnc {

namespace {

constexpr int kPanel = 64;               // columns per packed panel (4 zmm of 16 int32 sums)
constexpr int kRows = 6;                 // rows per microkernel tile
constexpr int kBlockBytes = 192 * 1024;  // packed A block: leaves L2 room for the B panel

int panel_width(int n, int p) { return min_int(kPanel, round_up(n - p * kPanel, 16)); }

// Epilogue of 16 columns starting at c of one output row; `mask` selects the columns inside n.
inline void store16(const Epilogue& e, Output out, size_t row, int c, __mmask16 mask, __m512i raw) {
    __m512i acc = _mm512_sub_epi32(raw, _mm512_loadu_si512(e.corr + c));
    size_t at = row * static_cast<size_t>(out.n) + static_cast<size_t>(c);
    if (e.mode == kS32) {
        _mm512_mask_storeu_epi32(static_cast<int32_t*>(out.base) + at, mask, acc);
        return;
    }
    const __m512 zero = _mm512_setzero_ps();
    __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), _mm512_loadu_ps(e.scale + c));
    if (e.bias != nullptr) v = _mm512_add_ps(v, _mm512_loadu_ps(e.bias + c));
    if (e.relu) v = _mm512_mask_mov_ps(v, _mm512_cmp_ps_mask(v, zero, _CMP_LT_OQ), zero);  // NaN, -0 pass
    if (e.mode == kF32) {
        _mm512_mask_storeu_ps(static_cast<float*>(out.base) + at, mask, v);
        return;
    }
    __m512 q = _mm512_div_ps(v, _mm512_set1_ps(e.out_scale));
    q = _mm512_roundscale_ps(q, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    q = _mm512_add_ps(q, _mm512_set1_ps(static_cast<float>(e.out_zp)));
    const __m512 lo = _mm512_set1_ps(-128.0f), hi = _mm512_set1_ps(127.0f);
    q = _mm512_mask_mov_ps(lo, _mm512_cmp_ps_mask(q, lo, _CMP_GE_OQ), q);  // NaN fails the test: -128
    q = _mm512_mask_mov_ps(hi, _mm512_cmp_ps_mask(q, hi, _CMP_LE_OQ), q);
    _mm_mask_storeu_epi8(static_cast<int8_t*>(out.base) + at, mask, _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(q)));
}

inline __mmask16 column_mask(int valid) { return valid >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << valid) - 1u); }

// Accumulators are named variables, not an array: with a 6 x 4 array of __m512i GCC 12 keeps a copy
// of the sums on the stack up to date inside the k loop (19 stores per 24 vpdpbusd). Unused ones (MR < 6
// or NV < 4) are removed by the compiler.
#define NNC_ZERO_ROW(r) __m512i c##r##0 = _mm512_setzero_si512(), c##r##1 = c##r##0, c##r##2 = c##r##0, c##r##3 = c##r##0;
#define NNC_DP(r, v) \
    if constexpr (v < NV) c##r##v = _mm512_dpbusd_epi32(c##r##v, av, b##v);
#define NNC_STEP_ROW(r)                                                          \
    if constexpr (r < MR) {                                                      \
        int32_t four;                                                            \
        std::memcpy(&four, a + r * kp + static_cast<size_t>(g) * 4, 4);          \
        const __m512i av = _mm512_set1_epi32(four);                              \
        NNC_DP(r, 0) NNC_DP(r, 1) NNC_DP(r, 2) NNC_DP(r, 3)                      \
    }
#define NNC_SPILL(r, v) \
    if constexpr (r < MR && v < NV) _mm512_store_si512(sums[r][v], c##r##v);
#define NNC_SPILL_ROW(r) NNC_SPILL(r, 0) NNC_SPILL(r, 1) NNC_SPILL(r, 2) NNC_SPILL(r, 3)

// One MR x (NV * 16) tile (MR <= 6, NV <= 4): rows of packed A (kp bytes apart) against one B panel,
// over all k groups, then the epilogue.
template <int MR, int NV>
void tile(const uint8_t* a, size_t kp, const int8_t* panel, int groups, const Epilogue& e, Output out, size_t row0,
          int col0, int n) {
    NNC_ZERO_ROW(0) NNC_ZERO_ROW(1) NNC_ZERO_ROW(2) NNC_ZERO_ROW(3) NNC_ZERO_ROW(4) NNC_ZERO_ROW(5)
    const int8_t* bp = panel;
    for (int g = 0; g < groups; g++, bp += NV * 64) {
        const __m512i b0 = _mm512_load_si512(bp);
        const __m512i b1 = NV > 1 ? _mm512_load_si512(bp + 64) : b0;
        const __m512i b2 = NV > 2 ? _mm512_load_si512(bp + 128) : b0;
        const __m512i b3 = NV > 3 ? _mm512_load_si512(bp + 192) : b0;
        NNC_STEP_ROW(0) NNC_STEP_ROW(1) NNC_STEP_ROW(2) NNC_STEP_ROW(3) NNC_STEP_ROW(4) NNC_STEP_ROW(5)
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

using TileFn = void (*)(const uint8_t*, size_t, const int8_t*, int, const Epilogue&, Output, size_t, int, int);

template <int MR>
constexpr TileFn tile_for(int nv) {
    return nv == 1 ? tile<MR, 1> : nv == 2 ? tile<MR, 2> : nv == 3 ? tile<MR, 3> : tile<MR, 4>;
}

TileFn tile_fn(int mr, int nv) {
    switch (mr) {
        case 1: return tile_for<1>(nv);
        case 2: return tile_for<2>(nv);
        case 3: return tile_for<3>(nv);
        case 4: return tile_for<4>(nv);
        case 5: return tile_for<5>(nv);
        default: return tile_for<6>(nv);
    }
}

// Rows of A shifted to unsigned, each padded with zeros to kp bytes (the padding meets B's zero padding).
void pack_rows(const int8_t* a, int rows, int k, size_t kp, uint8_t* dst) {
    const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
    for (int r = 0; r < rows; r++) {
        const int8_t* src = a + static_cast<size_t>(r) * static_cast<size_t>(k);
        uint8_t* d = dst + static_cast<size_t>(r) * kp;
        int i = 0;
        for (; i + 64 <= k; i += 64) _mm512_storeu_si512(d + i, _mm512_xor_si512(_mm512_loadu_si512(src + i), flip));
        if (i < k) {
            __mmask64 m = (~0ULL) >> (64 - (k - i));
            _mm512_mask_storeu_epi8(d + i, m, _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, src + i), flip));
        }
        for (size_t p = static_cast<size_t>(k); p < kp; p++) d[p] = 0;
    }
}

}  // namespace

bool pack_avx512vnni(const int8_t* b, PackedB& packed) {
    const int n = packed.n, k = packed.k, kp = round_up(k, 4);
    packed.bytes = static_cast<size_t>(round_up(n, 16)) * static_cast<size_t>(kp);
    packed.data = static_cast<int8_t*>(aligned_bytes(packed.bytes));
    if (packed.data == nullptr) return false;
    std::memset(packed.data, 0, packed.bytes);
    for (int p = 0; p * kPanel < n; p++) {
        const int w = panel_width(n, p);
        int8_t* panel = packed.data + static_cast<size_t>(p) * kPanel * static_cast<size_t>(kp);
        for (int c = 0; c < w && p * kPanel + c < n; c++) {
            const int8_t* src = b + static_cast<size_t>(p * kPanel + c) * static_cast<size_t>(k);
            for (int i = 0; i < k; i++) panel[(static_cast<size_t>(i / 4) * w + c) * 4 + i % 4] = src[i];
        }
    }
    return true;
}

bool gemm_avx512vnni(const int8_t* a, int m, const PackedB& b, const Epilogue& e, Output out) {
    const int n = b.n, k = b.k, kp = round_up(k, 4), groups = kp / 4;
    int block = (kBlockBytes / kp) / kRows * kRows;
    if (block < kRows) block = kRows;
    block = min_int(block, round_up(m, kRows));
    uint8_t* ablock = static_cast<uint8_t*>(aligned_bytes(static_cast<size_t>(block) * kp));
    if (ablock == nullptr) return false;
    for (int m0 = 0; m0 < m; m0 += block) {
        const int rows = min_int(block, m - m0);
        pack_rows(a + static_cast<size_t>(m0) * k, rows, k, static_cast<size_t>(kp), ablock);
        for (int p = 0; p * kPanel < n; p++) {
            const int w = panel_width(n, p);
            const int8_t* panel = b.data + static_cast<size_t>(p) * kPanel * static_cast<size_t>(kp);
            for (int r = 0; r < rows; r += kRows) {
                const int mr = min_int(kRows, rows - r);
                tile_fn(mr, w / 16)(ablock + static_cast<size_t>(r) * kp, static_cast<size_t>(kp), panel, groups, e, out,
                                    static_cast<size_t>(m0 + r), p * kPanel, n);
            }
        }
    }
    free_aligned(ablock);
    return true;
}

}  // namespace nnc

// AVX2 int8 GEMM (compiled with -mavx2; called only when the CPU has it). vpmaddubsw would saturate
// its int16 pair sums for some u8 x s8 inputs, so both operands are sign-extended to int16 and
// multiplied with vpmaddwd (int16 x int16 pairs summed into int32), which is exact.
//
// B is packed once into panels of 16 columns; within a panel, k runs in pairs and each pair holds
// 16 columns x 2 int16, two ymm registers. A is sign-extended per call in blocks of rows that fit L2.
// The microkernel keeps a 4 x 16 tile of int32 sums in 8 ymm registers over the whole of k.
#include <immintrin.h>

#include <cstring>

#include "gemm_s8.h"

namespace nnc {

namespace {

constexpr int kPanel = 16;               // columns per packed panel (2 ymm of 8 int32 sums)
constexpr int kRows = 4;                 // rows per microkernel tile
constexpr int kBlockBytes = 192 * 1024;  // sign-extended A block

int panel_width(int n, int p) { return min_int(kPanel, round_up(n - p * kPanel, 8)); }

// Epilogue of 8 columns starting at c of one output row; only `valid` (1..8) of them are written.
inline void store8(const Epilogue& e, Output out, size_t row, int c, int valid, __m256i raw) {
    __m256i acc = _mm256_sub_epi32(raw, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(e.corr + c)));
    size_t at = row * static_cast<size_t>(out.n) + static_cast<size_t>(c);
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(valid), lanes);
    if (e.mode == kS32) {
        _mm256_maskstore_epi32(static_cast<int32_t*>(out.base) + at, mask, acc);
        return;
    }
    const __m256 zero = _mm256_setzero_ps();
    __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(acc), _mm256_loadu_ps(e.scale + c));
    if (e.bias != nullptr) v = _mm256_add_ps(v, _mm256_loadu_ps(e.bias + c));
    if (e.relu) v = _mm256_blendv_ps(v, zero, _mm256_cmp_ps(v, zero, _CMP_LT_OQ));  // NaN, -0 pass
    if (e.mode == kF32) {
        _mm256_maskstore_ps(static_cast<float*>(out.base) + at, mask, v);
        return;
    }
    __m256 q = _mm256_div_ps(v, _mm256_set1_ps(e.out_scale));
    q = _mm256_round_ps(q, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    q = _mm256_add_ps(q, _mm256_set1_ps(static_cast<float>(e.out_zp)));
    const __m256 lo = _mm256_set1_ps(-128.0f), hi = _mm256_set1_ps(127.0f);
    q = _mm256_blendv_ps(lo, q, _mm256_cmp_ps(q, lo, _CMP_GE_OQ));  // NaN fails the test: -128
    q = _mm256_blendv_ps(hi, q, _mm256_cmp_ps(q, hi, _CMP_LE_OQ));
    // low byte of each int32, lane by lane, then the two 4-byte halves side by side
    const __m256i pick = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                          0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    __m256i bytes = _mm256_shuffle_epi8(_mm256_cvtps_epi32(q), pick);
    uint32_t halves[2] = {static_cast<uint32_t>(_mm_cvtsi128_si32(_mm256_castsi256_si128(bytes))),
                          static_cast<uint32_t>(_mm_cvtsi128_si32(_mm256_extracti128_si256(bytes, 1)))};
    std::memcpy(static_cast<int8_t*>(out.base) + at, halves, static_cast<size_t>(valid));
}

// Accumulators are named variables, not an array (see gemm_s8_avx512vnni.cpp: GCC keeps arrays of
// vector sums partly on the stack inside the k loop).
#define NNC_ZERO_ROW(r) __m256i c##r##0 = _mm256_setzero_si256(), c##r##1 = c##r##0;
#define NNC_MADD(r, v) \
    if constexpr (v < NV) c##r##v = _mm256_add_epi32(c##r##v, _mm256_madd_epi16(av, b##v));
#define NNC_STEP_ROW(r)                                                      \
    if constexpr (r < MR) {                                                  \
        int32_t two;                                                         \
        std::memcpy(&two, a + r * kp + static_cast<size_t>(g) * 2, 4);      \
        const __m256i av = _mm256_set1_epi32(two);                           \
        NNC_MADD(r, 0) NNC_MADD(r, 1)                                        \
    }
#define NNC_SPILL(r, v) \
    if constexpr (r < MR && v < NV) _mm256_store_si256(reinterpret_cast<__m256i*>(sums[r][v]), c##r##v);

// One MR x (NV * 8) tile (MR <= 4, NV <= 2): rows of sign-extended A (kp int16 apart) against one B
// panel, over all k pairs, then the epilogue.
template <int MR, int NV>
void tile(const int16_t* a, size_t kp, const int16_t* panel, int pairs, const Epilogue& e, Output out, size_t row0,
          int col0, int n) {
    NNC_ZERO_ROW(0) NNC_ZERO_ROW(1) NNC_ZERO_ROW(2) NNC_ZERO_ROW(3)
    const int16_t* bp = panel;
    for (int g = 0; g < pairs; g++, bp += NV * 16) {
        const __m256i b0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(bp));
        const __m256i b1 = NV > 1 ? _mm256_load_si256(reinterpret_cast<const __m256i*>(bp + 16)) : b0;
        NNC_STEP_ROW(0) NNC_STEP_ROW(1) NNC_STEP_ROW(2) NNC_STEP_ROW(3)
    }
    alignas(32) int32_t sums[MR][NV][8];
    NNC_SPILL(0, 0) NNC_SPILL(0, 1) NNC_SPILL(1, 0) NNC_SPILL(1, 1) NNC_SPILL(2, 0) NNC_SPILL(2, 1) NNC_SPILL(3, 0) NNC_SPILL(3, 1)
    for (int r = 0; r < MR; r++) {
        for (int v = 0; v < NV; v++) {
            int c = col0 + v * 8;
            if (c < n) store8(e, out, row0 + r, c, min_int(8, n - c), _mm256_load_si256(reinterpret_cast<const __m256i*>(sums[r][v])));
        }
    }
}

using TileFn = void (*)(const int16_t*, size_t, const int16_t*, int, const Epilogue&, Output, size_t, int, int);

TileFn tile_fn(int mr, int nv) {
    switch (mr) {
        case 1: return nv == 1 ? tile<1, 1> : tile<1, 2>;
        case 2: return nv == 1 ? tile<2, 1> : tile<2, 2>;
        case 3: return nv == 1 ? tile<3, 1> : tile<3, 2>;
        default: return nv == 1 ? tile<4, 1> : tile<4, 2>;
    }
}

void widen_rows(const int8_t* a, int rows, int k, size_t kp, int16_t* dst) {
    for (int r = 0; r < rows; r++) {
        const int8_t* src = a + static_cast<size_t>(r) * static_cast<size_t>(k);
        int16_t* d = dst + static_cast<size_t>(r) * kp;
        int i = 0;
        for (; i + 16 <= k; i += 16) {
            __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(d + i), _mm256_cvtepi8_epi16(bytes));
        }
        for (; i < k; i++) d[i] = src[i];
        for (size_t p = static_cast<size_t>(k); p < kp; p++) d[p] = 0;
    }
}

}  // namespace

bool pack_avx2(const int8_t* b, PackedB& packed) {
    const int n = packed.n, k = packed.k, kp = round_up(k, 2);
    packed.bytes = static_cast<size_t>(round_up(n, 8)) * static_cast<size_t>(kp) * sizeof(int16_t);
    packed.data = static_cast<int8_t*>(aligned_bytes(packed.bytes));
    if (packed.data == nullptr) return false;
    std::memset(packed.data, 0, packed.bytes);
    int16_t* data = reinterpret_cast<int16_t*>(packed.data);
    for (int p = 0; p * kPanel < n; p++) {
        const int w = panel_width(n, p);
        int16_t* panel = data + static_cast<size_t>(p) * kPanel * static_cast<size_t>(kp);
        for (int c = 0; c < w && p * kPanel + c < n; c++) {
            const int8_t* src = b + static_cast<size_t>(p * kPanel + c) * static_cast<size_t>(k);
            for (int i = 0; i < k; i++) panel[(static_cast<size_t>(i / 2) * w + c) * 2 + i % 2] = src[i];
        }
    }
    return true;
}

bool gemm_avx2(const int8_t* a, int m, const PackedB& b, const Epilogue& e, Output out) {
    const int n = b.n, k = b.k, kp = round_up(k, 2), pairs = kp / 2;
    int block = (kBlockBytes / (kp * 2)) / kRows * kRows;
    if (block < kRows) block = kRows;
    block = min_int(block, round_up(m, kRows));
    int16_t* ablock = static_cast<int16_t*>(aligned_bytes(static_cast<size_t>(block) * kp * sizeof(int16_t)));
    if (ablock == nullptr) return false;
    const int16_t* data = reinterpret_cast<const int16_t*>(b.data);
    for (int m0 = 0; m0 < m; m0 += block) {
        const int rows = min_int(block, m - m0);
        widen_rows(a + static_cast<size_t>(m0) * k, rows, k, static_cast<size_t>(kp), ablock);
        for (int p = 0; p * kPanel < n; p++) {
            const int w = panel_width(n, p);
            const int16_t* panel = data + static_cast<size_t>(p) * kPanel * static_cast<size_t>(kp);
            for (int r = 0; r < rows; r += kRows) {
                const int mr = min_int(kRows, rows - r);
                tile_fn(mr, w / 8)(ablock + static_cast<size_t>(r) * kp, static_cast<size_t>(kp), panel, pairs, e, out,
                                   static_cast<size_t>(m0 + r), p * kPanel, n);
            }
        }
    }
    free_aligned(ablock);
    return true;
}

}  // namespace nnc

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

#include <algorithm>
#include <cstring>

#include "gemm_s8.h"
#include "gemm_s8_avx512vnni.h"
#include "im2col_s8.h"

namespace nnc {

namespace {

constexpr int kPanel = kVnniPanel;
constexpr int kRows = kVnniRows;
constexpr int kBlockBytes = 192 * 1024;  // packed A block: leaves L2 room for the B panel

int panel_width(int n, int p) { return vnni_panel_width(n, p); }

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


// ---- small n (1..8): several rows per register ----
//
// With n <= 8 a 16-lane register of a 64-column panel would hold at most 8 useful sums. Here one
// register holds R = 2 rows x 8 columns (n 5..8) or R = 4 rows x 4 columns (n 1..4): lane l is row
// l % R, column l / R. A is packed so that the R rows' 4-byte k groups sit side by side (one 8- or
// 16-byte broadcast feeds all lanes); B holds per k group the 16 lanes' 4 bytes (column l / R). The
// epilogue runs on per-lane constants, then a permutation puts the R rows in row-major order, which
// are contiguous in the output (R * n elements, one masked store).

constexpr int kSmallTile = 8;  // registers (of R rows each) per small-n tile

inline int small_rows(int n) { return n <= 4 ? 4 : 2; }

void pack_small_b(const int8_t* b, int n, int k, int8_t* dst) {
    const int r = small_rows(n), groups = round_up(k, 4) / 4;
    for (int g = 0; g < groups; g++) {
        for (int lane = 0; lane < 16; lane++) {
            const int c = lane / r;
            for (int j = 0; j < 4; j++) {
                const int i = g * 4 + j;
                dst[(static_cast<size_t>(g) * 16 + lane) * 4 + j] = c < n && i < k ? b[static_cast<size_t>(c) * k + i] : 0;
            }
        }
    }
}

// Rows of A shifted to unsigned, k padded with zeros to groups * 4, R rows interleaved per k group:
// dst[((row / R) * groups + g) * R * 4 + (row % R) * 4 + j]; rows [rows, round_up(rows, R)) are zeros.
// The interleaving is done by dword/qword permutes in registers, 64 bytes of k at a time (a store to a
// stack buffer read back in 4-byte pieces stalls on store forwarding and cost more than the GEMM).
inline void store_bytes(uint8_t* d, __m512i v, int count) {
    if (count <= 0) return;
    _mm512_mask_storeu_epi8(d, count >= 64 ? ~0ULL : (~0ULL) >> (64 - count), v);
}

template <int R>
void pack_rows_interleaved(const int8_t* a, int rows, int k, int groups, uint8_t* dst) {
    const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
    // dword j of the result: row j % 2, dword (group) j / 2 (+ 8 for the upper half)
    const __m512i pair_lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i pair_hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    // qword j: pair j % 2 (rows 0-1 or 2-3), group j / 2 (+ 4)
    const __m512i quad_lo = _mm512_setr_epi64(0, 8, 1, 9, 2, 10, 3, 11);
    const __m512i quad_hi = _mm512_setr_epi64(4, 12, 5, 13, 6, 14, 7, 15);
    const size_t group_bytes = static_cast<size_t>(groups) * R * 4;
    for (int r0 = 0; r0 < rows; r0 += R) {
        uint8_t* base = dst + static_cast<size_t>(r0 / R) * group_bytes;
        for (int i0 = 0; i0 < groups * 4; i0 += 64) {
            __m512i v[R];
            for (int i = 0; i < R; i++) {
                const int len = r0 + i < rows ? min_int(64, k - i0) : 0;
                const __mmask64 m = len <= 0 ? 0 : len >= 64 ? ~0ULL : (~0ULL) >> (64 - len);
                // padding (k beyond the row, rows beyond m) must be 0 after the flip: load 0x80 there
                v[i] = _mm512_xor_si512(_mm512_mask_loadu_epi8(flip, m, a + static_cast<size_t>(r0 + i) * k + i0), flip);
            }
            const int gs = min_int(16, groups - i0 / 4);  // k groups in this 64-byte chunk
            uint8_t* d = base + static_cast<size_t>(i0) * R;
            const __m512i p_lo = _mm512_permutex2var_epi32(v[0], pair_lo, v[1]);
            const __m512i p_hi = _mm512_permutex2var_epi32(v[0], pair_hi, v[1]);
            if constexpr (R == 2) {
                store_bytes(d, p_lo, min_int(gs, 8) * 8);
                store_bytes(d + 64, p_hi, (gs - 8) * 8);
            } else {
                const __m512i q_lo = _mm512_permutex2var_epi32(v[2], pair_lo, v[3]);
                const __m512i q_hi = _mm512_permutex2var_epi32(v[2], pair_hi, v[3]);
                store_bytes(d, _mm512_permutex2var_epi64(p_lo, quad_lo, q_lo), min_int(gs, 4) * 16);
                store_bytes(d + 64, _mm512_permutex2var_epi64(p_lo, quad_hi, q_lo), min_int(gs - 4, 4) * 16);
                store_bytes(d + 128, _mm512_permutex2var_epi64(p_hi, quad_lo, q_hi), min_int(gs - 8, 4) * 16);
                store_bytes(d + 192, _mm512_permutex2var_epi64(p_hi, quad_hi, q_hi), (gs - 12) * 16);
            }
        }
    }
}

template <int R>
inline __m512i broadcast_rows(const uint8_t* p) {
    if constexpr (R == 2) {
        int64_t eight;
        std::memcpy(&eight, p, 8);
        return _mm512_set1_epi64(eight);
    } else {
        return _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    }
}

// Per-lane epilogue constants (lane l: column l / R; columns >= n: corr 0, scale 1, bias 0).
struct SmallLanes {
    __m512i corr;
    __m512 scale, bias;
    __m512i order;  // output position p = row * n + col <- lane row + col * R
};

// Epilogue of one register (R rows from `row`, `valid_rows` of them inside m), stored row-major.
template <int R>
inline void store_small(const Epilogue& e, const SmallLanes& l, Output out, size_t row, int valid_rows, int n, __m512i raw) {
    __m512i acc = _mm512_sub_epi32(raw, l.corr);
    const int count = valid_rows * n;
    const __mmask16 mask = static_cast<__mmask16>((1u << count) - 1u);
    const size_t at = row * static_cast<size_t>(out.n);
    if (e.mode == kS32) {
        _mm512_mask_storeu_epi32(static_cast<int32_t*>(out.base) + at, mask, _mm512_permutexvar_epi32(l.order, acc));
        return;
    }
    __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), l.scale);
    if (e.bias != nullptr) v = _mm512_add_ps(v, l.bias);
    if (e.mode == kF32) {
        if (e.relu) v = relu16(v);
        _mm512_mask_storeu_ps(static_cast<float*>(out.base) + at, mask, _mm512_permutexvar_ps(l.order, v));
        return;
    }
    const __m512i codes = _mm512_permutexvar_epi32(l.order, codes16(e, v));
    _mm_mask_storeu_epi8(static_cast<int8_t*>(out.base) + at, mask, _mm512_cvtepi32_epi8(codes));
}

#define NNC_SMALL_ZERO(t) __m512i s##t = _mm512_setzero_si512();
#define NNC_SMALL_DP(t) \
    if constexpr (t < MT) s##t = _mm512_dpbusd_epi32(s##t, broadcast_rows<R>(a + (static_cast<size_t>(t) * groups + g) * R * 4), bv);
#define NNC_SMALL_STORE(t)                                                                       \
    if constexpr (t < MT) {                                                                      \
        const int left = rows - t * R;                                                           \
        if (left > 0) store_small<R>(e, l, out, row0 + static_cast<size_t>(t) * R, min_int(R, left), n, s##t); \
    }

// MT registers of R rows each (rows <= MT * R of them inside m) over all k groups, then the epilogue.
template <int R, int MT>
void small_tile(const uint8_t* a, int groups, const int8_t* bp, const Epilogue& e, const SmallLanes& l, Output out, size_t row0,
                int rows, int n) {
    NNC_SMALL_ZERO(0) NNC_SMALL_ZERO(1) NNC_SMALL_ZERO(2) NNC_SMALL_ZERO(3)
    NNC_SMALL_ZERO(4) NNC_SMALL_ZERO(5) NNC_SMALL_ZERO(6) NNC_SMALL_ZERO(7)
    for (int g = 0; g < groups; g++) {
        const __m512i bv = _mm512_load_si512(bp + static_cast<size_t>(g) * 64);
        NNC_SMALL_DP(0) NNC_SMALL_DP(1) NNC_SMALL_DP(2) NNC_SMALL_DP(3) NNC_SMALL_DP(4) NNC_SMALL_DP(5) NNC_SMALL_DP(6) NNC_SMALL_DP(7)
    }
    NNC_SMALL_STORE(0) NNC_SMALL_STORE(1) NNC_SMALL_STORE(2) NNC_SMALL_STORE(3)
    NNC_SMALL_STORE(4) NNC_SMALL_STORE(5) NNC_SMALL_STORE(6) NNC_SMALL_STORE(7)
}

template <int R>
bool gemm_small(const int8_t* a, int m, const PackedB& b, const Epilogue& e, Output out) {
    const int n = b.n, k = b.k, groups = round_up(k, 4) / 4;
    alignas(64) int32_t corr[16];
    alignas(64) float scale[16], bias[16];
    alignas(64) int32_t order[16];
    for (int lane = 0; lane < 16; lane++) {
        const int c = lane / R;
        corr[lane] = c < n ? e.corr[c] : 0;
        scale[lane] = c < n && e.scale != nullptr ? e.scale[c] : 1.0f;
        bias[lane] = c < n && e.bias != nullptr ? e.bias[c] : 0.0f;
        order[lane] = lane < R * n ? (lane % n) * R + lane / n : 0;
    }
    const SmallLanes l{_mm512_load_si512(corr), _mm512_load_ps(scale), _mm512_load_ps(bias), _mm512_load_si512(order)};
    const int tile_rows = kSmallTile * R;
    int block = (kBlockBytes / (groups * 4)) / tile_rows * tile_rows;
    if (block < tile_rows) block = tile_rows;
    block = min_int(block, round_up(m, tile_rows));
    uint8_t* ablock = static_cast<uint8_t*>(aligned_bytes(static_cast<size_t>(block) * groups * 4));
    if (ablock == nullptr) return false;
    for (int m0 = 0; m0 < m; m0 += block) {
        const int rows = min_int(block, m - m0);
        pack_rows_interleaved<R>(a + static_cast<size_t>(m0) * k, rows, k, groups, ablock);
        for (int r = 0; r < rows; r += tile_rows) {
            small_tile<R, kSmallTile>(ablock + static_cast<size_t>(r) * groups * 4, groups, b.data, e, l, out, static_cast<size_t>(m0 + r),
                                      min_int(tile_rows, rows - r), n);
        }
    }
    free_aligned(ablock);
    return true;
}

}  // namespace

bool pack_avx512vnni(const int8_t* b, PackedB& packed) {
    const int n = packed.n, k = packed.k, kp = round_up(k, 4);
    if (n <= 8) {  // the small-n layout: 16 lanes per k group
        packed.bytes = static_cast<size_t>(kp / 4) * 64;
        packed.data = static_cast<int8_t*>(aligned_bytes(packed.bytes));
        if (packed.data == nullptr) return false;
        pack_small_b(b, n, k, packed.data);
        return true;
    }
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

namespace {

// The tiles of `rows` rows of packed A (kp bytes each, shifted to unsigned) against every B panel; the
// output rows start at out row `row0`.
void run_tiles(const uint8_t* ablock, int rows, const PackedB& b, const Epilogue& e, Output out, size_t row0) {
    const int n = b.n, kp = round_up(b.k, 4), groups = kp / 4;
    for (int p = 0; p * kPanel < n; p++) {
        const int w = panel_width(n, p);
        const int8_t* panel = b.data + static_cast<size_t>(p) * kPanel * static_cast<size_t>(kp);
        for (int r = 0; r < rows; r += kRows) {
            const int mr = min_int(kRows, rows - r);
            const uint8_t* a[kRows];
            for (int i = 0; i < kRows; i++) a[i] = ablock + static_cast<size_t>(r + min_int(i, mr - 1)) * kp;
            tile_fn(mr, w / 16)(a, 0, 1, groups, panel, e, out, row0 + static_cast<size_t>(r), p * kPanel, n);
        }
    }
}

}  // namespace

bool gemm_avx512vnni(const int8_t* a, int m, const PackedB& b, const Epilogue& e, Output out) {
    if (b.n <= 8) return b.n <= 4 ? gemm_small<4>(a, m, b, e, out) : gemm_small<2>(a, m, b, e, out);
    const int k = b.k, kp = round_up(k, 4);
    int block = (kBlockBytes / kp) / kRows * kRows;
    if (block < kRows) block = kRows;
    block = min_int(block, round_up(m, kRows));
    uint8_t* ablock = static_cast<uint8_t*>(aligned_bytes(static_cast<size_t>(block) * kp));
    if (ablock == nullptr) return false;
    for (int m0 = 0; m0 < m; m0 += block) {
        const int rows = min_int(block, m - m0);
        pack_rows(a + static_cast<size_t>(m0) * k, rows, k, static_cast<size_t>(kp), ablock);
        run_tiles(ablock, rows, b, e, out, static_cast<size_t>(m0));
    }
    free_aligned(ablock);
    return true;
}

bool gemm_prepacked_applies(const PackedB& b) { return b.variant == kAvx512Vnni && b.n > 8 && b.k % 4 == 0; }

void gemm_avx512vnni_prepacked(const uint8_t* a, int m, const PackedB& b, const Epilogue& e, Output out) {
    run_tiles(a, m, b, e, out, 0);
}

}  // namespace nnc

// ---- one input channel: direct convolution ----
//
// A first layer over a one-channel image (c = 1, e.g. 3x3 on 28x28) has k = kh * kw <= 16 and n of 8..64:
// im2col plus packing cost more than its multiply-adds. Here 16 output pixels of one line sit in the 16
// lanes; for kernel row ky, lane i holds the 4 input bytes from pixel ox + i (kw <= 4 of them used: B's
// dword for (channel, ky) is its kw weights then zeros, so the extra bytes multiply 0), cut out of one
// 64-byte load of the padded input row by two in-lane shuffles. One register per output channel sums
// over ky; the epilogue runs per channel on broadcast constants, then an 8 x 16 byte transpose gives
// each pixel its 8 channels.

namespace nnc {

namespace {

constexpr int kC1MaxKh = 8;

// Lane i of the result: bytes [i, i + 4) of the 64 loaded from p (shifted to unsigned).
inline __m512i c1_windows(const int8_t* p) {
    const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
    const __m512i dwords = _mm512_setr_epi32(0, 1, 2, 3, 1, 2, 3, 4, 2, 3, 4, 5, 3, 4, 5, 6);
    const __m512i bytes = _mm512_broadcast_i32x4(_mm_setr_epi8(0, 1, 2, 3, 1, 2, 3, 4, 2, 3, 4, 5, 3, 4, 5, 6));
    const __m512i v = _mm512_xor_si512(_mm512_loadu_si512(p), flip);
    return _mm512_shuffle_epi8(_mm512_permutexvar_epi32(dwords, v), bytes);
}

// S8 epilogue of one channel's 16 pixel sums: 16 codes.
inline __m128i c1_codes(const Epilogue& e, int j, __m512i raw) {
    __m512i acc = _mm512_sub_epi32(raw, _mm512_set1_epi32(e.corr[j]));
    __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), _mm512_set1_ps(e.scale[j]));
    if (e.bias != nullptr) v = _mm512_add_ps(v, _mm512_set1_ps(e.bias[j]));
    return _mm512_cvtepi32_epi8(codes16(e, v));
}

// Channels j0..j0+7 of `valid` pixels from x[0..7] (x[c] = channel j0 + c, 16 pixels), 8 bytes per pixel
// at out + pixel * n.
inline void c1_store8(const __m128i* x, int8_t* out, int n, int valid) {
    const __m128i t0 = _mm_unpacklo_epi8(x[0], x[1]), t1 = _mm_unpackhi_epi8(x[0], x[1]);
    const __m128i t2 = _mm_unpacklo_epi8(x[2], x[3]), t3 = _mm_unpackhi_epi8(x[2], x[3]);
    const __m128i t4 = _mm_unpacklo_epi8(x[4], x[5]), t5 = _mm_unpackhi_epi8(x[4], x[5]);
    const __m128i t6 = _mm_unpacklo_epi8(x[6], x[7]), t7 = _mm_unpackhi_epi8(x[6], x[7]);
    const __m128i u0 = _mm_unpacklo_epi16(t0, t2), u1 = _mm_unpackhi_epi16(t0, t2);  // pixels 0-3, 4-7: channels 0-3
    const __m128i u2 = _mm_unpacklo_epi16(t1, t3), u3 = _mm_unpackhi_epi16(t1, t3);  // pixels 8-11, 12-15
    const __m128i u4 = _mm_unpacklo_epi16(t4, t6), u5 = _mm_unpackhi_epi16(t4, t6);  // the same for channels 4-7
    const __m128i u6 = _mm_unpacklo_epi16(t5, t7), u7 = _mm_unpackhi_epi16(t5, t7);
    const __m128i pairs[8] = {_mm_unpacklo_epi32(u0, u4), _mm_unpackhi_epi32(u0, u4), _mm_unpacklo_epi32(u1, u5),
                              _mm_unpackhi_epi32(u1, u5), _mm_unpacklo_epi32(u2, u6), _mm_unpackhi_epi32(u2, u6),
                              _mm_unpacklo_epi32(u3, u7), _mm_unpackhi_epi32(u3, u7)};  // pixels 2q, 2q + 1
    for (int q = 0; q < 8 && 2 * q < valid; q++) {
        _mm_storel_epi64(reinterpret_cast<__m128i*>(out + static_cast<size_t>(2 * q) * n), pairs[q]);
        if (2 * q + 1 < valid) _mm_storeh_pd(reinterpret_cast<double*>(out + static_cast<size_t>(2 * q + 1) * n), _mm_castsi128_pd(pairs[q]));
    }
}

}  // namespace

bool conv_c1_applies(const ConvShape& s, const PackedB& b, int mode) {
    return mode == kS8 && s.c == 1 && s.stride_w == 1 && s.kw <= 4 && s.kh <= kC1MaxKh && b.n % 8 == 0 && b.n <= 64 && s.ow > 0;
}

bool conv_c1_avx512vnni(const int8_t* x, const ConvShape& s, int8_t pad, const PackedB& b, const Epilogue& e, Output out,
                        int line_from, int line_to) {
    const int n = b.n, kh = s.kh, kw = s.kw;
    // B as one dword per (channel, kernel row): kw weights, then zeros
    alignas(64) int32_t bw[64 * kC1MaxKh];
    for (int j = 0; j < n; j++) {
        for (int ky = 0; ky < kh; ky++) {
            uint8_t d[4] = {0, 0, 0, 0};
            for (int kx = 0; kx < kw; kx++) d[kx] = static_cast<uint8_t>(b.plain[static_cast<size_t>(j) * b.k + ky * kw + kx]);
            std::memcpy(&bw[j * kh + ky], d, 4);
        }
    }
    // padded input rows (positions -pad_w ..), 64 readable bytes past the last window start
    const int count = s.ow + kw - 1;
    const size_t stride = static_cast<size_t>(round_up(count + 64, 64));
    int8_t* rows = static_cast<int8_t*>(aligned_bytes(stride * static_cast<size_t>(kh + 1)));
    if (rows == nullptr) return false;
    int8_t* pad_row = rows + stride * static_cast<size_t>(kh);
    std::memset(pad_row, pad, stride);
    const int lo = min_int(s.pad_w, count);      // positions [0, lo) left of the image
    const int hi = std::max(lo, min_int(s.w + s.pad_w, count));  // [lo, hi) inside it
    for (int line = line_from; line < line_to; line++) {
        const int img = line / s.oh, oy = line % s.oh;
        const int8_t* src[kC1MaxKh];
        for (int ky = 0; ky < kh; ky++) {
            const int iy = oy * s.stride_h - s.pad_h + ky;
            if (iy < 0 || iy >= s.h) {
                src[ky] = pad_row;
                continue;
            }
            int8_t* r = rows + stride * static_cast<size_t>(ky);
            std::memset(r, pad, stride);
            std::memcpy(r + lo, x + (static_cast<size_t>(img) * s.h + iy) * s.w + (lo - s.pad_w), static_cast<size_t>(hi - lo));
            src[ky] = r;
        }
        int8_t* line_out = static_cast<int8_t*>(out.base) + static_cast<size_t>(line - line_from) * s.ow * n;
        for (int p0 = 0; p0 < s.ow; p0 += 16) {
            __m512i a[kC1MaxKh];
            for (int ky = 0; ky < kh; ky++) a[ky] = c1_windows(src[ky] + p0);
            for (int j0 = 0; j0 < n; j0 += 8) {
                __m128i codes[8];
                for (int jj = 0; jj < 8; jj++) {
                    __m512i acc = _mm512_setzero_si512();
                    for (int ky = 0; ky < kh; ky++) acc = _mm512_dpbusd_epi32(acc, a[ky], _mm512_set1_epi32(bw[(j0 + jj) * kh + ky]));
                    codes[jj] = c1_codes(e, j0 + jj, acc);
                }
                c1_store8(codes, line_out + static_cast<size_t>(p0) * n + j0, n, min_int(16, s.ow - p0));
            }
        }
    }
    free_aligned(rows);
    return true;
}

}  // namespace nnc

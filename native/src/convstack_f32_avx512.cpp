// The fp32 conv stack of convstack_f32.h with AVX-512F (compiled with -mavx512f; run only after the CPU said so).
// The conv is a direct one over a zero-bordered NHWC copy of the stage's input: no im2col. A tile of MR output
// pixels (consecutive in raster order, so it may span lines) times up to 64 output channels is summed in MR x NZ
// zmm registers over the kernel taps and input channels: per input channel NZ loads of the packed weights and one
// broadcast of each pixel's input value. Bias, ReLU and the store (to the next stage's padded buffer where no pool
// follows) are the tile's epilogue; a pool reads the stage's conv output while it is still in cache.
// Sums run over taps (kh, kw) then channels: a different order from the unfused routes (oneDNN, im2col + sgemm),
// so results agree with them to float rounding, not bit for bit.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "convstack_f32.h"

namespace nnc {
namespace {

constexpr int64_t kLimit = INT64_C(1) << 40;

int64_t align16(int64_t n) { return (n + 15) / 16 * 16; }

// MR pixels x NZ * 16 channels; rows[r]: pixel r's window start in the padded input; seg_off: each segment's offset
// from it, a segment being `len` consecutive input values (one tap's c channels, or with dilation 1 along x a whole
// kernel row's kw * c: NHWC keeps them adjacent, and the packed weights follow the same [kh][kw][c] order); w: the
// packed weights at this panel's first channel (row length opad); dst[r]: where pixel r's channels go.
template <int MR, int NZ>
void tile(const float* const* rows, const int64_t* seg_off, int segs, int len, const float* w, int64_t opad, const float* bias, bool relu,
          float* const* dst, __mmask16 last_mask) {
    __m512 acc[MR][NZ];
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
        for (int j = 0; j < NZ; j++) acc[r][j] = _mm512_setzero_ps();
    const float* p[MR];
    for (int t = 0; t < segs; t++) {
#pragma GCC unroll 16
        for (int r = 0; r < MR; r++) p[r] = rows[r] + seg_off[t];
        const float* wt = w + static_cast<int64_t>(t) * len * opad;
        for (int ci = 0; ci < len; ci++) {
            __m512 b[NZ];
#pragma GCC unroll 4
            for (int j = 0; j < NZ; j++) b[j] = _mm512_loadu_ps(wt + 16 * j);
            wt += opad;
#pragma GCC unroll 16
            for (int r = 0; r < MR; r++) {
                const __m512 a = _mm512_set1_ps(p[r][ci]);
#pragma GCC unroll 4
                for (int j = 0; j < NZ; j++) acc[r][j] = _mm512_fmadd_ps(a, b[j], acc[r][j]);
            }
        }
    }
    const __m512 zero = _mm512_setzero_ps();
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++) {
#pragma GCC unroll 4
        for (int j = 0; j < NZ; j++) {
            __m512 v = _mm512_add_ps(acc[r][j], _mm512_loadu_ps(bias + 16 * j));
            if (relu) v = _mm512_max_ps(zero, v);  // max_ps returns its second operand when one is NaN: NaN stays NaN
            if (j == NZ - 1) _mm512_mask_storeu_ps(dst[r] + 16 * j, last_mask, v);
            else _mm512_storeu_ps(dst[r] + 16 * j, v);
        }
    }
}

// Pixels per tile: MR * NZ accumulators plus NZ weight vectors within the 32 zmm registers, MR row pointers within the
// general registers. A stage's tile height is set by its first panel (64 channels: 6, 48: 8, 32 or 16: 12); a
// narrower last panel (o not a multiple of 64) runs with the same pixels.
constexpr int kMaxRows = 12;
int rows_for(int64_t opad) { return opad >= 64 ? 6 : opad == 48 ? 8 : kMaxRows; }

template <int MR>
void panel(int nz, const float* const* rows, const int64_t* seg_off, int segs, int len, const float* w, int64_t opad, const float* bias,
           bool relu, float* const* dst, __mmask16 last_mask) {
    switch (nz) {
        case 4: tile<MR, 4>(rows, seg_off, segs, len, w, opad, bias, relu, dst, last_mask); break;
        case 3: tile<MR, 3>(rows, seg_off, segs, len, w, opad, bias, relu, dst, last_mask); break;
        case 2: tile<MR, 2>(rows, seg_off, segs, len, w, opad, bias, relu, dst, last_mask); break;
        default: tile<MR, 1>(rows, seg_off, segs, len, w, opad, bias, relu, dst, last_mask); break;
    }
}

// One stage's conv over one image: in = its padded input (row length wp), out pixel (y, x) to dst_base + (y * dst_row + x) * s.o.
void conv_image(const ConvStage& s, const float* in, int64_t wp, float* pw, const float* bias, float* dst_base, int64_t dst_row) {
    if (s.winograd_m != 0) return winograd_conv_image(s, in, wp, pw, bias, dst_base, dst_row);  // pw: its region
    // segments: with dilation 1 along x, one per kernel row (kw * c values); else one per tap (c values)
    const bool rows_whole = s.dw == 1;
    const int segs = rows_whole ? s.kh : s.kh * s.kw;
    const int len = rows_whole ? s.kw * s.c : s.c;
    int64_t seg_off[kMaxTaps];
    for (int ky = 0; ky < s.kh; ky++)
        for (int kx = 0; kx < (rows_whole ? 1 : s.kw); kx++)
            seg_off[ky * (rows_whole ? 1 : s.kw) + kx] = (static_cast<int64_t>(ky) * s.dh * wp + static_cast<int64_t>(kx) * s.dw) * s.c;
    const int64_t pixels = static_cast<int64_t>(s.oh) * s.ow;
    const int mr = rows_for(s.opad);
    const float* rows[kMaxRows];
    float* dst[kMaxRows];
    int64_t y = 0, x = 0;  // the next tile's first pixel (counters: a division per pixel cost ~20% on LeNet-5's small layers)
    for (int64_t p0 = 0; p0 < pixels; p0 += mr) {
        // the tile's pixels; past the last pixel, the last one again (computed twice, the same values written twice)
        for (int r = 0; r < mr; r++) {
            rows[r] = in + (y * s.sh * wp + x * s.sw) * s.c;
            dst[r] = dst_base + (y * dst_row + x) * s.o;
            if (p0 + r + 1 < pixels && ++x == s.ow) {
                x = 0;
                y++;
            }
        }
        for (int64_t j0 = 0; j0 < s.opad; j0 += 64) {
            const int nz = static_cast<int>(std::min<int64_t>(4, (s.opad - j0) / 16));
            const int64_t left = s.o - (j0 + 16 * (nz - 1));  // channels in the panel's last vector: 1 to 16 (opad = o rounded up)
            const __mmask16 mask = left >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << left) - 1);
            float* d[kMaxRows];
            for (int r = 0; r < mr; r++) d[r] = dst[r] + j0;
            if (mr == 6) panel<6>(nz, rows, seg_off, segs, len, pw + j0, s.opad, bias + j0, s.relu != 0, d, mask);
            else if (mr == 8) panel<8>(nz, rows, seg_off, segs, len, pw + j0, s.opad, bias + j0, s.relu != 0, d, mask);
            else panel<kMaxRows>(nz, rows, seg_off, segs, len, pw + j0, s.opad, bias + j0, s.relu != 0, d, mask);
        }
    }
}

// Max-pool of a stage's NHWC conv output (oh x ow x o) into dst_base + (y * dst_row + x) * o.
void pool_image(const ConvStage& s, const float* conv, float* dst_base, int64_t dst_row) {
    const int64_t o = s.o;
    for (int py = 0; py < s.ph; py++) {
        for (int px = 0; px < s.pw; px++) {
            float* d = dst_base + (static_cast<int64_t>(py) * dst_row + px) * o;
            for (int64_t j = 0; j < o; j += 16) {
                const __mmask16 m = o - j >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << (o - j)) - 1);
                __m512 best = _mm512_set1_ps(-__builtin_inff());
                for (int ky = 0; ky < s.pkh; ky++) {
                    const float* row = conv + ((static_cast<int64_t>(py) * s.psh + ky) * s.ow + static_cast<int64_t>(px) * s.psw) * o + j;
                    for (int kx = 0; kx < s.pkw; kx++) best = _mm512_max_ps(_mm512_maskz_loadu_ps(m, row + kx * o), best);
                }
                _mm512_mask_storeu_ps(d + j, m, best);
            }
        }
    }
}

// As pool_image for a 2x2 stride-2 pool over a ReLU'd stage, also writing each window's argmax to idx_base (same
// placement): the first position (row-major, 0..3) holding the maximum, or -1 where no gradient flows (the maximum is
// not positive, or a NaN is in the window). Exactly backend.cpu.ReluMaxArgmax's rule on the same conv output, so
// that its backward scatters by these indices unchanged (training forward, issue 23). The pooled value of a window
// with a NaN is NaN, as Java's Math.max gives.
void pool_argmax_image(const ConvStage& s, const float* conv, float* dst_base, float* idx_base, int64_t dst_row) {
    const int64_t o = s.o;
    const __m512 zero = _mm512_setzero_ps();
    const __m512 nan = _mm512_set1_ps(__builtin_nanf(""));
    for (int py = 0; py < s.ph; py++) {
        for (int px = 0; px < s.pw; px++) {
            const int64_t at = (static_cast<int64_t>(py) * dst_row + px) * o;
            const float* r0 = conv + (static_cast<int64_t>(py) * 2 * s.ow + static_cast<int64_t>(px) * 2) * o;
            const float* r1 = r0 + static_cast<int64_t>(s.ow) * o;
            for (int64_t j = 0; j < o; j += 16) {
                const __mmask16 m = o - j >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << (o - j)) - 1);
                const __m512 a = _mm512_maskz_loadu_ps(m, r0 + j), b = _mm512_maskz_loadu_ps(m, r0 + o + j);
                const __m512 c = _mm512_maskz_loadu_ps(m, r1 + j), d = _mm512_maskz_loadu_ps(m, r1 + o + j);
                const __mmask16 any_nan = _mm512_cmp_ps_mask(a, b, _CMP_UNORD_Q) | _mm512_cmp_ps_mask(c, d, _CMP_UNORD_Q);
                __m512 best = _mm512_max_ps(_mm512_max_ps(a, b), _mm512_max_ps(c, d));
                best = _mm512_mask_blend_ps(any_nan, best, nan);
                // the first position equal to the maximum: later ones first, so that an earlier one overwrites them
                __m512 idx = _mm512_set1_ps(3.f);
                idx = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(c, best, _CMP_EQ_OQ), idx, _mm512_set1_ps(2.f));
                idx = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(b, best, _CMP_EQ_OQ), idx, _mm512_set1_ps(1.f));
                idx = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, best, _CMP_EQ_OQ), idx, zero);
                // ReLU's mask: the gradient flows iff the maximum is > 0 (false for NaN)
                idx = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(best, zero, _CMP_GT_OQ), _mm512_set1_ps(-1.f), idx);
                _mm512_mask_storeu_ps(dst_base + at + j, m, best);
                _mm512_mask_storeu_ps(idx_base + at + j, m, idx);
            }
        }
    }
}

// OIHW weights to [kh][kw][c][opad] (zeros past o), the bias to opad floats.
void pack(const ConvStage& s, const float* w, const float* bias, float* pw, float* pb) {
    for (int64_t o = 0; o < s.opad; o++) pb[o] = bias != nullptr && o < s.o ? bias[o] : 0.f;
    if (s.winograd_m != 0) return winograd_prepare(s, w, pw);  // a Winograd stage: its transformed weights instead
    const int64_t kk = static_cast<int64_t>(s.kh) * s.kw;
    std::memset(pw, 0, sizeof(float) * static_cast<size_t>(kk * s.c * s.opad));
    for (int o = 0; o < s.o; o++)
        for (int ci = 0; ci < s.c; ci++)
            for (int64_t t = 0; t < kk; t++) pw[(t * s.c + ci) * s.opad + o] = w[(static_cast<int64_t>(o) * s.c + ci) * kk + t];
}

}  // namespace

bool convstack_layout(ConvStage* stages, int count, StackLayout* l) {
    int64_t at = 0;
    auto take = [&](int64_t floats) {
        const int64_t start = at;
        at = align16(at + floats);
        return start;
    };
    for (int i = 0; i < count; i++) {
        ConvStage& s = stages[i];
        s.opad = align16(s.o);
        l->padded_in[i] = take(static_cast<int64_t>(s.h + s.pt + s.pb) * (s.w + s.pl + s.pr) * s.c);
        l->conv_out[i] = s.pkh > 0 ? take(static_cast<int64_t>(s.oh) * s.ow * s.o) : -1;
        s.winograd_m = winograd_tile(s);
        l->packed_w[i] = take(s.winograd_m != 0 ? winograd_floats(s) : static_cast<int64_t>(s.kh) * s.kw * s.c * s.opad);
        l->bias[i] = take(s.opad);
        if (at > kLimit) return false;
    }
    const ConvStage& last = stages[count - 1];
    // + 16: a masked store's lanes past o are never written, but the pool's and the transpose's reads stay inside
    l->last_out = take(static_cast<int64_t>(last.ph) * last.pw * last.o + 16);
    l->last_idx = take(static_cast<int64_t>(last.ph) * last.pw * last.o + 16);
    l->floats = at;
    return at <= kLimit;
}

void convstack_f32_avx512(const float* x, float* y, const ConvStage* stages, int count, const float* const* weights, const float* const* bias,
                          int from, int to, float* scratch, const StackLayout& l, float* argmax) {
    // zero borders set once per call: each image writes only the interiors
    for (int i = 0; i < count; i++) {
        const ConvStage& s = stages[i];
        std::memset(scratch + l.padded_in[i], 0, sizeof(float) * static_cast<size_t>(static_cast<int64_t>(s.h + s.pt + s.pb) * (s.w + s.pl + s.pr) * s.c));
        pack(s, weights[i], bias[i], scratch + l.packed_w[i], scratch + l.bias[i]);
    }
    const ConvStage& first = stages[0];
    const ConvStage& last = stages[count - 1];
    const int64_t in_image = static_cast<int64_t>(first.c) * first.h * first.w;
    const int64_t out_plane = static_cast<int64_t>(last.ph) * last.pw;
    for (int n = from; n < to; n++) {
        // NCHW image into the first stage's padded NHWC interior
        {
            const float* src = x + n * in_image;
            const int64_t wp = first.w + first.pl + first.pr;
            float* in = scratch + l.padded_in[0];
            for (int yy = 0; yy < first.h; yy++) {
                float* row = in + ((static_cast<int64_t>(yy) + first.pt) * wp + first.pl) * first.c;
                for (int xx = 0; xx < first.w; xx++)
                    for (int ci = 0; ci < first.c; ci++) row[static_cast<int64_t>(xx) * first.c + ci] = src[(static_cast<int64_t>(ci) * first.h + yy) * first.w + xx];
            }
        }
        for (int i = 0; i < count; i++) {
            const ConvStage& s = stages[i];
            const int64_t wp = s.w + s.pl + s.pr;
            // where this stage's result goes: the next stage's padded interior, or the last output
            float* next;
            int64_t next_row;
            if (i + 1 < count) {
                const ConvStage& t = stages[i + 1];
                next_row = t.w + t.pl + t.pr;
                next = scratch + l.padded_in[i + 1] + (static_cast<int64_t>(t.pt) * next_row + t.pl) * t.c;
            } else {
                next_row = s.pw;
                next = scratch + l.last_out;
            }
            const float* in = scratch + l.padded_in[i];
            if (s.pkh > 0) {
                float* conv = scratch + l.conv_out[i];
                conv_image(s, in, wp, scratch + l.packed_w[i], scratch + l.bias[i], conv, s.ow);
                if (argmax != nullptr && i + 1 == count) pool_argmax_image(s, conv, next, scratch + l.last_idx, next_row);
                else pool_image(s, conv, next, next_row);
            } else {
                conv_image(s, in, wp, scratch + l.packed_w[i], scratch + l.bias[i], next, next_row);
            }
        }
        // the last stage's NHWC output to NCHW
        const float* out = scratch + l.last_out;
        float* dst = y + n * last.o * out_plane;
        for (int64_t p = 0; p < out_plane; p++)
            for (int o = 0; o < last.o; o++) dst[o * out_plane + p] = out[p * last.o + o];
        if (argmax != nullptr) {
            const float* idx = scratch + l.last_idx;
            float* idst = argmax + n * last.o * out_plane;
            for (int64_t p = 0; p < out_plane; p++)
                for (int o = 0; o < last.o; o++) idst[o * out_plane + p] = idx[p * last.o + o];
        }
    }
}

}  // namespace nnc

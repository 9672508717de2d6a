// The weight and bias gradients of convgrad_f32.h with AVX-512F (compiled with -mavx512f; run only after the CPU said so).
// Pixels are the vector lanes: x and dy are copied into zero-bordered planes of one row length wp (the padded input's),
// so for every tap the input values under 16 consecutive output pixels are 16 consecutive floats of the padded plane
// (no im2col, no transpose); the output columns past ow hold dy = 0 and add nothing. A tile of MR weight rows
// (c, ky, kx) x NR output channels keeps MR x NR zmm sums of 16 pixel partials each over a block of images, per
// pixel vector MR loads of x and NR of dy against MR * NR FMAs; the sums are added horizontally into the part's
// accumulator once per tile and block. Images are split over threads by the caller, each part into its own accumulator.
// Sums run in another order than the unfused routes (oneDNN, im2col + sgemm): results agree to float rounding.
// An input that is not finite can spread to more dW entries than the exact sum would (its garbage columns meet dy = 0).
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "convgrad_f32.h"

namespace nnc {
namespace {

int64_t align16(int64_t n) { return (n + 15) / 16 * 16; }

// One image's slot in the block: padded x planes [c][hp][wp], slack, then dy planes [o][lp] (lp >= oh * wp).
struct Slot {
    int64_t hp, wp, plane, lp, x_floats, floats;
};

Slot slot(const ConvGrad& g) {
    Slot s{};
    s.hp = static_cast<int64_t>(g.h) + g.pt + g.pb;
    s.wp = static_cast<int64_t>(g.w) + g.pl + g.pr;
    s.plane = s.hp * s.wp;
    s.lp = align16(static_cast<int64_t>(g.oh) * s.wp);
    // a tap's read of the last pixel vector runs up to (kw - 1) * dw past the plane's last row, plus a vector
    s.x_floats = align16(g.c * s.plane + static_cast<int64_t>(g.kw - 1) * g.dw + 16);
    s.floats = s.x_floats + g.o * s.lp;
    return s;
}

// Images per block: the block's copies stay near 1 MiB (in L2 while every tile runs over them).
int block_images(const ConvGrad& g, int images) {
    return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(images, (INT64_C(256) << 10) / slot(g).floats)));
}

// Sums of MR rows x NR channels over `count` images of the block: x_off[r] = row r's offset from an image slot's start,
// dy0 = the first channel's plane in the first slot; acc_row[j * rows + r] += the sums.
template <int MR, int NR>
void tile(const float* block, int count, const Slot& s, const int64_t* x_off, int64_t dy0, int64_t len, float* acc, int64_t rows) {
    __m512 a[MR][NR];
#pragma GCC unroll 8
    for (int r = 0; r < MR; r++)
#pragma GCC unroll 8
        for (int j = 0; j < NR; j++) a[r][j] = _mm512_setzero_ps();
    const int64_t full = len / 16 * 16;
    const __mmask16 tail = static_cast<__mmask16>((1u << (len - full)) - 1);
    for (int b = 0; b < count; b++) {
        const float* img = block + b * s.floats;
        const float* xr[MR];
#pragma GCC unroll 8
        for (int r = 0; r < MR; r++) xr[r] = img + x_off[r];
        const float* d = img + dy0;
        for (int64_t q = 0; q < full; q += 16) {
            __m512 xv[MR];
#pragma GCC unroll 8
            for (int r = 0; r < MR; r++) xv[r] = _mm512_loadu_ps(xr[r] + q);
#pragma GCC unroll 8
            for (int j = 0; j < NR; j++) {
                const __m512 dv = _mm512_load_ps(d + j * s.lp + q);
#pragma GCC unroll 8
                for (int r = 0; r < MR; r++) a[r][j] = _mm512_fmadd_ps(xv[r], dv, a[r][j]);
            }
        }
        if (tail != 0) {
            __m512 xv[MR];
#pragma GCC unroll 8
            for (int r = 0; r < MR; r++) xv[r] = _mm512_maskz_loadu_ps(tail, xr[r] + full);
#pragma GCC unroll 8
            for (int j = 0; j < NR; j++) {
                const __m512 dv = _mm512_maskz_load_ps(tail, d + j * s.lp + full);
#pragma GCC unroll 8
                for (int r = 0; r < MR; r++) a[r][j] = _mm512_fmadd_ps(xv[r], dv, a[r][j]);
            }
        }
    }
#pragma GCC unroll 8
    for (int j = 0; j < NR; j++)
#pragma GCC unroll 8
        for (int r = 0; r < MR; r++) acc[j * rows + r] += _mm512_reduce_add_ps(a[r][j]);
}

constexpr int kRows = 4, kChannels = 6;  // 24 sums + 4 x vectors + 1 dy vector within the 32 zmm registers

using TileFn = void (*)(const float*, int, const Slot&, const int64_t*, int64_t, int64_t, float*, int64_t);

template <int MR>
TileFn pick_nr(int nr) {
    switch (nr) {
        case 6: return tile<MR, 6>;
        case 5: return tile<MR, 5>;
        case 4: return tile<MR, 4>;
        case 3: return tile<MR, 3>;
        case 2: return tile<MR, 2>;
        default: return tile<MR, 1>;
    }
}

TileFn pick(int mr, int nr) {
    switch (mr) {
        case 4: return pick_nr<4>(nr);
        case 3: return pick_nr<3>(nr);
        case 2: return pick_nr<2>(nr);
        default: return pick_nr<1>(nr);
    }
}

float sum(const float* v, int64_t n) {
    __m512 s = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) s = _mm512_add_ps(s, _mm512_loadu_ps(v + i));
    if (i < n) s = _mm512_add_ps(s, _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << (n - i)) - 1), v + i));
    return _mm512_reduce_add_ps(s);
}

}  // namespace

int64_t convgrad_acc_floats(const ConvGrad& g) { return static_cast<int64_t>(g.o) * g.c * g.kh * g.kw + g.o; }

// the block, then each weight row's offset (int64, two floats each)
int64_t convgrad_scratch_floats(const ConvGrad& g, int images) {
    return static_cast<int64_t>(block_images(g, images)) * slot(g).floats + 2 * static_cast<int64_t>(g.c) * g.kh * g.kw;
}

void convgrad_f32_avx512(const float* x, const float* dy, const ConvGrad& g, int from, int to, float* acc, float* scratch) {
    const int64_t rows = static_cast<int64_t>(g.c) * g.kh * g.kw;
    std::memset(acc, 0, sizeof(float) * static_cast<size_t>(convgrad_acc_floats(g)));
    if (to <= from) return;
    const Slot s = slot(g);
    const int per_block = block_images(g, to - from);
    // zero borders, gaps and slack once: each image writes only the interiors
    std::memset(scratch, 0, sizeof(float) * static_cast<size_t>(per_block * s.floats));
    const int64_t in_image = static_cast<int64_t>(g.c) * g.h * g.w, out_plane = static_cast<int64_t>(g.oh) * g.ow;
    // each weight row's offset in an image slot: channel plane + tap
    int64_t* x_off = reinterpret_cast<int64_t*>(scratch + per_block * s.floats);
    for (int ci = 0; ci < g.c; ci++)
        for (int ky = 0; ky < g.kh; ky++)
            for (int kx = 0; kx < g.kw; kx++)
                x_off[(static_cast<int64_t>(ci) * g.kh + ky) * g.kw + kx] = ci * s.plane + static_cast<int64_t>(ky) * g.dh * s.wp + static_cast<int64_t>(kx) * g.dw;
    const int64_t len = static_cast<int64_t>(g.oh) * s.wp;
    float* db = acc + static_cast<int64_t>(g.o) * rows;
    for (int n0 = from; n0 < to; n0 += per_block) {
        const int count = std::min(per_block, to - n0);
        for (int b = 0; b < count; b++) {
            float* img = scratch + b * s.floats;
            const float* xs = x + (n0 + b) * in_image;
            for (int ci = 0; ci < g.c; ci++)
                for (int yy = 0; yy < g.h; yy++)
                    std::memcpy(img + ci * s.plane + (yy + g.pt) * s.wp + g.pl, xs + (static_cast<int64_t>(ci) * g.h + yy) * g.w, sizeof(float) * g.w);
            const float* ds = dy + (n0 + b) * g.o * out_plane;
            for (int o = 0; o < g.o; o++) {
                const float* plane = ds + o * out_plane;
                db[o] += sum(plane, out_plane);
                for (int yy = 0; yy < g.oh; yy++) std::memcpy(img + s.x_floats + o * s.lp + yy * s.wp, plane + static_cast<int64_t>(yy) * g.ow, sizeof(float) * g.ow);
            }
        }
        for (int64_t r0 = 0; r0 < rows; r0 += kRows) {
            const int mr = static_cast<int>(std::min<int64_t>(kRows, rows - r0));
            for (int o0 = 0; o0 < g.o; o0 += kChannels) {
                const int nr = std::min(kChannels, g.o - o0);
                pick(mr, nr)(scratch, count, s, x_off + r0, s.x_floats + o0 * s.lp, len, acc + o0 * rows + r0, rows);
            }
        }
    }
}

void convgrad_reduce(const float* acc, int parts, const ConvGrad& g, float* dw, float* db) {
    const int64_t floats = convgrad_acc_floats(g), weights = floats - g.o;
    for (int64_t i = 0; i < floats; i++) {
        if (i >= weights && db == nullptr) break;
        float v = acc[i];
        for (int p = 1; p < parts; p++) v += acc[p * floats + i];
        if (i < weights) dw[i] = v;
        else db[i - weights] = v;
    }
}

}  // namespace nnc

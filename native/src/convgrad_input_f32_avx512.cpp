// The input gradient of convgrad_f32.h with AVX-512F (compiled with -mavx512f; run only after the CPU said so).
// For stride 1, dx is a direct conv of dy with the taps flipped: each image's dy is copied into zero-bordered planes of
// row length wq = ow + extent_w - 1, so for every tap the dy values under 16 consecutive output pixels of dx (in rows of
// wq, the columns past w discarded) are 16 consecutive floats. A tile of 4 input channels x NP pixel vectors keeps
// 4 x NP zmm sums over every output channel and tap: per (o, tap) 4 broadcast weights and NP loads of dy. Channels are
// the accumulator rows, so any c runs at full width (no rounding of c up to 16). The tile's sums go to a per-thread
// plane, whose rows are copied into dx, masked by x > 0 when asked (a ReLU's backward folded into this pass).
// Sums run over o then taps: another order than the other routes, so results agree to float rounding.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "convgrad_f32.h"

namespace nnc {
namespace {

int64_t align16(int64_t n) { return (n + 15) / 16 * 16; }

constexpr int kChannels = 4, kVectors = 6;  // 24 sums + 4 broadcast weights + 1 dy vector within the 32 zmm registers

struct Planes {
    int64_t eh, ew, hq, wq, plane, dy_floats, len, lp, cpad, kk;
};

Planes planes(const ConvGrad& g) {
    Planes p{};
    p.eh = static_cast<int64_t>(g.dh) * (g.kh - 1) + 1;
    p.ew = static_cast<int64_t>(g.dw) * (g.kw - 1) + 1;
    // dy bordered by extent - 1 - pad on each side: oh + 2 (extent - 1) - pads, which stride 1 makes h + extent - 1
    p.hq = g.h + p.eh - 1;
    p.wq = g.w + p.ew - 1;
    p.plane = p.hq * p.wq;
    // the last pixel vector of the last plane reads up to a vector plus a kernel row past the plane's end
    p.dy_floats = align16(g.o * p.plane + p.ew + 16);
    p.len = static_cast<int64_t>(g.h) * p.wq;
    p.lp = align16(p.len);
    p.cpad = (g.c + kChannels - 1) / kChannels * kChannels;
    p.kk = static_cast<int64_t>(g.kh) * g.kw;
    return p;
}

// Sums of 4 channels x NP pixel vectors from q0: dy = the image's bordered planes, off[t] = tap t's offset, wt = packed
// weights [o][t][cpad] at channel c0; out = the tile's first channel plane at q0 (planes lp apart).
template <int NP>
void tile(const float* dy, const Planes& p, const int64_t* off, int o_count, const float* wt, float* out) {
    __m512 a[kChannels][NP];
#pragma GCC unroll 4
    for (int r = 0; r < kChannels; r++)
#pragma GCC unroll 6
        for (int v = 0; v < NP; v++) a[r][v] = _mm512_setzero_ps();
    for (int o = 0; o < o_count; o++) {
        const float* plane = dy + o * p.plane;
        const float* wo = wt + o * p.kk * p.cpad;
        for (int64_t t = 0; t < p.kk; t++) {
            const float* src = plane + off[t];
            const float* wv = wo + t * p.cpad;
            __m512 b[kChannels];
#pragma GCC unroll 4
            for (int r = 0; r < kChannels; r++) b[r] = _mm512_set1_ps(wv[r]);
#pragma GCC unroll 6
            for (int v = 0; v < NP; v++) {
                const __m512 d = _mm512_loadu_ps(src + 16 * v);
#pragma GCC unroll 4
                for (int r = 0; r < kChannels; r++) a[r][v] = _mm512_fmadd_ps(b[r], d, a[r][v]);
            }
        }
    }
#pragma GCC unroll 4
    for (int r = 0; r < kChannels; r++)
#pragma GCC unroll 6
        for (int v = 0; v < NP; v++) _mm512_store_ps(out + r * p.lp + 16 * v, a[r][v]);
}

using TileFn = void (*)(const float*, const Planes&, const int64_t*, int, const float*, float*);

TileFn pick(int np) {
    switch (np) {
        case 6: return tile<6>;
        case 5: return tile<5>;
        case 4: return tile<4>;
        case 3: return tile<3>;
        case 2: return tile<2>;
        default: return tile<1>;
    }
}

}  // namespace

// bordered dy planes, the sums' planes (cpad of lp), packed weights [o][kk][cpad], tap offsets (int64)
int64_t convgrad_input_scratch_floats(const ConvGrad& g) {
    const Planes p = planes(g);
    return p.dy_floats + p.cpad * p.lp + align16(g.o * p.kk * p.cpad) + 2 * align16(p.kk);
}

void convgrad_input_f32_avx512(const float* dy, const float* w, const float* mask, float* dx, const ConvGrad& g, int from, int to, float* scratch) {
    const Planes p = planes(g);
    float* dyb = scratch;
    float* sums = dyb + p.dy_floats;
    float* pw = sums + p.cpad * p.lp;
    int64_t* off = reinterpret_cast<int64_t*>(pw + align16(g.o * p.kk * p.cpad));
    // borders and slack zeroed once per call: each image writes only the interiors
    std::memset(dyb, 0, sizeof(float) * static_cast<size_t>(p.dy_floats));
    // pw[o][t][c] = w[o][c][t], zeros past c
    std::memset(pw, 0, sizeof(float) * static_cast<size_t>(g.o * p.kk * p.cpad));
    for (int o = 0; o < g.o; o++)
        for (int ci = 0; ci < g.c; ci++)
            for (int64_t t = 0; t < p.kk; t++) pw[(o * p.kk + t) * p.cpad + ci] = w[(static_cast<int64_t>(o) * g.c + ci) * p.kk + t];
    // dx(i, j) takes tap (ky, kx) from the bordered dy at (i + eh - 1 - ky * dh, j + ew - 1 - kx * dw)
    for (int ky = 0; ky < g.kh; ky++)
        for (int kx = 0; kx < g.kw; kx++)
            off[ky * g.kw + kx] = (p.eh - 1 - static_cast<int64_t>(ky) * g.dh) * p.wq + (p.ew - 1 - static_cast<int64_t>(kx) * g.dw);
    const int64_t top = p.eh - 1 - g.pt, left = p.ew - 1 - g.pl;
    const int64_t out_plane = static_cast<int64_t>(g.oh) * g.ow, in_plane = static_cast<int64_t>(g.h) * g.w;
    const int64_t vectors = p.lp / 16;
    for (int n = from; n < to; n++) {
        const float* src = dy + n * g.o * out_plane;
        for (int o = 0; o < g.o; o++)
            for (int yy = 0; yy < g.oh; yy++)
                std::memcpy(dyb + o * p.plane + (yy + top) * p.wq + left, src + o * out_plane + static_cast<int64_t>(yy) * g.ow, sizeof(float) * g.ow);
        for (int c0 = 0; c0 < g.c; c0 += kChannels) {
            for (int64_t v0 = 0; v0 < vectors; v0 += kVectors) {
                const int np = static_cast<int>(std::min<int64_t>(kVectors, vectors - v0));
                pick(np)(dyb + 16 * v0, p, off, g.o, pw + c0, sums + c0 * p.lp + 16 * v0);
            }
        }
        float* dst = dx + n * g.c * in_plane;
        const float* m = mask == nullptr ? nullptr : mask + n * g.c * in_plane;
        for (int ci = 0; ci < g.c; ci++) {
            for (int yy = 0; yy < g.h; yy++) {
                const float* row = sums + ci * p.lp + yy * p.wq;
                float* d = dst + ci * in_plane + static_cast<int64_t>(yy) * g.w;
                if (m == nullptr) {
                    std::memcpy(d, row, sizeof(float) * g.w);
                } else {
                    const float* mr = m + ci * in_plane + static_cast<int64_t>(yy) * g.w;
                    for (int xx = 0; xx < g.w; xx++) d[xx] = mr[xx] > 0.f ? row[xx] : 0.f;
                }
            }
        }
    }
}

}  // namespace nnc

// Winograd minimal filtering F(m x m, 3 x 3) for the conv stack's 3x3 stride-1 dilation-1 stages (convstack_f32.h;
// compiled with -mavx512f, run only after the CPU said so). Per image, in groups of T output tiles of m x m pixels:
// each tile's (m + 2) x (m + 2) input window (from the stage's zero-bordered NHWC buffer) is transformed to V = B^T d B,
// 16 channels per zmm; then for each of the (m + 2)^2 transform positions one small GEMM M = V [T x c] * U [c x o]
// (U = G g G^T, the weights transformed once per call) with a register-tiled kernel; then Y = A^T M A + bias, ReLU,
// stored where the direct conv would store it. The multiplies per output pixel fall from 9 c o to (m + 2)^2 / m^2 c o
// (F(2x2): 2.25x fewer; F(4x4): 4x fewer), the rest is additions in the transforms.
// Rounding: the transforms add and subtract values of the window before the multiply, so the result differs from the
// direct conv by a few ulps of the window's largest terms (F(2x2): coefficients 0, 1, 1/2; F(4x4): up to 8 and 1/24,
// more rounding) -- the tests bound it against a double reference relative to the largest value.
// Non-finite inputs: a NaN or an infinity in a tile's window may also turn into NaN the outputs of that tile whose own
// 3x3 windows do not hold it (the transforms add it into shared terms that cancel only in exact arithmetic, and
// infinity minus infinity is NaN); the direct conv confines it to the windows that hold it.
// Tiles past the output's bottom or right edge read zeros where the window leaves the padded buffer and store only
// the pixels inside the output; any pads (asymmetric too) are in the padded buffer, as for the direct conv.
#include <immintrin.h>

#include <algorithm>
#include <atomic>

#include "convstack_f32.h"

namespace nnc {
namespace {

std::atomic<bool> enabled{true};

int64_t align16(int64_t n) { return (n + 15) / 16 * 16; }

// F(2x2, 3x3): B^T, A^T and G of Lavin and Gray's paper (0, +-1, 1/2 only).
struct F2 {
    static constexpr int M = 2, A = 4;
    // v = B^T d
    static inline void in1d(const __m512* d, __m512* v) {
        v[0] = _mm512_sub_ps(d[0], d[2]);
        v[1] = _mm512_add_ps(d[1], d[2]);
        v[2] = _mm512_sub_ps(d[2], d[1]);
        v[3] = _mm512_sub_ps(d[1], d[3]);
    }
    // y = A^T m
    static inline void out1d(const __m512* m, __m512* y) {
        y[0] = _mm512_add_ps(_mm512_add_ps(m[0], m[1]), m[2]);
        y[1] = _mm512_sub_ps(_mm512_sub_ps(m[1], m[2]), m[3]);
    }
    static constexpr double G[A][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
};

// F(4x4, 3x3): interpolation points 0, +-1, +-2, infinity (Lavin and Gray).
struct F4 {
    static constexpr int M = 4, A = 6;
    static inline void in1d(const __m512* d, __m512* v) {
        const __m512 four = _mm512_set1_ps(4.f), five = _mm512_set1_ps(5.f), two = _mm512_set1_ps(2.f);
        // rows of B^T: [4 0 -5 0 1 0] [0 -4 -4 1 1 0] [0 4 -4 -1 1 0] [0 -2 -1 2 1 0] [0 2 -1 -2 1 0] [0 4 0 -5 0 1]
        const __m512 s34 = _mm512_add_ps(d[3], d[4]), a = _mm512_fnmadd_ps(four, d[2], d[4]);  // d4 - 4 d2
        const __m512 b = _mm512_fmsub_ps(four, d[1], d[3]);                                     // 4 d1 - d3
        const __m512 c = _mm512_sub_ps(d[4], d[2]), e = _mm512_mul_ps(two, _mm512_sub_ps(d[3], d[1]));
        v[0] = _mm512_add_ps(_mm512_fnmadd_ps(five, d[2], _mm512_mul_ps(four, d[0])), d[4]);
        v[1] = _mm512_fnmadd_ps(four, _mm512_add_ps(d[1], d[2]), s34);  // d3 + d4 - 4 (d1 + d2)
        v[2] = _mm512_add_ps(a, b);
        v[3] = _mm512_add_ps(c, e);
        v[4] = _mm512_sub_ps(c, e);
        v[5] = _mm512_add_ps(_mm512_fnmadd_ps(five, d[3], _mm512_mul_ps(four, d[1])), d[5]);
    }
    static inline void out1d(const __m512* m, __m512* y) {
        // rows of A^T: [1 1 1 1 1 0] [0 1 -1 2 -2 0] [0 1 1 4 4 0] [0 1 -1 8 -8 1]
        const __m512 p12 = _mm512_add_ps(m[1], m[2]), n12 = _mm512_sub_ps(m[1], m[2]);
        const __m512 p34 = _mm512_add_ps(m[3], m[4]), n34 = _mm512_sub_ps(m[3], m[4]);
        y[0] = _mm512_add_ps(_mm512_add_ps(m[0], p12), p34);
        y[1] = _mm512_fmadd_ps(_mm512_set1_ps(2.f), n34, n12);
        y[2] = _mm512_fmadd_ps(_mm512_set1_ps(4.f), p34, p12);
        y[3] = _mm512_add_ps(_mm512_fmadd_ps(_mm512_set1_ps(8.f), n34, n12), m[5]);
    }
    static constexpr double G[A][3] = {{0.25, 0, 0},
                                       {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                       {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                       {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                       {1.0 / 24, -1.0 / 12, 1.0 / 6},
                                       {0, 0, 1}};
};

// The register tile of the GEMMs: MR tile rows x NZ * 16 channels, as the direct conv's (6 x 64, 8 x 48, 12 x 16-32).
int rows_for(int64_t opad) { return opad >= 64 ? 6 : opad == 48 ? 8 : 12; }

// Tiles per group: the group's V and M (A^2 T (c + opad) floats) about a quarter of a 1 MB L2, whole register tiles.
int group_tiles(const ConvStage& s, int a) {
    const int mr = rows_for(s.opad);
    const int64_t budget = (INT64_C(256) * 1024 / 4) / (static_cast<int64_t>(a) * a * (s.c + s.opad));
    return static_cast<int>(std::max<int64_t>(mr, budget / mr * mr));
}

// Which F(m x m, 3 x 3) a stage runs (0: the direct conv), from its geometry alone, as measured on a Zen 5 core
// (CPU time per image against the direct conv, single stages and the teacher's stack):
// - fewer than 16 input channels: the GEMMs are too short to pay for the transforms (c 8, o 16, 14x14: 0.85-0.9x);
// - outputs under 8 pixels a side: tiles past the edge waste too much (7x7 computes 8x8 with F(2x2); 0.94-0.98x);
// - the transformed weights (A^2 c opad floats) must stay within half of a 1 MB L2, as they are read for every group
//   of tiles: F(4x4) where its 36 c opad fit (teacher conv2, 32 -> 64 at 28x28: 1.67x), else F(2x2) where its 16 c opad
//   do (teacher conv3, 64 -> 128 at 14x14: 1.30x, where F(4x4)'s 1.2 MB ran 0.93x), else direct (128 -> 128 at 7x7).
int tile_for(const ConvStage& s) {
    if (!enabled.load(std::memory_order_relaxed)) return 0;
    if (s.kh != 3 || s.kw != 3 || s.sh != 1 || s.sw != 1 || s.dh != 1 || s.dw != 1 || s.c < 16 || s.oh < 8 || s.ow < 8) return 0;
    const int64_t weights = static_cast<int64_t>(s.c) * align16(s.o), half_l2 = 128 * 1024;
    return 36 * weights <= half_l2 ? 4 : 16 * weights <= half_l2 ? 2 : 0;
}

// M [MR x 16 NZ] = V [MR x c] * U [c x 16 NZ]: MR rows of V (row length c) against NZ vectors of U's and M's rows (length opad).
template <int MR, int NZ>
void gemm_tile(const float* v, int64_t c, const float* u, int64_t opad, float* m) {
    __m512 acc[MR][NZ];
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
        for (int j = 0; j < NZ; j++) acc[r][j] = _mm512_setzero_ps();
    for (int64_t ci = 0; ci < c; ci++) {
        __m512 b[NZ];
#pragma GCC unroll 4
        for (int j = 0; j < NZ; j++) b[j] = _mm512_loadu_ps(u + ci * opad + 16 * j);
#pragma GCC unroll 16
        for (int r = 0; r < MR; r++) {
            const __m512 a = _mm512_set1_ps(v[r * c + ci]);
#pragma GCC unroll 4
            for (int j = 0; j < NZ; j++) acc[r][j] = _mm512_fmadd_ps(a, b[j], acc[r][j]);
        }
    }
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
        for (int j = 0; j < NZ; j++) _mm512_storeu_ps(m + r * opad + 16 * j, acc[r][j]);
}

// MR rows from v, all opad channels, in panels of up to 64.
template <int MR>
void rows_block(const float* v, int64_t c, const float* u, int64_t opad, float* m) {
    for (int64_t j0 = 0; j0 < opad; j0 += 64) {
        switch (std::min<int64_t>(4, (opad - j0) / 16)) {
            case 4: gemm_tile<MR, 4>(v, c, u + j0, opad, m + j0); break;
            case 3: gemm_tile<MR, 3>(v, c, u + j0, opad, m + j0); break;
            case 2: gemm_tile<MR, 2>(v, c, u + j0, opad, m + j0); break;
            default: gemm_tile<MR, 1>(v, c, u + j0, opad, m + j0); break;
        }
    }
}

// The rows left after the whole MR-row blocks (1 to MR - 1) as one shorter block: the teacher's 49 tiles are 8 blocks
// of 6 and 1, where rounding up to 54 rows cost ~9% more multiplies.
void tail_block(int rows, const float* v, int64_t c, const float* u, int64_t opad, float* m) {
    switch (rows) {
        case 1: rows_block<1>(v, c, u, opad, m); break;
        case 2: rows_block<2>(v, c, u, opad, m); break;
        case 3: rows_block<3>(v, c, u, opad, m); break;
        case 4: rows_block<4>(v, c, u, opad, m); break;
        case 5: rows_block<5>(v, c, u, opad, m); break;
        case 6: rows_block<6>(v, c, u, opad, m); break;
        case 7: rows_block<7>(v, c, u, opad, m); break;
        case 8: rows_block<8>(v, c, u, opad, m); break;
        case 9: rows_block<9>(v, c, u, opad, m); break;
        case 10: rows_block<10>(v, c, u, opad, m); break;
        default: rows_block<11>(v, c, u, opad, m); break;
    }
}

// M [rows x opad] = V [rows x c] * U [c x opad].
template <int MR>
void gemm(const float* v, int64_t rows, int64_t c, const float* u, int64_t opad, float* m) {
    int64_t r0 = 0;
    for (; r0 + MR <= rows; r0 += MR) rows_block<MR>(v + r0 * c, c, u, opad, m + r0 * opad);
    if (r0 < rows) tail_block(static_cast<int>(rows - r0), v + r0 * c, c, u, opad, m + r0 * opad);
}

// Where a stage's Winograd buffers lie in its region: U [A^2][c][opad], V [A^2][T][c], M [A^2][T][opad].
struct Region {
    float *u, *v, *m;
    int t;
};

template <class F>
Region region_of(const ConvStage& s, float* base) {
    const int t = group_tiles(s, F::A);
    const int64_t aa = F::A * F::A;
    float* u = base;
    float* v = u + align16(aa * s.c * s.opad);
    float* m = v + align16(aa * t * s.c);
    return Region{u, v, m, t};
}

template <class F>
int64_t floats_of(const ConvStage& s) {
    const int64_t aa = F::A * F::A, t = group_tiles(s, F::A);
    return align16(aa * s.c * s.opad) + align16(aa * t * s.c) + align16(aa * t * s.opad);
}

// U = G g G^T per (o, c) in double, rounded once to float; zeros past o. 16 output channels at a time, in fixed-length loops the compiler
// vectorizes: this runs once per call, and a training step's calls have only 32-64 images to spread it over.
template <class F>
void prepare(const ConvStage& s, const float* w, float* base) {
    const Region r = region_of<F>(s, base);
    constexpr int A = F::A;
    for (int ci = 0; ci < s.c; ci++) {
        for (int o0 = 0; o0 < s.opad; o0 += 16) {
            double g[9][16], gg[A][3][16];  // g: the 16 channels' 3x3 kernels; gg = G g
            for (int k = 0; k < 9; k++)
                for (int q = 0; q < 16; q++) g[k][q] = o0 + q < s.o ? w[((static_cast<int64_t>(o0) + q) * s.c + ci) * 9 + k] : 0.0;
            for (int i = 0; i < A; i++)
                for (int k = 0; k < 3; k++)
                    for (int q = 0; q < 16; q++) gg[i][k][q] = F::G[i][0] * g[k][q] + F::G[i][1] * g[3 + k][q] + F::G[i][2] * g[6 + k][q];
            for (int i = 0; i < A; i++)
                for (int j = 0; j < A; j++) {
                    float* u = r.u + ((static_cast<int64_t>(i) * A + j) * s.c + ci) * s.opad + o0;
                    for (int q = 0; q < 16; q++) u[q] = static_cast<float>(gg[i][0][q] * F::G[j][0] + gg[i][1][q] * F::G[j][1] + gg[i][2][q] * F::G[j][2]);
                }
        }
    }
}

// V rows [0, count) of the group from tile `first` (raster order over tiles_x tiles a line).
template <class F>
void input_group(const ConvStage& s, const float* in, int64_t wp, int64_t hp, int tiles_x, int64_t first, int count, const Region& r) {
    constexpr int A = F::A;
    const int64_t c = s.c;
    const int64_t plane = static_cast<int64_t>(r.t) * c;  // floats between transform positions in V
    for (int k = 0; k < count; k++) {
        const int64_t tile = first + k;
        const int64_t y0 = tile / tiles_x * F::M, x0 = tile % tiles_x * F::M;
        const int nr = static_cast<int>(std::min<int64_t>(A, hp - y0)), nc = static_cast<int>(std::min<int64_t>(A, wp - x0));
        const float* src = in + (y0 * wp + x0) * c;
        float* dst = r.v + k * c;
        for (int64_t c0 = 0; c0 < c; c0 += 16) {
            const __mmask16 mask = c - c0 >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << (c - c0)) - 1);
            __m512 d[A][A], t[A][A];
            for (int i = 0; i < A; i++)
                for (int j = 0; j < A; j++)
                    d[i][j] = i < nr && j < nc ? _mm512_maskz_loadu_ps(mask, src + (i * wp + j) * c + c0) : _mm512_setzero_ps();
            // columns: t = B^T d
            for (int j = 0; j < A; j++) {
                __m512 col[A], out[A];
                for (int i = 0; i < A; i++) col[i] = d[i][j];
                F::in1d(col, out);
                for (int i = 0; i < A; i++) t[i][j] = out[i];
            }
            // rows: V = t B
            for (int i = 0; i < A; i++) {
                __m512 out[A];
                F::in1d(t[i], out);
                for (int j = 0; j < A; j++) _mm512_mask_storeu_ps(dst + (i * A + j) * plane + c0, mask, out[j]);
            }
        }
    }
}

// Y = A^T M A + bias [ReLU] for the group's tiles, stored at dst_base + (y * dst_row + x) * o inside the output.
template <class F>
void output_group(const ConvStage& s, int tiles_x, int64_t first, int count, const Region& r, const float* bias, float* dst_base, int64_t dst_row) {
    constexpr int A = F::A, M = F::M;
    const int64_t opad = s.opad, plane = static_cast<int64_t>(r.t) * opad;
    const __m512 zero = _mm512_setzero_ps();
    for (int k = 0; k < count; k++) {
        const int64_t tile = first + k;
        const int64_t y0 = tile / tiles_x * M, x0 = tile % tiles_x * M;
        const int ny = static_cast<int>(std::min<int64_t>(M, s.oh - y0)), nx = static_cast<int>(std::min<int64_t>(M, s.ow - x0));
        const float* src = r.m + k * opad;
        for (int64_t j0 = 0; j0 < opad; j0 += 16) {
            const int64_t left = s.o - j0;
            const __mmask16 mask = left >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << left) - 1);
            __m512 t[M][A];
            // columns: t = A^T M
            for (int j = 0; j < A; j++) {
                __m512 col[A], out[M];
                for (int i = 0; i < A; i++) col[i] = _mm512_loadu_ps(src + (i * A + j) * plane + j0);
                F::out1d(col, out);
                for (int i = 0; i < M; i++) t[i][j] = out[i];
            }
            const __m512 b = _mm512_loadu_ps(bias + j0);
            for (int i = 0; i < ny; i++) {
                __m512 y[M];
                F::out1d(t[i], y);
                float* row = dst_base + ((y0 + i) * dst_row + x0) * s.o + j0;
                for (int j = 0; j < nx; j++) {
                    __m512 v = _mm512_add_ps(y[j], b);
                    if (s.relu != 0) v = _mm512_max_ps(zero, v);  // NaN stays NaN, as in the direct conv
                    _mm512_mask_storeu_ps(row + j * s.o, mask, v);
                }
            }
        }
    }
}

template <class F>
void conv_image(const ConvStage& s, const float* in, int64_t wp, float* base, const float* bias, float* dst_base, int64_t dst_row) {
    const Region r = region_of<F>(s, base);
    const int64_t hp = static_cast<int64_t>(s.h) + s.pt + s.pb;
    const int tiles_x = (s.ow + F::M - 1) / F::M, tiles_y = (s.oh + F::M - 1) / F::M;
    const int64_t tiles = static_cast<int64_t>(tiles_x) * tiles_y;
    const int mr = rows_for(s.opad);
    // groups of near-equal size, whole register blocks of rows but in the last group
    const int64_t groups = (tiles + r.t - 1) / r.t;
    const int64_t per = std::min<int64_t>(r.t, ((tiles + groups - 1) / groups + mr - 1) / mr * mr);
    const int64_t v_plane = static_cast<int64_t>(r.t) * s.c, m_plane = static_cast<int64_t>(r.t) * s.opad;
    for (int64_t first = 0; first < tiles; first += per) {
        const int count = static_cast<int>(std::min<int64_t>(per, tiles - first));
        input_group<F>(s, in, wp, hp, tiles_x, first, count, r);
        for (int p = 0; p < F::A * F::A; p++) {
            const float* v = r.v + p * v_plane;
            const float* u = r.u + static_cast<int64_t>(p) * s.c * s.opad;
            float* m = r.m + p * m_plane;
            if (mr == 6) gemm<6>(v, count, s.c, u, s.opad, m);
            else if (mr == 8) gemm<8>(v, count, s.c, u, s.opad, m);
            else gemm<12>(v, count, s.c, u, s.opad, m);
        }
        output_group<F>(s, tiles_x, first, count, r, bias, dst_base, dst_row);
    }
}

}  // namespace

void winograd_enable(bool on) { enabled.store(on, std::memory_order_relaxed); }

int winograd_tile(const ConvStage& s) { return tile_for(s); }

int64_t winograd_floats(const ConvStage& s) { return s.winograd_m == 4 ? floats_of<F4>(s) : floats_of<F2>(s); }

void winograd_prepare(const ConvStage& s, const float* w, float* region) {
    if (s.winograd_m == 4) prepare<F4>(s, w, region);
    else prepare<F2>(s, w, region);
}

void winograd_conv_image(const ConvStage& s, const float* in, int64_t wp, float* region, const float* bias, float* dst_base, int64_t dst_row) {
    if (s.winograd_m == 4) conv_image<F4>(s, in, wp, region, bias, dst_base, dst_row);
    else conv_image<F2>(s, in, wp, region, bias, dst_base, dst_row);
}

}  // namespace nnc

// Standalone check of the CUDA backend's float kernels (no Java): each kernel is validated against a
// CPU loop of its definition (the ReferenceBackend semantics, sums in double), then timed with
// cudaEvents (warm-up, median of reps). SGEMM is timed at 1024^3 and 4096^3 against the FP32 FMA
// peak, and a teacher-sized conv layer via im2col + SGEMM. One RESULT line per kernel variant/shape:
//   RESULT name=... shape=... check=<bit-exact|max_rel_err=..|FAIL> time_ms=.. rate=.. unit=.. peak_frac=..
// Exit code: 0 all checks pass, 1 any mismatch, 2 no CUDA device. Runs in well under a minute on an H100.
// Validation only, on the CPU (cuda-kernels/emu/cuda_emu.h: 1-D grids capped at 8 blocks, which the
// grid-stride loops must handle; no timing, so the SGEMM throughput shapes are left out and the conv
// layer is a small one):  g++ -std=c++20 -O1 -pthread -DNNC_EMULATE -x c++ backend_ops_harness.cu
#include "harness_common.h"
#include "../batchnorm.cu"
#include "../elementwise.cu"
#include "../gemm_f32.cu"
#include "../im2col.cu"
#include "../loss.cu"
#include "../optim.cu"
#include "../pool.cu"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

// FP32 FMA lanes per SM per clock by compute capability: CUDA C++ Programming Guide, "Arithmetic
// Instructions" throughput table (32-bit floating-point add, multiply, multiply-add): 64 on 7.5 and
// 8.0, 128 on 8.6, 8.9 and 9.0. One FMA = 2 FLOP.
static int fp32_lanes_per_sm(int major, int minor) {
    if (major == 7) return 64;
    if (major == 8 && minor == 0) return 64;
    return 128;  // 8.6, 8.7, 8.9, 9.0 (and newer: an assumption, printed with the result)
}


static void check_elementwise() {
    const long long n = 1000003;
    Dev d;
    std::vector<float> a = randn(n, 1), b = randn(n, 2);
    float special[] = {-0.f, 0.f, NAN, -NAN, 1e-45f, -1e-45f, INFINITY, -INFINITY};
    for (int i = 0; i < 8; i++) a[i] = special[i];
    float *da = d.f(a), *db = d.f(b), *dy = d.zeros(n);
    std::vector<double> want(n);
    std::string shape = std::to_string(n);

    LAUNCH(nnc_ew_relu, grid1d(n), 256, da, dy, n);
    for (long long i = 0; i < n; i++) want[i] = a[i] > 0.f ? a[i] : (std::isnan(a[i]) ? a[i] : 0.f);
    std::string c = compare(get(dy, n), want, 0);
    result("ew_relu", shape, c, median_ms([&] { LAUNCH(nnc_ew_relu, grid1d(n), 256, da, dy, n); }), 8.0 * n, false);

    LAUNCH(nnc_ew_relu_backward, grid1d(n), 256, da, db, dy, n);
    for (long long i = 0; i < n; i++) want[i] = a[i] > 0.f ? b[i] : 0.f;
    result("ew_relu_backward", shape, compare(get(dy, n), want, 0),
           median_ms([&] { LAUNCH(nnc_ew_relu_backward, grid1d(n), 256, da, db, dy, n); }), 12.0 * n, false);

    LAUNCH(nnc_ew_add, grid1d(n), 256, da, db, dy, n);
    for (long long i = 0; i < n; i++) want[i] = a[i] + b[i];
    result("ew_add", shape, compare(get(dy, n), want, 0), median_ms([&] { LAUNCH(nnc_ew_add, grid1d(n), 256, da, db, dy, n); }), 12.0 * n, false);

    LAUNCH(nnc_ew_mul, grid1d(n), 256, da, db, dy, n);
    for (long long i = 0; i < n; i++) want[i] = a[i] * b[i];
    result("ew_mul", shape, compare(get(dy, n), want, 0), median_ms([&] { LAUNCH(nnc_ew_mul, grid1d(n), 256, da, db, dy, n); }), 12.0 * n, false);

    LAUNCH(nnc_ew_scale, grid1d(n), 256, da, dy, -0.37f, n);
    for (long long i = 0; i < n; i++) want[i] = a[i] * -0.37f;
    result("ew_scale", shape, compare(get(dy, n), want, 0), median_ms([&] { LAUNCH(nnc_ew_scale, grid1d(n), 256, da, dy, -0.37f, n); }), 8.0 * n, false);

    float* dc = d.f(b);
    LAUNCH(nnc_ew_add_inplace, grid1d(n), 256, dc, da, n);
    for (long long i = 0; i < n; i++) want[i] = b[i] + a[i];
    result("ew_add_inplace", shape, compare(get(dc, n), want, 0), median_ms([&] { LAUNCH(nnc_ew_add_inplace, grid1d(n), 256, dc, db, n); }), 12.0 * n, false);

    LAUNCH(nnc_ew_fill, grid1d(n), 256, dy, 0.f, n);
    std::fill(want.begin(), want.end(), 0.0);
    result("ew_fill", shape, compare(get(dy, n), want, 0), median_ms([&] { LAUNCH(nnc_ew_fill, grid1d(n), 256, dy, 0.f, n); }), 4.0 * n, false);

    const int rows = 1001, f = 37;
    std::vector<float> x = randn((size_t) rows * f, 3), bias = randn(f, 4);
    float *dx = d.f(x), *dbias = d.f(bias), *dout = d.zeros((size_t) rows * f), *dsum = d.zeros(f);
    LAUNCH(nnc_ew_add_row_vector, grid1d((long long) rows * f), 256, dx, dbias, dout, (long long) rows * f, f);
    std::vector<double> w2((size_t) rows * f);
    for (size_t i = 0; i < w2.size(); i++) w2[i] = x[i] + bias[i % f];
    result("ew_add_row_vector", "1001x37", compare(get(dout, w2.size()), w2, 0),
           median_ms([&] { LAUNCH(nnc_ew_add_row_vector, grid1d((long long) rows * f), 256, dx, dbias, dout, (long long) rows * f, f); }),
           8.0 * rows * f, false);
    LAUNCH(nnc_ew_sum_rows, grid1d(f), 256, dx, dsum, rows, f);
    std::vector<double> w3(f, 0.0);
    for (int r = 0; r < rows; r++) for (int j = 0; j < f; j++) w3[j] += x[(size_t) r * f + j];
    result("ew_sum_rows", "1001x37", compare(get(dsum, f), w3, 1e-6),
           median_ms([&] { LAUNCH(nnc_ew_sum_rows, grid1d(f), 256, dx, dsum, rows, f); }), 4.0 * rows * f, false);

    const int nb = 7, ch = 11, s = 91;  // [7, 11, 91] viewed from the 1001x37 data
    LAUNCH(nnc_ew_sum_channels, ch, 256, dx, dsum, nb, ch, s);
    std::vector<double> w4(ch, 0.0);
    for (int bi = 0; bi < nb; bi++) for (int c2 = 0; c2 < ch; c2++) for (int k = 0; k < s; k++) w4[c2] += x[((size_t) bi * ch + c2) * s + k];
    result("ew_sum_channels", "7x11x91", compare(get(dsum, ch), w4, 1e-6),
           median_ms([&] { LAUNCH(nnc_ew_sum_channels, ch, 256, dx, dsum, nb, ch, s); }), 4.0 * nb * ch * s, false);

    LAUNCH(nnc_ew_add_channel_bias, grid1d((long long) nb * ch * s), 256, dx, dbias, (long long) nb * ch * s, ch, s);
    std::vector<double> w5((size_t) nb * ch * s);
    for (size_t i = 0; i < w5.size(); i++) w5[i] = x[i] + bias[(i / s) % ch];
    result("ew_add_channel_bias", "7x11x91", compare(get(dx, w5.size()), w5, 0), 0.f, 0, false);
}

// C = op(A) op(B) in double; A stored [M,K] or [K,M] (transA), B stored [K,N] or [N,K] (transB).
static double gemm_ref(const std::vector<float>& A, const std::vector<float>& B, bool ta, bool tb, int M, int N, int K,
                       size_t offA, size_t offB, int m, int n) {
    double s = 0;
    for (int k = 0; k < K; k++) {
        double a = ta ? A[offA + (size_t) k * M + m] : A[offA + (size_t) m * K + k];
        double b = tb ? B[offB + (size_t) n * K + k] : B[offB + (size_t) k * N + n];
        s += a * b;
    }
    return s;
}

static void check_gemm() {
    Dev d;
    const int M = 131, N = 67, K = 259, batch = 2;
    const long long offA = 5, offB = 3, offC = 7;
    for (int ta = 0; ta < 2; ta++) {
        for (int tb = 0; tb < 2; tb++) {
            size_t sa = (size_t) M * K, sb = (size_t) K * N, sc = (size_t) M * N;
            std::vector<float> A = randn(offA + batch * sa, 10 + ta), B = randn(offB + batch * sb, 20 + tb);
            float *dA = d.f(A), *dB = d.f(B), *dC = d.zeros(offC + batch * sc);
            dim3 grid((N + 127) / 128, (M + 127) / 128, batch);
            LAUNCH(nnc_gemm_f32, grid, 256, dA, offA, sa, ta ? M : K, ta, dB, offB, sb, tb ? K : N, tb, dC, offC, sc, N, M, N, K, 1.f, 0.f);
            CHECK(cudaGetLastError());
            std::vector<float> C = get(dC, offC + batch * sc);
            std::vector<float> got(batch * sc);
            std::vector<double> want(batch * sc);
            for (int z = 0; z < batch; z++)
                for (int m = 0; m < M; m++)
                    for (int n = 0; n < N; n++) {
                        want[z * sc + (size_t) m * N + n] = gemm_ref(A, B, ta, tb, M, N, K, offA + z * sa, offB + z * sb, m, n);
                        got[z * sc + (size_t) m * N + n] = C[offC + z * sc + (size_t) m * N + n];
                    }
            char name[32]; std::snprintf(name, sizeof name, "gemm_f32_%s%s", ta ? "T" : "N", tb ? "T" : "N");
            result(name, "2x131x67x259", compare(got, want, 1e-5),
                   median_ms([&] { LAUNCH(nnc_gemm_f32, grid, 256, dA, offA, sa, ta ? M : K, ta, dB, offB, sb, tb ? K : N, tb, dC, offC, sc, N, M, N, K, 1.f, 0.f); }),
                   2.0 * batch * M * N * K, true);
        }
    }
    // beta accumulation: C = 2*AB + 0.5*C
    {
        std::vector<float> A = randn((size_t) 33 * 17, 30), B = randn((size_t) 17 * 9, 31), C0 = randn((size_t) 33 * 9, 32);
        float *dA = d.f(A), *dB = d.f(B), *dC = d.f(C0);
        LAUNCH(nnc_gemm_f32, dim3(1, 1, 1), 256, dA, 0, 0, 17, 0, dB, 0, 0, 9, 0, dC, 0, 0, 9, 33, 9, 17, 2.f, 0.5f);
        std::vector<double> want((size_t) 33 * 9);
        for (int m = 0; m < 33; m++) for (int n = 0; n < 9; n++) want[m * 9 + n] = 2 * gemm_ref(A, B, 0, 0, 33, 9, 17, 0, 0, m, n) + 0.5 * C0[m * 9 + n];
        result("gemm_f32_alpha_beta", "33x9x17", compare(get(dC, want.size()), want, 1e-5), 0.f, 0, true);
    }
#ifndef NNC_EMULATE
    // throughput, square, with a sampled check against double sums
    for (int size : {1024, 4096}) {
        for (int tb = 0; tb < 2; tb++) {
            size_t e = (size_t) size * size;
            std::vector<float> A = randn(e, 40), B = randn(e, 41);
            float *dA = d.f(A), *dB = d.f(B), *dC = d.zeros(e);
            dim3 grid(size / 128, size / 128, 1);
            auto run = [&] { LAUNCH(nnc_gemm_f32, grid, 256, dA, 0, 0, size, 0, dB, 0, 0, size, tb, dC, 0, 0, size, size, size, size, 1.f, 0.f); };
            float ms = median_ms(run, size > 2048 ? 7 : 15);
            std::vector<float> C = get(dC, e);
            std::mt19937 rng(size);
            std::vector<float> got; std::vector<double> want;
            for (int i = 0; i < 64; i++) {
                int m = rng() % size, n = rng() % size;
                got.push_back(C[(size_t) m * size + n]);
                want.push_back(gemm_ref(A, B, 0, tb, size, size, size, 0, 0, m, n));
            }
            char name[32]; std::snprintf(name, sizeof name, "gemm_f32_N%s", tb ? "T" : "N");
            std::string shape = std::to_string(size) + "x" + std::to_string(size) + "x" + std::to_string(size);
            result(name, shape, compare(got, want, 1e-5), ms, 2.0 * size * size * (double) size, true);
            cudaFree(dA); cudaFree(dB); cudaFree(dC);
            d.ptrs.resize(d.ptrs.size() - 3);
        }
    }
#endif
}

struct Conv { int n, c, h, w, o, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow; };

static Conv make_conv(int n, int c, int h, int w, int o, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw) {
    Conv g{n, c, h, w, o, kh, kw, sh, sw, ph, pw, dh, dw, 0, 0};
    g.oh = (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1;
    g.ow = (w + 2 * pw - dw * (kw - 1) - 1) / sw + 1;
    return g;
}

// The column entry (b, k, p) by definition, or 0 inside the padding; also returns the input index.
static float col_value(const Conv& g, const std::vector<float>& x, int b, int k, int p, long long* xi) {
    int kx = k % g.kw, ky = (k / g.kw) % g.kh, ch = k / (g.kw * g.kh);
    int ox = p % g.ow, oy = p / g.ow;
    int iy = oy * g.sh - g.ph + ky * g.dh, ix = ox * g.sw - g.pw + kx * g.dw;
    *xi = -1;
    if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) return 0.f;
    *xi = (((long long) b * g.c + ch) * g.h + iy) * g.w + ix;
    return x[*xi];
}

static void check_im2col() {
    for (int dil = 1; dil <= 2; dil++) {
        Conv g = make_conv(3, 5, 9, 7, 4, 3, 2, 2, 1, 1, 1, dil, dil);
        Dev d;
        int ckk = g.c * g.kh * g.kw, P = g.oh * g.ow;
        size_t ncol = (size_t) g.n * ckk * P, nx = (size_t) g.n * g.c * g.h * g.w;
        std::vector<float> x = randn(nx, 50), col = randn(ncol, 51);
        float *dx = d.f(x), *dcol = d.zeros(ncol), *dgc = d.f(col), *ddx = d.zeros(nx);
        // images [1, 3) only: image0 = 1 must leave image 0 of col2im's output alone (we zero it here)
        LAUNCH(nnc_im2col, grid1d(ncol), 256, dx, dcol, 0, g.n, g.c, g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.oh, g.ow);
        std::vector<double> want(ncol), wdx(nx, 0.0);
        for (int b = 0; b < g.n; b++)
            for (int k = 0; k < ckk; k++)
                for (int p = 0; p < P; p++) {
                    long long xi;
                    size_t i = ((size_t) b * ckk + k) * P + p;
                    want[i] = col_value(g, x, b, k, p, &xi);
                    if (xi >= 0 && b >= 1) wdx[xi] += col[((size_t) (b - 1) * ckk + k) * P + p];
                }
        std::string shape = "3x5x9x7_k3x2_s2x1_p1_d" + std::to_string(dil);
        result("im2col", shape, compare(get(dcol, ncol), want, 0), median_ms([&] {
            LAUNCH(nnc_im2col, grid1d(ncol), 256, dx, dcol, 0, g.n, g.c, g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.oh, g.ow); }),
            8.0 * ncol, false);
        LAUNCH(nnc_col2im, grid1d(nx), 256, dgc, ddx, 1, g.n - 1, g.c, g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.oh, g.ow);
        result("col2im", shape, compare(get(ddx, nx), wdx, 1e-6), 0.f, 0, false);
    }
}

// A conv layer as the backend runs it: im2col of all images, then one batched SGEMM with W broadcast.
static void time_conv() {
#ifdef NNC_EMULATE
    Conv g = make_conv(3, 5, 11, 9, 7, 3, 3, 1, 1, 1, 1, 1, 1);
#else
    Conv g = make_conv(64, 32, 28, 28, 64, 3, 3, 1, 1, 1, 1, 1, 1);
#endif
    Dev d;
    int ckk = g.c * g.kh * g.kw, P = g.oh * g.ow;
    size_t nx = (size_t) g.n * g.c * g.h * g.w, ncol = (size_t) g.n * ckk * P, ny = (size_t) g.n * g.o * P;
    std::vector<float> x = randn(nx, 60), w = randn((size_t) g.o * ckk, 61);
    float *dx = d.f(x), *dw = d.f(w), *dcol = d.zeros(ncol), *dy = d.zeros(ny);
    auto run = [&] {
        LAUNCH(nnc_im2col, grid1d(ncol), 256, dx, dcol, 0, g.n, g.c, g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, 1, 1, g.oh, g.ow);
        LAUNCH(nnc_gemm_f32, dim3((P + 127) / 128, (g.o + 127) / 128, g.n), 256, dw, 0, 0, ckk, 0, dcol, 0, (long long) ckk * P, P, 0,
                                                                          dy, 0, (long long) g.o * P, P, g.o, P, ckk, 1.f, 0.f);
    };
#ifdef NNC_EMULATE
    run();  // the check below reads this run's output
#endif
    float ms = median_ms(run);
    std::vector<float> y = get(dy, ny);
    std::mt19937 rng(62);
    std::vector<float> got; std::vector<double> want;
    for (int i = 0; i < 256; i++) {
        int b = rng() % g.n, oc = rng() % g.o, p = rng() % P;
        double s = 0;
        for (int k = 0; k < ckk; k++) { long long xi; s += (double) col_value(g, x, b, k, p, &xi) * w[(size_t) oc * ckk + k]; }
        want.push_back(s);
        got.push_back(y[((size_t) b * g.o + oc) * P + p]);
    }
    char shape[64];
    std::snprintf(shape, sizeof shape, "N%d_C%d_%dx%d_O%d_k3_p1", g.n, g.c, g.h, g.w, g.o);
    result("conv_im2col_gemm", shape, compare(got, want, 1e-5), ms, 2.0 * g.n * g.o * (double) ckk * P, true);
}

struct Pool { int planes, h, w, kh, kw, sh, sw, ph, pw, oh, ow; };

static int ref_argmax(const Pool& g, const float* plane, int oy, int ox) {
    int best = -1; float bv = 0.f;
    for (int ky = 0; ky < g.kh; ky++) {
        int iy = oy * g.sh - g.ph + ky;
        if (iy < 0 || iy >= g.h) continue;
        for (int kx = 0; kx < g.kw; kx++) {
            int ix = ox * g.sw - g.pw + kx;
            if (ix < 0 || ix >= g.w) continue;
            float v = plane[iy * g.w + ix];
            if (best < 0 || v > bv || (std::isnan(v) && !std::isnan(bv))) { best = iy * g.w + ix; bv = v; }
        }
    }
    return best;
}

static void check_pool(int kh, int kw, int sh, int sw, int ph, int pw, bool ties, int planes, int h, int w, bool timed) {
    Pool g{planes, h, w, kh, kw, sh, sw, ph, pw, (h + 2 * ph - kh) / sh + 1, (w + 2 * pw - kw) / sw + 1};
    Dev d;
    size_t nx = (size_t) planes * h * w, ny = (size_t) planes * g.oh * g.ow;
    std::vector<float> x = randn(nx, 70, ties), gy = randn(ny, 71);
    if (!ties) x[1] = NAN;
    float *dx = d.f(x), *dgy = d.f(gy), *dy = d.zeros(ny), *ddx = d.zeros(nx);
    std::vector<double> wy(ny), wdx(nx, 0.0), wavg(ny), wavgdx(nx, 0.0);
    for (int p = 0; p < planes; p++)
        for (int oy = 0; oy < g.oh; oy++)
            for (int ox = 0; ox < g.ow; ox++) {
                size_t o = ((size_t) p * g.oh + oy) * g.ow + ox;
                const float* plane = &x[(size_t) p * h * w];
                int a = ref_argmax(g, plane, oy, ox);
                wy[o] = a < 0 ? -INFINITY : plane[a];
                if (a >= 0) wdx[(size_t) p * h * w + a] += gy[o];
                int y0 = oy * sh - ph, x0 = ox * sw - pw, cnt = 0; double s = 0;
                for (int iy = std::max(y0, 0); iy < std::min(y0 + kh, h); iy++)
                    for (int ix = std::max(x0, 0); ix < std::min(x0 + kw, w); ix++) { s += plane[iy * w + ix]; cnt++; }
                wavg[o] = cnt ? s / cnt : 0.0;
                for (int iy = std::max(y0, 0); iy < std::min(y0 + kh, h); iy++)
                    for (int ix = std::max(x0, 0); ix < std::min(x0 + kw, w); ix++) wavgdx[(size_t) p * h * w + iy * w + ix] += cnt ? gy[o] / (double) cnt : 0.0;
            }
    char shape[96];
    std::snprintf(shape, sizeof shape, "%dx%dx%d_k%dx%d_s%dx%d_p%dx%d%s", planes, h, w, kh, kw, sh, sw, ph, pw, ties ? "_ties" : "");
    auto fwd = [&] { LAUNCH(nnc_pool_max_forward, grid1d(ny), 256, dx, dy, planes, h, w, kh, kw, sh, sw, ph, pw, g.oh, g.ow); };
    auto bwd = [&] { LAUNCH(nnc_pool_max_backward, grid1d(nx), 256, dx, dgy, ddx, planes, h, w, kh, kw, sh, sw, ph, pw, g.oh, g.ow); };
    // symmetric padding, padding not counted (shapes_harness.cu checks ceil mode, asymmetric pads, count_include_pad)
    auto afwd = [&] { LAUNCH(nnc_pool_avg_forward, grid1d(ny), 256, dx, dy, planes, h, w, kh, kw, sh, sw, ph, pw, ph, pw, 0, g.oh, g.ow); };
    auto abwd = [&] { LAUNCH(nnc_pool_avg_backward, grid1d(nx), 256, dgy, ddx, planes, h, w, kh, kw, sh, sw, ph, pw, ph, pw, 0, g.oh, g.ow); };
    fwd(); std::string c1 = compare(get(dy, ny), wy, 0);
    bwd(); std::string c2 = compare(get(ddx, nx), wdx, 1e-6);
    afwd(); std::string c3 = compare(get(dy, ny), wavg, 1e-6);
    abwd(); std::string c4 = compare(get(ddx, nx), wavgdx, 1e-6);
    double bytes_f = 4.0 * (nx + ny), bytes_b = 4.0 * (2 * nx + ny);
    result("pool_max_forward", shape, c1, timed ? median_ms(fwd) : 0.f, bytes_f, false);
    result("pool_max_backward", shape, c2, timed ? median_ms(bwd) : 0.f, bytes_b, false);
    result("pool_avg_forward", shape, c3, timed ? median_ms(afwd) : 0.f, bytes_f, false);
    result("pool_avg_backward", shape, c4, timed ? median_ms(abwd) : 0.f, bytes_b - 4.0 * nx, false);
}

// nnc_bn_running_update (float steps, bit-exact with the Java default's scale/scale/addInPlace) and
// nnc_bn_var_from_inv_std (double, bit-exact with its twin), on the statistics the train kernel made.
static void check_bn_extras(int c, long long count, const std::vector<float>& mean, const std::vector<float>& var,
                            const std::vector<float>& invstd) {
    Dev d;
    std::vector<float> rm = randn(c, 84), rv = randn(c, 85);
    for (auto& v : rv) v = v * v;
    const float momentum = 0.1f, keep = 1.f - momentum, vf = momentum * ((float) count / (float) (count - 1));
    float *dm = d.f(mean), *dv = d.f(var), *drm = d.f(rm), *drv = d.f(rv), *dis = d.f(invstd), *dvar = d.zeros(c);
    LAUNCH(nnc_bn_running_update, grid1d(c), 256, dm, dv, drm, drv, c, keep, momentum, vf);
    LAUNCH(nnc_bn_var_from_inv_std, grid1d(c), 256, dis, dvar, c, 1e-5f);
    std::vector<double> wrm(c), wrv(c), wvar(c);
    for (int ch = 0; ch < c; ch++) {
        float a = rm[ch] * keep, b = mean[ch] * momentum, e = rv[ch] * keep, f = var[ch] * vf;  // float steps, no FMA
        wrm[ch] = a + b;
        wrv[ch] = e + f;
        double is = invstd[ch], v = 1.0 / (is * is) - (double) 1e-5f;
        wvar[ch] = (float) (v > 0.0 ? v : 0.0);
    }
    std::string shape = std::to_string(c) + "ch";
    std::string cm = compare(get(drm, c), wrm, 0), cv = compare(get(drv, c), wrv, 0);
    result("bn_running_update", shape, cm.rfind("FAIL", 0) == 0 ? cm : cv, 0.f, 0, false);
    // and the derived variance is the train kernel's own (biased) variance to float resolution
    std::string cd = compare(get(dvar, c), wvar, 0), cb = compare(get(dvar, c), std::vector<double>(var.begin(), var.end()), 1e-5);
    result("bn_var_from_inv_std", shape, cd.rfind("FAIL", 0) == 0 ? cd : cb, 0.f, 0, false);
}

static void check_batchnorm(int n, int c, int s, bool timed) {
    Dev d;
    size_t nx = (size_t) n * c * s;
    std::vector<float> x = randn(nx, 80), gamma = randn(c, 81), beta = randn(c, 82), gy = randn(nx, 83);
    for (auto& v : x) v = 3.f + 2.f * v;  // a mean far from 0: the two-pass variance matters
    float *dx = d.f(x), *dg = d.f(gamma), *db = d.f(beta), *dgy = d.f(gy), *dy = d.zeros(nx), *dm = d.zeros(c), *dv = d.zeros(c),
          *dis = d.zeros(c), *ddx = d.zeros(nx), *ddg = d.zeros(c), *ddb = d.zeros(c);
    auto train = [&] { LAUNCH(nnc_bn_train, c, 256, dx, dg, db, dy, dm, dv, dis, n, c, s, 1e-5f); };
    train();
    std::vector<float> mean = get(dm, c), invstd = get(dis, c);
    auto bwd = [&] { LAUNCH(nnc_bn_backward, c, 256, dx, dg, dm, dis, dgy, ddx, ddg, ddb, n, c, s); };
    bwd();
    auto inf = [&] { LAUNCH(nnc_bn_inference, grid1d(nx), 256, dx, dg, db, dm, dv, dy, (long long) nx, c, s, 1e-3f); };
    std::vector<double> wy(nx), wm(c), wv(c), wis(c), wdx(nx), wdg(c), wdb(c), winf(nx);
    std::vector<float> var = get(dv, c);
    auto at = [&](int b, int ch, int k) { return ((size_t) b * c + ch) * s + k; };
    for (int ch = 0; ch < c; ch++) {
        double sum = 0, sq = 0;
        for (int b = 0; b < n; b++) for (int k = 0; k < s; k++) sum += x[at(b, ch, k)];
        double mu = sum / ((double) n * s);
        for (int b = 0; b < n; b++) for (int k = 0; k < s; k++) { double dd = x[at(b, ch, k)] - mu; sq += dd * dd; }
        double v = sq / ((double) n * s), is = 1.0 / std::sqrt(v + 1e-5f);
        wm[ch] = mu; wv[ch] = v; wis[ch] = is;
        for (int b = 0; b < n; b++) for (int k = 0; k < s; k++) wy[at(b, ch, k)] = (x[at(b, ch, k)] - mu) * is * gamma[ch] + beta[ch];
        // backward from the kernel's own (float) saved statistics, as the backend's callers pass them
        double m2 = mean[ch], is2 = invstd[ch], sg = 0, sgx = 0, M = (double) n * s;
        for (int b = 0; b < n; b++) for (int k = 0; k < s; k++) { size_t i = at(b, ch, k); sg += gy[i]; sgx += gy[i] * ((x[i] - m2) * is2); }
        wdb[ch] = sg; wdg[ch] = sgx;
        for (int b = 0; b < n; b++) for (int k = 0; k < s; k++) {
            size_t i = at(b, ch, k);
            wdx[i] = gamma[ch] * is2 / M * (M * gy[i] - sg - (x[i] - m2) * is2 * sgx);
            winf[i] = ((double) x[i] - mean[ch]) * (1.0 / std::sqrt((double) var[ch] + 1e-3f)) * gamma[ch] + beta[ch];
        }
    }
    std::string shape = std::to_string(n) + "x" + std::to_string(c) + "x" + std::to_string(s);
    std::string cy = compare(get(dy, nx), wy, 1e-6), cm = compare(mean, wm, 1e-6), cv = compare(var, wv, 1e-6),
                ci = compare(invstd, wis, 1e-6);
    std::string stats = cm.rfind("FAIL", 0) == 0 ? cm : cv.rfind("FAIL", 0) == 0 ? cv : ci.rfind("FAIL", 0) == 0 ? ci : cy;
    result("bn_train", shape, stats, timed ? median_ms(train) : 0.f, 8.0 * nx * 1.5, false);
    std::string cdx = compare(get(ddx, nx), wdx, 1e-5), cdg = compare(get(ddg, c), wdg, 1e-6), cdb = compare(get(ddb, c), wdb, 1e-6);
    result("bn_backward", shape, cdg.rfind("FAIL", 0) == 0 ? cdg : cdb.rfind("FAIL", 0) == 0 ? cdb : cdx, timed ? median_ms(bwd) : 0.f,
           4.0 * nx * 5, false);
    inf();
    result("bn_inference", shape, compare(get(dy, nx), winf, 1e-6), timed ? median_ms(inf) : 0.f, 8.0 * nx, false);
    if (!timed) check_bn_extras(c, (long long) n * s, mean, var, invstd);
}

static void check_loss() {
    Dev d;
    const int n = 77, k = 10;
    std::vector<float> z = randn((size_t) n * k, 90);
    for (auto& v : z) v *= 4.f;
    std::vector<int> labels(n);
    for (int i = 0; i < n; i++) labels[i] = (i * 7) % k;
    float *dz = d.f(z), *dg = d.zeros((size_t) n * k);
    int* dl = d.raw<int>(n * 4);
    double* dloss = d.raw<double>(n * 8);
    CHECK(cudaMemcpy(dl, labels.data(), n * 4, cudaMemcpyHostToDevice));
    auto run = [&] { LAUNCH(nnc_softmax_xent, 1, 256, dz, dl, dg, dloss, n, k); };
    run();
    std::vector<double> rl(n), wg((size_t) n * k), wl(1, 0.0);
    CHECK(cudaMemcpy(rl.data(), dloss, n * 8, cudaMemcpyDeviceToHost));
    double total = 0, want_total = 0;
    for (int r = 0; r < n; r++) {
        double mx = -INFINITY, sum = 0;
        for (int j = 0; j < k; j++) mx = std::max(mx, (double) z[r * k + j]);
        for (int j = 0; j < k; j++) sum += std::exp(z[r * k + j] - mx);
        want_total += std::log(sum) - (z[r * k + labels[r]] - mx);
        for (int j = 0; j < k; j++) wg[r * k + j] = (std::exp(z[r * k + j] - mx) / sum - (j == labels[r] ? 1.0 : 0.0)) / n;
        total += rl[r];
    }
    std::string cg = compare(get(dg, wg.size()), wg, 1e-6);
    std::string cl = compare(std::vector<float>{(float) (total / n)}, std::vector<double>{want_total / n}, 1e-6);
    result("softmax_xent", "77x10", cl.rfind("FAIL", 0) == 0 ? cl : cg, median_ms(run), 8.0 * n * k, false);

    // the cuDNN route's second half: from log-probabilities (as CUDNN_SOFTMAX_LOG leaves them) in place
    std::vector<float> logp((size_t) n * k);
    for (int r = 0; r < n; r++) {
        double mx = -INFINITY, sum = 0;
        for (int j = 0; j < k; j++) mx = std::max(mx, (double) z[r * k + j]);
        for (int j = 0; j < k; j++) sum += std::exp(z[r * k + j] - mx);
        for (int j = 0; j < k; j++) logp[r * k + j] = (float) (z[r * k + j] - mx - std::log(sum));
    }
    float* dlp = d.f(logp);
    LAUNCH(nnc_softmax_xent_from_log, 1, 256, dlp, dl, dloss, n, k);
    CHECK(cudaMemcpy(rl.data(), dloss, n * 8, cudaMemcpyDeviceToHost));
    double total2 = 0;
    std::vector<double> wg2((size_t) n * k);
    for (int r = 0; r < n; r++) {
        total2 += rl[r];
        for (int j = 0; j < k; j++) wg2[r * k + j] = (float) ((std::exp((double) logp[r * k + j]) - (j == labels[r] ? 1.0 : 0.0)) / n);
    }
    std::string cg2 = compare(get(dlp, wg2.size()), wg2, 1e-6);  // the same double steps; exp may differ in the last bit
    std::string cl2 = compare(std::vector<float>{(float) (total2 / n)}, std::vector<double>{want_total / n}, 1e-6);
    result("softmax_xent_from_log", "77x10", cl2.rfind("FAIL", 0) == 0 ? cl2 : cg2, 0.f, 0, false);
}

static void check_optim() {
    Dev d;
    const long long n = 100003;
    std::vector<float> p = randn(n, 100), g = randn(n, 101), v = randn(n, 102), m = randn(n, 103), v2 = randn(n, 104);
    for (auto& x : v2) x = x * x;  // Adam's second moment is non-negative
    for (int variant = 0; variant < 2; variant++) {  // SGD momentum + wd (nesterov when 1)
        float *dp = d.f(p), *dg = d.f(g), *dv = d.f(v);
        LAUNCH(nnc_sgd_update, grid1d(n), 256, dp, dg, dv, n, 0.05f, 0.9f, 5e-4f, 1, variant);
        std::vector<double> wp(n), wv(n);
        for (long long i = 0; i < n; i++) {
            double gi = (double) g[i] + (double) 5e-4f * p[i];
            double vi = (double) 0.9f * v[i] + gi;
            wv[i] = (float) vi;
            wp[i] = (float) (p[i] - (double) 0.05f * (variant ? gi + (double) 0.9f * vi : vi));
        }
        std::string cp = compare(get(dp, n), wp, 1e-6), cv = compare(get(dv, n), wv, 1e-6);
        result(variant ? "sgd_nesterov" : "sgd_momentum", std::to_string(n), cp.rfind("FAIL", 0) == 0 ? cp : cv,
               median_ms([&] { LAUNCH(nnc_sgd_update, grid1d(n), 256, dp, dg, dv, n, 0.f, 0.9f, 0.f, 1, variant); }), 20.0 * n, false);
    }
    for (int decoupled = 0; decoupled < 2; decoupled++) {
        float *dp = d.f(p), *dg = d.f(g), *dm = d.f(m), *dv = d.f(v2);
        const int step = 3;
        const float lr = 1e-2f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f, wd = 0.01f;
        double bc1 = 1.0 - std::pow(b1, step), bc2 = std::sqrt(1.0 - std::pow(b2, step)), ss = lr / bc1;
        LAUNCH(nnc_adam_update, grid1d(n), 256, dp, dg, dm, dv, n, lr, b1, b2, eps, wd, decoupled, ss, bc2);
        std::vector<double> wp(n), wm(n), wv(n);
        for (long long i = 0; i < n; i++) {
            double pi = p[i], gi = g[i];
            if (decoupled) pi *= 1.0 - (double) lr * wd; else gi += (double) wd * pi;
            double mi = (double) b1 * m[i] + (1.0 - b1) * gi, vi = (double) b2 * v2[i] + (1.0 - b2) * gi * gi;
            wm[i] = (float) mi; wv[i] = (float) vi;
            wp[i] = (float) (pi - ss * mi / (std::sqrt(vi) / bc2 + eps));
        }
        std::string cp = compare(get(dp, n), wp, 1e-6), cm = compare(get(dm, n), wm, 1e-6), cv = compare(get(dv, n), wv, 1e-6);
        result(decoupled ? "adamw" : "adam", std::to_string(n), cp.rfind("FAIL", 0) == 0 ? cp : cm.rfind("FAIL", 0) == 0 ? cm : cv,
               median_ms([&] { LAUNCH(nnc_adam_update, grid1d(n), 256, dp, dg, dm, dv, n, 0.f, b1, b2, eps, 0.f, decoupled, 0.0, bc2); }),
               28.0 * n, false);
    }
}

int main() {
    if (!have_device()) return 2;
    cudaDeviceProp prop; CHECK(cudaGetDeviceProperties(&prop, 0));
    int sms = 0, clock_khz = 0;
    CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
    cudaDeviceGetAttribute(&clock_khz, cudaDevAttrClockRate, 0);
    int lanes = fp32_lanes_per_sm(prop.major, prop.minor);
    fp32_peak_gflops = 2.0 * lanes * sms * (clock_khz * 1e3) / 1e9;
    mem_peak_gbs = memory_peak_gbs();
    std::printf("device %s, CC %d.%d, %d SMs x %d FP32 lanes at %.0f MHz: FP32 peak %.0f GFLOP/s; memory peak %.0f GB/s\n",
                prop.name, prop.major, prop.minor, sms, lanes, clock_khz / 1e3, fp32_peak_gflops, mem_peak_gbs);
    check_elementwise();
    check_im2col();
    check_pool(2, 2, 2, 2, 0, 0, true, 64 * 32, 28, 28, true);
    check_pool(3, 3, 2, 2, 1, 1, false, 15, 7, 7, false);
    check_pool(3, 2, 2, 1, 1, 1, true, 15, 7, 6, false);
    check_pool(3, 3, 1, 1, 1, 1, true, 15, 7, 6, false);
    check_batchnorm(7, 5, 33, false);
    check_batchnorm(64, 32, 784, true);
    check_loss();
    check_optim();
    check_gemm();
    time_conv();
    std::printf("%s: %d check(s) failed\n", failures ? "FAIL" : "PASS", failures);
    return failures ? 1 : 0;
}

// Standalone check of the sparse convolution kernels (no Java). First validates every kernel on
// small odd shapes (stride, padding, dilation, output mask, 0% and 100% pruned) against plain CPU
// loops: the forward bit for bit (the same fmaf order), the backward against a double-precision
// loop with a relative tolerance. Then times a realistic layer pair dense vs structured 50/75/90%
// vs unstructured 90%, forward and backward, with a sampled check of each timed run.
// GFLOP/s are dense-equivalent (2*N*O*C*KH*KW*OH*OW forward, twice that backward) so that the
// speedups read off directly; peak_frac uses the FLOPs actually needed (kept fraction) instead.
// Build: nvcc -O2 -cudart static -o sparse_conv_harness sparse_conv_harness.cu
// Exit: 0 all checks pass, 1 a mismatch, 2 no CUDA device.
// Without a GPU, the validation part runs on the CPU emulation (no timing):
//   g++ -std=c++20 -O1 -pthread -DNNC_EMULATE -x c++ sparse_conv_harness.cu -o sparse_conv_emu
#include "harness_common.h"
#include "../sparse_conv.cu"
#include "../sparse_conv_csr.cu"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

// Backward: the kernels sum up to N*OH*OW products per weight in float (per-thread chains plus
// atomics), the CPU in double. Errors are relative to the largest |reference| of the tensor.
static const double BWD_TOL = 1e-4;

struct Shape {
    int n, c, h, w, o, kh, kw, sh, sw, ph, pw, dh, dw;
    int oh() const { return (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1; }
    int ow() const { return (w + 2 * pw - dw * (kw - 1) - 1) / sw + 1; }
    long long p() const { return (long long) oh() * ow(); }
    double flops() const { return 2.0 * n * o * c * kh * kw * p(); }
};

// A problem on host and device: weights in one sparse form, inputs, outputs, gradients.
struct Problem {
    Shape s;
    bool csr = false;
    std::vector<float> x, w, bias, gy;
    std::vector<uint8_t> mask;  // empty = none
    std::vector<int> keptOut, keptIn, prunedOut, prunedIn;
    std::vector<int> rowPtr, tap, colPtr, tapT, tapIndexT;
    std::vector<float> val, valT;
    float *dX = 0, *dW = 0, *dB = 0, *dY = 0, *dGy = 0, *dDx = 0, *dDw = 0, *dDb = 0, *dVal = 0, *dValT = 0, *dDval = 0;
    uint8_t* dMask = 0;
    int *dKo = 0, *dKi = 0, *dPo = 0, *dPi = 0, *dRow = 0, *dTap = 0, *dCol = 0, *dTapT = 0;
};

template <class T> static T* upload(const std::vector<T>& v) {
    if (v.empty()) return nullptr;
    T* d;
    CHECK(cudaMalloc(&d, v.size() * sizeof(T)));
    CHECK(cudaMemcpy(d, v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice));
    return d;
}
template <class T> static std::vector<T> download(const T* d, size_t n) {
    std::vector<T> v(n);
    if (n) CHECK(cudaMemcpy(v.data(), d, n * sizeof(T), cudaMemcpyDeviceToHost));
    return v;
}

static std::vector<int> complement(const std::vector<int>& kept, int n) {
    std::vector<int> out;
    for (int i = 0, j = 0; i < n; i++) {
        if (j < (int) kept.size() && kept[j] == i) j++;
        else out.push_back(i);
    }
    return out;
}

// density < 0: structured with the given kept lists; otherwise CSR from a random 0/1 mask.
static Problem make(const Shape& s, std::vector<int> keptOut, std::vector<int> keptIn, double density, bool withBias,
                    bool withMask, unsigned seed) {
    Problem pr;
    pr.s = s;
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-1.f, 1.f);
    pr.x.resize((size_t) s.n * s.c * s.h * s.w);
    pr.w.resize((size_t) s.o * s.c * s.kh * s.kw);
    pr.gy.resize((size_t) s.n * s.o * s.p());
    for (auto& v : pr.x) v = u(rng);
    for (auto& v : pr.w) v = u(rng);
    for (auto& v : pr.gy) v = u(rng);
    if (withBias) { pr.bias.resize(s.o); for (auto& v : pr.bias) v = u(rng); }
    if (withMask) { pr.mask.resize((size_t) s.n * s.p()); for (auto& m : pr.mask) m = (rng() % 4) != 0; }
    if (density < 0) {
        pr.keptOut = keptOut;
        pr.keptIn = keptIn;
        pr.prunedOut = complement(keptOut, s.o);
        pr.prunedIn = complement(keptIn, s.c);
    } else {
        pr.csr = true;
        int kk = s.c * s.kh * s.kw;
        std::uniform_real_distribution<double> u01(0, 1);
        pr.rowPtr.push_back(0);
        for (int o = 0; o < s.o; o++) {
            for (int t = 0; t < kk; t++) {
                if (u01(rng) < density) { pr.tap.push_back(t); pr.val.push_back(pr.w[(size_t) o * kk + t]); }
            }
            pr.rowPtr.push_back((int) pr.tap.size());
        }
        // transposed (per input channel, tap o*KH*KW + kh*KW + kw ascending) for grad input
        std::vector<std::vector<std::pair<int, float>>> cols(s.c);
        for (int o = 0; o < s.o; o++) {
            for (int e = pr.rowPtr[o]; e < pr.rowPtr[o + 1]; e++) {
                int c = pr.tap[e] / (s.kh * s.kw), r = pr.tap[e] % (s.kh * s.kw);
                cols[c].push_back({o * s.kh * s.kw + r, pr.val[e]});
            }
        }
        pr.colPtr.push_back(0);
        for (int c = 0; c < s.c; c++) {
            for (auto& e : cols[c]) { pr.tapT.push_back(e.first); pr.valT.push_back(e.second); }
            pr.colPtr.push_back((int) pr.tapT.size());
        }
    }
    pr.dX = upload(pr.x); pr.dW = upload(pr.w); pr.dB = upload(pr.bias); pr.dGy = upload(pr.gy); pr.dMask = upload(pr.mask);
    pr.dKo = upload(pr.keptOut); pr.dKi = upload(pr.keptIn); pr.dPo = upload(pr.prunedOut); pr.dPi = upload(pr.prunedIn);
    pr.dRow = upload(pr.rowPtr); pr.dTap = upload(pr.tap); pr.dVal = upload(pr.val);
    pr.dCol = upload(pr.colPtr); pr.dTapT = upload(pr.tapT); pr.dValT = upload(pr.valT);
    CHECK(cudaMalloc(&pr.dY, pr.gy.size() * 4));
    CHECK(cudaMalloc(&pr.dDx, pr.x.size() * 4));
    CHECK(cudaMalloc(&pr.dDw, pr.w.size() * 4));
    CHECK(cudaMalloc(&pr.dDb, s.o * 4));
    CHECK(cudaMalloc(&pr.dDval, std::max<size_t>(1, pr.val.size()) * 4));
    return pr;
}

static void release(Problem& pr) {
    void* ps[] = {pr.dX, pr.dW, pr.dB, pr.dY, pr.dGy, pr.dDx, pr.dDw, pr.dDb, pr.dVal, pr.dValT, pr.dDval, pr.dMask,
                  pr.dKo, pr.dKi, pr.dPo, pr.dPi, pr.dRow, pr.dTap, pr.dCol, pr.dTapT};
    for (void* p : ps) if (p) CHECK(cudaFree(p));
}

// ---- launches (the same choices as dev.nncompress.backend.cuda.SparseConv) ----
static int sms = 1;
#define GEO_ARGS s.n, s.c, s.h, s.w, s.o, s.kh, s.kw, s.oh(), s.ow(), s.sh, s.sw, s.ph, s.pw, s.dh, s.dw
static int cdiv(long long a, long long b) { return (int) ((a + b - 1) / b); }

// Tile TM x TN for `rows` (kept filters or channels) over `cols` pixels: TM by rows; the half-size
// tile when the 8x8-per-thread one would give fewer than 2 blocks per SM. Same rule as SparseConv.java.
struct Tile { int tm, tn, index; };
static Tile tileFor(int rows, long long cols, bool allowHalf) {
    int tm = rows <= 16 ? 16 : rows <= 32 ? 32 : 64;
    Tile t = {tm, 8192 / tm, tm == 16 ? 2 : tm == 32 ? 1 : 0};
    if (allowHalf && tm < 64 && (long long) cdiv(cols, t.tn) * cdiv(rows, tm) < 2LL * sms) t = {tm, 4096 / tm, tm == 16 ? 4 : 3};
    return t;
}
#define NNC_SC_TILES(kind) {nnc_sparse_conv_##kind##_structured_64x128, nnc_sparse_conv_##kind##_structured_32x256, \
    nnc_sparse_conv_##kind##_structured_16x512, nnc_sparse_conv_##kind##_structured_32x128, nnc_sparse_conv_##kind##_structured_16x256}
static decltype(&nnc_sparse_conv_fwd_structured_64x128) fwdKernels[] = NNC_SC_TILES(fwd);
static decltype(&nnc_sparse_conv_bwd_input_structured_64x128) dxKernels[] = NNC_SC_TILES(bwd_input);
static decltype(&nnc_sparse_conv_bwd_weight_structured_64x128) dwKernels[] = NNC_SC_TILES(bwd_weight);

static void zeroPlanes(float* t, const int* planes, int nPlanes, int n, int channels, long long p) {
    if (nPlanes == 0) return;
    dim3 grid(std::max(1, std::min(cdiv(p, 1024), 64)), std::max(1, std::min(n * nPlanes, 2048)));
    LAUNCH(nnc_sparse_conv_zero_planes, grid, 256, t, planes, nPlanes, n, channels, p);
}

static void forward(Problem& pr) {
    const Shape& s = pr.s;
    long long cols = (long long) s.n * s.p();
    if (pr.csr) {
        LAUNCH(nnc_sparse_conv_fwd_csr, dim3(cdiv(cols, 512), s.o), 128, pr.dX, pr.dRow, pr.dTap, pr.dVal, pr.dB, pr.dMask, pr.dY, GEO_ARGS);
        return;
    }
    int ko = (int) pr.keptOut.size(), ki = (int) pr.keptIn.size();
    zeroPlanes(pr.dY, pr.dPo, (int) pr.prunedOut.size(), s.n, s.o, s.p());
    if (ko == 0) return;
    Tile t = tileFor(ko, cols, true);
    auto k = fwdKernels[t.index];
    LAUNCH(k, dim3(cdiv(cols, t.tn), cdiv(ko, t.tm)), 128, pr.dX, pr.dW, pr.dB, pr.dMask, pr.dKo, ko, pr.dKi, ki, pr.dY, GEO_ARGS);
}

static void backward(Problem& pr) {
    const Shape& s = pr.s;
    if (pr.csr) {
        CHECK(cudaMemsetAsync(pr.dDval, 0, std::max<size_t>(1, pr.val.size()) * 4));
        LAUNCH(nnc_sparse_conv_bwd_input_csr, dim3(cdiv((long long) s.n * s.h * s.w, 512), s.c), 128, pr.dGy, pr.dCol, pr.dTapT, pr.dValT, pr.dMask, pr.dDx, GEO_ARGS);
        LAUNCH(nnc_sparse_conv_bwd_weight_csr, dim3(cdiv((long long) s.n * s.p(), 1024), s.o), 128, pr.dX, pr.dGy, pr.dRow, pr.dTap, pr.dMask, pr.dDval, GEO_ARGS);
        LAUNCH(nnc_sparse_conv_bwd_bias, s.o, 256, pr.dGy, pr.dMask, nullptr, pr.dDb, s.n, s.o, (int) s.p());
        return;
    }
    int ko = (int) pr.keptOut.size(), ki = (int) pr.keptIn.size();
    CHECK(cudaMemsetAsync(pr.dDw, 0, pr.w.size() * 4));
    zeroPlanes(pr.dDx, pr.dPi, (int) pr.prunedIn.size(), s.n, s.c, (long long) s.h * s.w);
    zeroPlanes(pr.dDb, pr.dPo, (int) pr.prunedOut.size(), 1, s.o, 1);
    if (ki > 0) {
        long long cols = (long long) s.n * s.h * s.w;
        Tile t = tileFor(ki, cols, true);
        auto k = dxKernels[t.index];
        LAUNCH(k, dim3(cdiv(cols, t.tn), cdiv(ki, t.tm)), 128, pr.dGy, pr.dW, pr.dMask, pr.dKo, ko, pr.dKi, ki, pr.dDx, GEO_ARGS);
    }
    if (ko > 0 && ki > 0) {
        long long kTotal = (long long) s.n * s.p();
        Tile t = tileFor(ko, (long long) ki * s.kh * s.kw, false);  // the pixel split fills the GPU
        int gx = cdiv((long long) ki * s.kh * s.kw, t.tn), gy = cdiv(ko, t.tm);
        int splits = std::max(1, std::min(cdiv(kTotal, 64), cdiv(sms * 8, gx * gy)));
        int per = cdiv(cdiv(kTotal, splits), 8) * 8;
        splits = cdiv(kTotal, per);
        auto k = dwKernels[t.index];
        LAUNCH(k, dim3(gx, gy, splits), 128, pr.dX, pr.dGy, pr.dMask, pr.dKo, ko, pr.dKi, ki, pr.dDw, per, GEO_ARGS);
    }
    if (ko > 0) LAUNCH(nnc_sparse_conv_bwd_bias, ko, 256, pr.dGy, pr.dMask, pr.dKo, pr.dDb, s.n, s.o, (int) s.p());
}

// ---- CPU loops: the definition, independent of the kernels' tiling ----
// The effective dense weight: the kept entries, zero elsewhere.
static std::vector<float> effectiveWeight(const Problem& pr) {
    const Shape& s = pr.s;
    std::vector<float> we(pr.w.size(), 0.f);
    int kk = s.kh * s.kw;
    if (pr.csr) {
        for (int o = 0; o < s.o; o++)
            for (int e = pr.rowPtr[o]; e < pr.rowPtr[o + 1]; e++) we[(size_t) o * s.c * kk + pr.tap[e]] = pr.val[e];
    } else {
        for (int o : pr.keptOut)
            for (int c : pr.keptIn)
                for (int r = 0; r < kk; r++) we[((size_t) o * s.c + c) * kk + r] = pr.w[((size_t) o * s.c + c) * kk + r];
    }
    return we;
}

// One forward output in the kernels' documented order (fmaf, padding taps read 0).
static float cpuOutput(const Problem& pr, int n, int o, int oy, int ox) {
    const Shape& s = pr.s;
    long long q = (long long) n * s.p() + (long long) oy * s.ow() + ox;
    bool keptFilter = pr.csr || std::binary_search(pr.keptOut.begin(), pr.keptOut.end(), o);
    if (!keptFilter || (!pr.mask.empty() && !pr.mask[q])) return 0.f;
    float acc = pr.bias.empty() ? 0.f : pr.bias[o];
    auto tapValue = [&](int c, int kh, int kw) {
        int iy = oy * s.sh - s.ph + kh * s.dh, ix = ox * s.sw - s.pw + kw * s.dw;
        return iy >= 0 && iy < s.h && ix >= 0 && ix < s.w ? pr.x[(((size_t) n * s.c + c) * s.h + iy) * s.w + ix] : 0.f;
    };
    if (pr.csr) {
        for (int e = pr.rowPtr[o]; e < pr.rowPtr[o + 1]; e++) {
            int c = pr.tap[e] / (s.kh * s.kw), r = pr.tap[e] % (s.kh * s.kw);
            acc = std::fmaf(tapValue(c, r / s.kw, r % s.kw), pr.val[e], acc);
        }
    } else {
        for (int c : pr.keptIn)
            for (int kh = 0; kh < s.kh; kh++)
                for (int kw = 0; kw < s.kw; kw++)
                    acc = std::fmaf(tapValue(c, kh, kw), pr.w[(((size_t) o * s.c + c) * s.kh + kh) * s.kw + kw], acc);
    }
    return acc;
}

// Gradients in double over the effective weight, masked gy; optionally only a sample of entries.
struct Grads { std::vector<double> dx, dw, db; };
static double maskedGy(const Problem& pr, int n, int o, int pix) {
    const Shape& s = pr.s;
    if (!pr.mask.empty() && !pr.mask[(size_t) n * s.p() + pix]) return 0;
    return pr.gy[((size_t) n * s.o + o) * s.p() + pix];
}
static double cpuDx(const Problem& pr, const std::vector<float>& we, int n, int c, int iy, int ix) {
    const Shape& s = pr.s;
    double sum = 0;
    for (int o = 0; o < s.o; o++)
        for (int kh = 0; kh < s.kh; kh++)
            for (int kw = 0; kw < s.kw; kw++) {
                int ty = iy + s.ph - kh * s.dh, tx = ix + s.pw - kw * s.dw;
                if (ty < 0 || tx < 0 || ty % s.sh || tx % s.sw || ty / s.sh >= s.oh() || tx / s.sw >= s.ow()) continue;
                double wv = we[(((size_t) o * s.c + c) * s.kh + kh) * s.kw + kw];
                if (wv != 0) sum += wv * maskedGy(pr, n, o, (ty / s.sh) * s.ow() + tx / s.sw);
            }
    return sum;
}
static double cpuDw(const Problem& pr, int o, int c, int kh, int kw) {
    const Shape& s = pr.s;
    double sum = 0;
    for (int n = 0; n < s.n; n++)
        for (int oy = 0; oy < s.oh(); oy++)
            for (int ox = 0; ox < s.ow(); ox++) {
                int iy = oy * s.sh - s.ph + kh * s.dh, ix = ox * s.sw - s.pw + kw * s.dw;
                if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) continue;
                sum += maskedGy(pr, n, o, oy * s.ow() + ox) * pr.x[(((size_t) n * s.c + c) * s.h + iy) * s.w + ix];
            }
    return sum;
}
static double cpuDb(const Problem& pr, int o) {
    double sum = 0;
    for (int n = 0; n < pr.s.n; n++)
        for (int pix = 0; pix < pr.s.p(); pix++) sum += maskedGy(pr, n, o, pix);
    return sum;
}

// Compares the device results with the CPU on all entries (sample = 0) or `sample` random ones.
struct Verdict { bool ok; double err; long long bad; };
static Verdict checkForward(Problem& pr, size_t sample, unsigned seed) {
    const Shape& s = pr.s;
    std::vector<float> y = download(pr.dY, pr.gy.size());
    std::mt19937_64 rng(seed);
    long long bad = 0;
    size_t count = sample ? sample : y.size();
    for (size_t t = 0; t < count; t++) {
        size_t i = sample ? rng() % y.size() : t;
        int ox = (int) (i % s.ow()), oy = (int) (i / s.ow() % s.oh()), o = (int) (i / s.p() % s.o), n = (int) (i / s.p() / s.o);
        float want = cpuOutput(pr, n, o, oy, ox);
        if (std::memcmp(&want, &y[i], 4) != 0 && bad++ < 5)
            std::fprintf(stderr, "  forward mismatch at n=%d o=%d y=%d x=%d: %.9g vs %.9g\n", n, o, oy, ox, y[i], want);
    }
    return {bad == 0, 0, bad};
}

static Verdict checkBackward(Problem& pr, size_t sample, unsigned seed) {
    const Shape& s = pr.s;
    std::vector<float> we = effectiveWeight(pr);
    std::vector<float> dx = download(pr.dDx, pr.x.size()), db = download(pr.dDb, s.o);
    std::vector<float> dw = pr.csr ? download(pr.dDval, pr.val.size()) : download(pr.dDw, pr.w.size());
    std::mt19937_64 rng(seed);
    double worst = 0;
    auto compare = [&](const char* what, size_t total, auto gpuAt, auto cpuAt) {
        if (total == 0) return;
        size_t count = sample ? std::min(sample, total) : total;
        std::vector<double> want(count), got(count);
        double scale = 0;
        for (size_t t = 0; t < count; t++) {
            size_t i = sample ? rng() % total : t;
            want[t] = cpuAt(i);
            got[t] = gpuAt(i);
            scale = std::max(scale, std::fabs(want[t]));
        }
        for (size_t t = 0; t < count; t++) {
            double e = std::fabs(got[t] - want[t]) / (scale > 0 ? scale : 1);
            if (!(e <= BWD_TOL) && worst <= BWD_TOL) std::fprintf(stderr, "  %s mismatch: %.9g vs %.9g\n", what, got[t], want[t]);
            if (!(e <= worst)) worst = e;  // NaN sticks
        }
    };
    compare("grad input", dx.size(), [&](size_t i) { return (double) dx[i]; }, [&](size_t i) {
        int ix = (int) (i % s.w), iy = (int) (i / s.w % s.h), c = (int) (i / ((size_t) s.h * s.w) % s.c), n = (int) (i / ((size_t) s.h * s.w * s.c));
        return cpuDx(pr, we, n, c, iy, ix);
    });
    int kk = s.kh * s.kw;
    if (pr.csr) {
        compare("grad value", dw.size(), [&](size_t i) { return (double) dw[i]; }, [&](size_t i) {
            int o = (int) (std::upper_bound(pr.rowPtr.begin(), pr.rowPtr.end(), (int) i) - pr.rowPtr.begin()) - 1;
            int c = pr.tap[i] / kk, r = pr.tap[i] % kk;
            return cpuDw(pr, o, c, r / s.kw, r % s.kw);
        });
    } else {
        compare("grad weight", dw.size(), [&](size_t i) { return (double) dw[i]; }, [&](size_t i) {
            int r = (int) (i % kk), c = (int) (i / kk % s.c), o = (int) (i / kk / s.c);
            bool kept = std::binary_search(pr.keptOut.begin(), pr.keptOut.end(), o) && std::binary_search(pr.keptIn.begin(), pr.keptIn.end(), c);
            return kept ? cpuDw(pr, o, c, r / s.kw, r % s.kw) : 0.0;
        });
    }
    compare("grad bias", db.size(), [&](size_t i) { return (double) db[i]; }, [&](size_t i) {
        bool kept = pr.csr || std::binary_search(pr.keptOut.begin(), pr.keptOut.end(), (int) i);
        return kept ? cpuDb(pr, (int) i) : 0.0;
    });
    return {worst <= BWD_TOL, worst, 0};
}

static std::string errField(const Verdict& v) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "max_rel_err=%.2e", v.err);
    return v.ok ? buf : "FAIL";
}

static std::vector<int> pick(int n, int keep, std::mt19937& rng) {
    std::vector<int> all(n);
    for (int i = 0; i < n; i++) all[i] = i;
    std::shuffle(all.begin(), all.end(), rng);
    all.resize(keep);
    std::sort(all.begin(), all.end());
    return all;
}
static std::vector<int> range(int n) { std::vector<int> v(n); for (int i = 0; i < n; i++) v[i] = i; return v; }

static std::string shapeName(const Shape& s) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "N%d_C%d_O%d_%dx%d_k%dx%d_s%d_p%d_d%d", s.n, s.c, s.o, s.h, s.w, s.kh, s.kw, s.sh, s.ph, s.dh);
    return buf;
}

#ifndef NNC_EMULATE
template <class F> static float medianMs(F run, int reps) {
    cudaEvent_t a, b;
    CHECK(cudaEventCreate(&a)); CHECK(cudaEventCreate(&b));
    for (int i = 0; i < 3; i++) run();
    std::vector<float> ms;
    for (int i = 0; i < reps; i++) {
        CHECK(cudaEventRecord(a)); run(); CHECK(cudaEventRecord(b)); CHECK(cudaEventSynchronize(b));
        float t; CHECK(cudaEventElapsedTime(&t, a, b)); ms.push_back(t);
    }
    CHECK(cudaGetLastError());
    std::sort(ms.begin(), ms.end());
    CHECK(cudaEventDestroy(a)); CHECK(cudaEventDestroy(b));
    return ms[ms.size() / 2];
}

// fp32 FMA per SM per clock: CUDA C++ Programming Guide, "Arithmetic Instructions" throughput table
// (32-bit floating-point add, multiply, multiply-add): 64 for 7.x and 8.0, 128 for 8.6, 8.9, 9.0.
static double peakGflops() {
    int dev = 0, major = 0, minor = 0, clockKhz = 0;
    CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev));
    CHECK(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev));
    CHECK(cudaDeviceGetAttribute(&clockKhz, cudaDevAttrClockRate, dev));
    int fmaPerSm = (major == 7 || (major == 8 && minor == 0)) ? 64 : (major >= 8 ? 128 : 0);
    return 2.0 * fmaPerSm * sms * clockKhz * 1e3 / 1e9;
}
#endif

int main() {
    int count = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess || count == 0) {
        std::printf("no CUDA device: %s\n", cudaGetErrorString(e != cudaSuccess ? e : cudaErrorNoDevice));
        return 2;
    }
    CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
    cudaDeviceProp prop;
    CHECK(cudaGetDeviceProperties(&prop, 0));
#ifdef NNC_EMULATE
    std::printf("device %s: validation only\n", prop.name);
#else
    const double peak = peakGflops();
    std::printf("device %s, %d SMs, fp32 peak %.0f GFLOP/s\n", prop.name, sms, peak);
#endif
    bool allOk = true;

    // 1. every kernel on small odd shapes, checked on every entry
    std::mt19937 rng(11);
    struct Case { Shape s; double keepOut, keepIn, density; bool bias, mask; };
    const Case cases[] = {
        {{2, 5, 9, 11, 7, 3, 3, 1, 1, 1, 1, 1, 1}, 0.6, 0.8, -1, true, false},
        {{3, 4, 13, 10, 20, 3, 3, 2, 2, 1, 1, 1, 1}, 0.5, 1.0, -1, true, true},
        {{2, 6, 12, 9, 40, 3, 2, 1, 2, 2, 1, 2, 1}, 1.0, 0.5, -1, false, false},
        {{1, 3, 7, 11, 70, 5, 5, 2, 1, 2, 0, 1, 2}, 0.3, 0.67, -1, true, true},
        {{2, 5, 8, 8, 9, 3, 3, 1, 1, 1, 1, 1, 1}, 0.0, 1.0, -1, true, false},  // every filter pruned
        {{2, 5, 8, 8, 9, 1, 1, 1, 1, 0, 0, 1, 1}, 1.0, 0.0, -1, true, true},   // every input channel pruned
        {{2, 70, 12, 12, 150, 3, 3, 1, 1, 1, 1, 1, 1}, 0.9, 0.95, -1, true, true},  // several tiles along M, N, K
        {{3, 4, 20, 20, 12, 3, 3, 1, 1, 1, 1, 1, 1}, 1.0, 1.0, -1, false, false},  // narrow tile (16 x 512), 3 column tiles
        {{2, 5, 9, 11, 7, 3, 3, 1, 1, 1, 1, 1, 1}, -1, -1, 0.3, true, false},
        {{3, 4, 13, 10, 20, 3, 3, 2, 2, 1, 1, 1, 1}, -1, -1, 0.1, true, true},
        {{2, 6, 12, 9, 5, 3, 2, 1, 2, 2, 1, 2, 1}, -1, -1, 1.0, false, false},
        {{2, 3, 7, 7, 4, 3, 3, 1, 1, 1, 1, 1, 1}, -1, -1, 0.0, true, true},   // empty rows: output = bias
    };
    int caseNo = 0;
    for (const Case& c : cases) {
        const Shape& s = c.s;
        Problem pr = c.density >= 0
            ? make(s, {}, {}, c.density, c.bias, c.mask, 100 + caseNo)
            : make(s, pick(s.o, (int) std::lround(s.o * c.keepOut), rng), pick(s.c, (int) std::lround(s.c * c.keepIn), rng), -1,
                   c.bias, c.mask, 100 + caseNo);
        CHECK(cudaMemset(pr.dY, 0xff, pr.gy.size() * 4));   // NaN: an output nobody writes fails
        CHECK(cudaMemset(pr.dDx, 0xff, pr.x.size() * 4));
        CHECK(cudaMemset(pr.dDb, 0xff, s.o * 4));
        forward(pr);
        backward(pr);
        CHECK(cudaDeviceSynchronize());
        CHECK(cudaGetLastError());
        Verdict f = checkForward(pr, 0, 1), b = checkBackward(pr, 0, 2);
        std::string name = std::string(pr.csr ? "csr" : "structured") + "_case" + std::to_string(caseNo) + (c.mask ? "_masked" : "");
        std::printf("RESULT name=fwd_%s shape=%s check=%s time_ms=- rate=- unit=GFLOP/s peak_frac=-\n", name.c_str(),
                    shapeName(s).c_str(), f.ok ? "bit-exact" : "FAIL");
        std::printf("RESULT name=bwd_%s shape=%s check=%s time_ms=- rate=- unit=GFLOP/s peak_frac=-\n", name.c_str(),
                    shapeName(s).c_str(), errField(b).c_str());
        allOk &= f.ok && b.ok;
        release(pr);
        caseNo++;
    }

#ifndef NNC_EMULATE
    // 2. timing: realistic layers, dense (all kept) vs structured vs unstructured
    const Shape layers[] = {{64, 64, 56, 56, 128, 3, 3, 1, 1, 1, 1, 1, 1}, {64, 128, 28, 28, 256, 3, 3, 1, 1, 1, 1, 1, 1}};
    for (const Shape& s : layers) {
        struct Variant { const char* name; double sparsity; bool csr; };
        const Variant variants[] = {{"dense", 0.0, false}, {"structured50", 0.5, false}, {"structured75", 0.75, false},
                                    {"structured90", 0.9, false}, {"csr90", 0.9, true}};
        double denseFwd = 0, denseBwd = 0;
        for (const Variant& v : variants) {
            int keep = (int) std::lround(s.o * (1 - v.sparsity));
            Problem pr = v.csr ? make(s, {}, {}, 1 - v.sparsity, true, false, 7)
                               : make(s, pick(s.o, keep, rng), range(s.c), -1, true, false, 7);
            double kept = v.csr ? (double) pr.tap.size() / ((double) s.o * s.c * s.kh * s.kw) : (double) keep / s.o;
            float fms = medianMs([&] { forward(pr); }, 10);
            Verdict f = checkForward(pr, 2000, 3);
            float bms = medianMs([&] { backward(pr); }, 10);
            Verdict b = checkBackward(pr, 40, 4);
            if (denseFwd == 0) { denseFwd = fms; denseBwd = bms; }
            double fr = s.flops() / (fms * 1e-3) / 1e9, br = 2 * s.flops() / (bms * 1e-3) / 1e9;
            std::printf("RESULT name=fwd_%s shape=%s check=%s time_ms=%.4f rate=%.1f unit=GFLOP/s peak_frac=%.3f speedup_vs_dense=%.2f\n",
                        v.name, shapeName(s).c_str(), f.ok ? "bit-exact" : "FAIL", fms, fr, fr * kept / peak, denseFwd / fms);
            std::printf("RESULT name=bwd_%s shape=%s check=%s time_ms=%.4f rate=%.1f unit=GFLOP/s peak_frac=%.3f speedup_vs_dense=%.2f\n",
                        v.name, shapeName(s).c_str(), errField(b).c_str(), bms, br,
                        br * kept / peak, denseBwd / bms);
            allOk &= f.ok && b.ok;
            release(pr);
        }
    }
#endif
    std::printf("%s\n", allOk ? "all sparse conv checks passed" : "SOME SPARSE CONV CHECKS FAILED");
    return allOk ? 0 : 1;
}

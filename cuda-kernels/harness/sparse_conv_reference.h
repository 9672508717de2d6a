// The sparse conv harness's oracle: plain CPU loops that define the convolution independently of the
// kernels' tiling (the forward in the kernels' documented fmaf order, the gradients in double), and
// the comparisons of a problem's device results with them.
#pragma once
#include "sparse_conv_problem.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

// Backward: the kernels sum up to N*OH*OW products per weight in float (per-thread chains plus
// atomics), the CPU in double. Errors are relative to the largest |reference| of the tensor.
static const double BWD_TOL = 1e-4;

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
            worst = worse(worst, e);  // NaN sticks (harness_common.h)
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

// Standalone check of the sparse convolution kernels (no Java). First validates every kernel on
// small odd shapes (stride, padding, dilation, output mask, 0% and 100% pruned) against plain CPU
// loops: the forward bit for bit (the same fmaf order), the backward against a double-precision
// loop with a relative tolerance. Then times a realistic layer pair dense vs structured 50/75/90%
// vs unstructured 90%, forward and backward, with a sampled check of each timed run.
// GFLOP/s are dense-equivalent (2*N*O*C*KH*KW*OH*OW forward, twice that backward) so that the
// speedups read off directly; peak_frac uses the FLOPs actually needed (kept fraction) instead.
// The problems live in sparse_conv_problem.h, the CPU definition and the comparisons in
// sparse_conv_reference.h; this file holds the launches (SparseConv.java's choices) and the cases.
// Build: nvcc -O2 -cudart static -o sparse_conv_harness sparse_conv_harness.cu
// Exit: 0 all checks pass, 1 a mismatch, 2 no CUDA device.
// Without a GPU, the validation part runs on the CPU emulation (no timing):
//   g++ -std=c++20 -O1 -pthread -DNNC_EMULATE -x c++ sparse_conv_harness.cu -o sparse_conv_emu
#include "harness_common.h"
#include "../sparse_conv.cu"
#include "../sparse_conv_csr.cu"
#include "sparse_conv_reference.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

// ---- launches (the same choices as dev.nncompress.backend.cuda.kernels.SparseConv) ----
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

// The sparse conv harness's problems: a layer's shape, and one problem on host and device (inputs,
// weights in one sparse form -- kept lists, or CSR and its transpose --, outputs and gradients).
// Included by sparse_conv_harness.cu after harness_common.h (CHECK, and the CPU emulation's runtime).
#pragma once
#include "harness_common.h"

#include <algorithm>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

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

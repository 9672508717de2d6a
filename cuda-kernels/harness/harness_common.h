// What every kernel harness shares: the launch macro that runs a kernel on the GPU, or on the CPU
// emulation (cuda-kernels/emu/cuda_emu.h) when built with g++ -DNNC_EMULATE, and CHECK for runtime
// calls (a failed call after the device probe is a harness failure, exit 1; "no device" is the
// harness's own exit 2), and below them the helpers the harnesses share. Include it first: under
// emulation it defines __global__ and friends before the kernels are read.
#pragma once
#ifdef NNC_EMULATE
#include "../emu/cuda_emu.h"
#define LAUNCH(kernel, grid, block, ...) nnc_emu::launch(grid, block, [&] { kernel(__VA_ARGS__); })
#define LAUNCH_SHARED(kernel, grid, block, shared, ...) nnc_emu::launch(grid, block, [&] { kernel(__VA_ARGS__); }, shared)
#else
#define LAUNCH(kernel, grid, block, ...) kernel<<<grid, block>>>(__VA_ARGS__)
#define LAUNCH_SHARED(kernel, grid, block, shared, ...) kernel<<<grid, block, shared>>>(__VA_ARGS__)  // with dynamic shared bytes
#endif

#include <cstdio>
#include <cstdlib>

#define CHECK(call)                                                                              \
    do {                                                                                         \
        cudaError_t err_ = (call);                                                               \
        if (err_ != cudaSuccess) {                                                               \
            std::fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, cudaGetErrorString(err_));   \
            std::exit(1);                                                                        \
        }                                                                                        \
    } while (0)

// ---- What the float kernels' harnesses (backend_ops, conv_grouped, pointwise, shapes) and quantize share:
// device buffers, random inputs, the comparison with a CPU definition, timing and the RESULT line. Inline
// (one definition per harness binary, no unused-function warnings in the harnesses that use less).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

inline int failures = 0;  // checks that failed: main's "PASS/FAIL" line and exit status
// Peaks for RESULT's peak_frac, set by main from the device's attributes; 0: peak_frac prints "-".
inline double mem_peak_gbs = 0, fp32_peak_gflops = 0;

#ifdef NNC_EMULATE
inline const long long max_grid1d = 8;  // each emulated block is 256 std::threads
#else
inline const long long max_grid1d = 65535LL * 8;
#endif
// A 1-D grid of 256-thread blocks for n elements, capped: the kernels' grid-stride loops cover the rest.
inline dim3 grid1d(long long n) { return dim3((unsigned) std::max(1LL, std::min((n + 255) / 256, max_grid1d))); }

// Device buffers freed together when the harness case ends.
struct Dev {
    std::vector<void*> ptrs;
    float* f(const std::vector<float>& h) {
        float* d; CHECK(cudaMalloc(&d, std::max<size_t>(1, h.size()) * 4));
        if (!h.empty()) CHECK(cudaMemcpy(d, h.data(), h.size() * 4, cudaMemcpyHostToDevice));
        ptrs.push_back(d); return d;
    }
    float* zeros(size_t n) { return f(std::vector<float>(n, 0.f)); }
    template <class T> T* raw(size_t bytes) { void* d; CHECK(cudaMalloc(&d, std::max<size_t>(1, bytes))); ptrs.push_back(d); return (T*) d; }
    ~Dev() { for (void* p : ptrs) cudaFree(p); }
};

inline std::vector<float> get(const float* d, size_t n) {
    std::vector<float> h(n);
    if (n) CHECK(cudaMemcpy(h.data(), d, n * 4, cudaMemcpyDeviceToHost));
    return h;
}

// N(0, 1) values, or with ties small integers 0..2 (so that max and argmax meet equal values).
inline std::vector<float> randn(size_t n, unsigned seed, bool ties = false) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> nd(0.f, 1.f);
    std::uniform_int_distribution<int> small(0, 2);
    std::vector<float> v(n);
    for (auto& x : v) x = ties ? (float) small(rng) : nd(rng);
    return v;
}

// The larger error, NaN-sticky: std::max(err, NaN) returns err (NaN compares false), and `if (!(e <= worst))
// worst = e` lets a later finite error overwrite an earlier NaN, so either form lets a kernel that writes NaN
// pass a toleranced check. Every error accumulation in the harnesses goes through this.
inline double worse(double acc, double e) { return std::isnan(acc) || std::isnan(e) ? NAN : std::max(acc, e); }

// "bit-exact", "max_rel_err=..." (error relative to the reference's largest finite magnitude) within tol, or
// FAIL(...), which counts in failures. NaN must meet NaN and an infinity the same infinity; with tol 0 a zero
// must have the reference's sign, with tol > 0 the sign of a zero is no difference.
inline std::string compare(const std::vector<float>& got, const std::vector<double>& want, double tol) {
    if (got.size() != want.size()) { failures++; return "FAIL(size)"; }
    double mag = 0, err = 0;
    bool exact = true;
    for (double w : want) if (std::isfinite(w)) mag = std::max(mag, std::fabs(w));
    for (size_t i = 0; i < want.size(); i++) {
        float w = (float) want[i];
        if (std::isnan(want[i])) { if (!std::isnan(got[i])) { err = INFINITY; exact = false; } continue; }
        if (std::memcmp(&got[i], &w, 4) != 0 && !(got[i] == 0.f && w == 0.f && tol > 0)) exact = false;
        if (std::isinf(want[i])) { if (got[i] != w) err = INFINITY; continue; }
        err = worse(err, std::fabs((double) got[i] - want[i]) / std::max(mag, 1e-30));
    }
    if (exact) return "bit-exact";
    char b[64];
    if (!(err <= tol)) { failures++; std::snprintf(b, sizeof b, "FAIL(max_rel_err=%.2e)", err); return b; }
    std::snprintf(b, sizeof b, "max_rel_err=%.1e", err);
    return b;
}

// The same against a float definition (widening to double is exact).
inline std::string compare(const std::vector<float>& got, const std::vector<float>& want, double tol) {
    return compare(got, std::vector<double>(want.begin(), want.end()), tol);
}

// Median milliseconds of reps timed launches after two warm-ups; 0 (not timed; RESULT prints "-") under
// emulation, where the launch is not repeated.
inline float median_ms(const std::function<void()>& launch, int reps = 15) {
#ifdef NNC_EMULATE
    (void) launch; (void) reps;
    return 0.f;
#else
    cudaEvent_t a, b; CHECK(cudaEventCreate(&a)); CHECK(cudaEventCreate(&b));
    launch(); launch(); CHECK(cudaDeviceSynchronize());  // warm-up
    std::vector<float> t;
    for (int r = 0; r < reps; r++) {
        CHECK(cudaEventRecord(a)); launch(); CHECK(cudaEventRecord(b)); CHECK(cudaEventSynchronize(b));
        float ms; CHECK(cudaEventElapsedTime(&ms, a, b)); t.push_back(ms);
    }
    CHECK(cudaGetLastError());
    cudaEventDestroy(a); cudaEventDestroy(b);
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
#endif
}

// True when device 0 exists; else prints why, and the harness exits 2.
inline bool have_device() {
    int count = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess || count == 0) {
        std::printf("no CUDA device: %s\n", e != cudaSuccess ? cudaGetErrorString(e) : "device count is 0");
        return false;
    }
    return true;
}

// DRAM peak of device 0 in GB/s: two transfers per memory clock over the bus width (0 where unknown).
inline double memory_peak_gbs() {
    int mem_khz = 0, bus_bits = 0;
    cudaDeviceGetAttribute(&mem_khz, cudaDevAttrMemoryClockRate, 0);
    cudaDeviceGetAttribute(&bus_bits, cudaDevAttrGlobalMemoryBusWidth, 0);
    return 2.0 * mem_khz * 1e3 * (bus_bits / 8) / 1e9;
}

// One RESULT line: rate in GB/s (amount = bytes moved) against mem_peak_gbs, or with flops GFLOP/s against
// fp32_peak_gflops; ms <= 0 is a check-only case (time, rate and peak_frac print as "-").
inline void result(const std::string& name, const std::string& shape, const std::string& check, float ms, double amount, bool flops = false) {
    const char* unit = flops ? "GFLOP/s" : "GB/s";
    if (ms <= 0) {
        std::printf("RESULT name=%s shape=%s check=%s time_ms=- rate=- unit=%s peak_frac=-\n", name.c_str(), shape.c_str(), check.c_str(), unit);
        return;
    }
    double rate = amount / (ms * 1e-3) / 1e9;
    double peak = flops ? fp32_peak_gflops : mem_peak_gbs;
    char pf[32]; if (peak > 0) std::snprintf(pf, sizeof pf, "%.3f", rate / peak); else std::snprintf(pf, sizeof pf, "-");
    std::printf("RESULT name=%s shape=%s check=%s time_ms=%.4f rate=%.1f unit=%s peak_frac=%s\n", name.c_str(), shape.c_str(), check.c_str(), ms,
                rate, unit, pf);
}

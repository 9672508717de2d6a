// Standalone check of the quantisation kernels (no Java): validates each against a CPU loop with the
// semantics of ReferenceOps (bit-exact), then times it. Build (done by scripts/build-cuda.sh):
//   nvcc -O2 -cudart static -o quantize_harness quantize_harness.cu
// Run on a GPU machine: ./quantize_harness [elements]
// Output: one "RESULT name=... shape=... check=... time_ms=... rate=... unit=GB/s peak_frac=..." line
// per kernel (parsed by scripts/gpu-check.sh). Exit 0 all bit-exact, 1 any mismatch, 2 no CUDA device.
// Validation only, on the CPU (cuda-kernels/emu/cuda_emu.h; default size 2^20 + 3, times print "-"):
//   g++ -std=c++20 -O1 -pthread -DNNC_EMULATE -x c++ quantize_harness.cu -o quantize_emu
#include "harness_common.h"
#include "../quantize.cu"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <vector>

static int cpu_quantize(float x, float s, int zp) {  // the twin's arithmetic, step by step
    float v = rintf(x / s) + (float) zp;
    return (int) fminf(127.f, fmaxf(-128.f, v));
}

static void result(const char* name, long long n, long long bad, float ms, double bytes_per_elem) {
    if (ms <= 0) {  // validation only (emulation)
        std::printf("RESULT name=%s shape=%lld check=%s time_ms=- rate=- unit=GB/s peak_frac=-\n", name, n, bad ? "FAIL" : "bit-exact");
        return;
    }
    double gbs = (double) n * bytes_per_elem / (ms * 1e-3) / 1e9;
    double peak = memory_peak_gbs();
    std::printf("RESULT name=%s shape=%lld check=%s time_ms=%.4f rate=%.1f unit=GB/s peak_frac=", name, n,
                bad ? "FAIL" : "bit-exact", ms, gbs);
    if (peak > 0) std::printf("%.3f\n", gbs / peak); else std::printf("-\n");
}

int main(int argc, char** argv) {
    int devices = 0;
    cudaError_t probe = cudaGetDeviceCount(&devices);
    if (probe != cudaSuccess || devices == 0) {
        std::printf("no CUDA device: %s\n", probe != cudaSuccess ? cudaGetErrorString(probe) : "device count is 0");
        return 2;
    }
#ifdef NNC_EMULATE
    long long n = argc > 1 ? std::atoll(argv[1]) : (1LL << 20) + 3;  // odd size on purpose
#else
    long long n = argc > 1 ? std::atoll(argv[1]) : (1LL << 26) + 3;  // odd size on purpose
#endif
    const int channels = 129;
    const long long inner = (n + channels - 1) / channels;
    std::mt19937 rng(7);
    std::normal_distribution<float> normal(0.f, 3.f);
    std::uniform_real_distribution<float> uni(0.001f, 0.1f);
    std::vector<float> x(n), g(n), scale(channels);
    std::vector<int> zp(channels);
    for (auto& v : x) v = normal(rng);
    for (auto& v : g) v = normal(rng);
    for (int c = 0; c < channels; c++) { scale[c] = uni(rng); zp[c] = (c % 7) - 3; }
    x[0] = NAN; x[1] = 1e9f; x[2] = -1e9f;

    float *dx, *dy, *ds, *dback, *dg, *dgi; int* dz; int8_t* dq; uint8_t* dm;
    CHECK(cudaMalloc(&dx, n * 4)); CHECK(cudaMalloc(&dy, n * 4)); CHECK(cudaMalloc(&dq, n));
    CHECK(cudaMalloc(&dback, n * 4)); CHECK(cudaMalloc(&dg, n * 4)); CHECK(cudaMalloc(&dgi, n * 4));
    CHECK(cudaMalloc(&dm, n)); CHECK(cudaMalloc(&ds, channels * 4)); CHECK(cudaMalloc(&dz, channels * 4));
    CHECK(cudaMemcpy(dx, x.data(), n * 4, cudaMemcpyHostToDevice));
    CHECK(cudaMemcpy(dg, g.data(), n * 4, cudaMemcpyHostToDevice));
    CHECK(cudaMemcpy(ds, scale.data(), channels * 4, cudaMemcpyHostToDevice));
    CHECK(cudaMemcpy(dz, zp.data(), channels * 4, cudaMemcpyHostToDevice));

    int sms = 0;
    CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
    dim3 grid(sms * 8), block(256);
    auto quantize = [&] { LAUNCH(nnc_quantize_s8, grid, block, dx, dq, ds, dz, n, channels, inner); };
    auto dequantize = [&] { LAUNCH(nnc_dequantize_s8, grid, block, dq, dback, ds, dz, n, channels, inner); };
    auto fake = [&] { LAUNCH(nnc_fake_quantize_s8, grid, block, dx, dy, dm, ds, dz, n, channels, inner); };
    auto ste = [&] { LAUNCH(nnc_fake_quantize_s8_backward, grid, block, dg, dm, dgi, n); };
    quantize(); dequantize(); fake(); ste();
    CHECK(cudaGetLastError());
    CHECK(cudaDeviceSynchronize());

    std::vector<int8_t> q(n); std::vector<float> y(n), back(n), gi(n); std::vector<uint8_t> m(n);
    CHECK(cudaMemcpy(q.data(), dq, n, cudaMemcpyDeviceToHost));
    CHECK(cudaMemcpy(y.data(), dy, n * 4, cudaMemcpyDeviceToHost));
    CHECK(cudaMemcpy(back.data(), dback, n * 4, cudaMemcpyDeviceToHost));
    CHECK(cudaMemcpy(gi.data(), dgi, n * 4, cudaMemcpyDeviceToHost));
    CHECK(cudaMemcpy(m.data(), dm, n, cudaMemcpyDeviceToHost));
    long long badQ = 0, badD = 0, badF = 0, badS = 0;
    for (long long i = 0; i < n; i++) {
        int c = (int) ((i / inner) % channels);
        int want = cpu_quantize(x[i], scale[c], zp[c]);
        float v = rintf(x[i] / scale[c]) + (float) zp[c];
        float wantY = (float) (want - zp[c]) * scale[c];
        float wantBack = (float) ((int) q[i] - zp[c]) * scale[c];
        uint8_t wantM = (v >= -128.f && v <= 127.f) ? 1 : 0;
        float wantG = wantM ? g[i] : 0.f;
        if (q[i] != want && badQ++ < 3) std::fprintf(stderr, "quantize mismatch at %lld: %d vs %d\n", i, q[i], want);
        if (std::memcmp(&back[i], &wantBack, 4) != 0 && badD++ < 3) std::fprintf(stderr, "dequantize mismatch at %lld\n", i);
        if ((std::memcmp(&y[i], &wantY, 4) != 0 || m[i] != wantM) && badF++ < 3) {
            std::fprintf(stderr, "fake-quantize mismatch at %lld: y %g/%g mask %d/%d\n", i, y[i], wantY, m[i], wantM);
        }
        if (std::memcmp(&gi[i], &wantG, 4) != 0 && badS++ < 3) std::fprintf(stderr, "STE backward mismatch at %lld\n", i);
    }

    cudaDeviceProp prop; CHECK(cudaGetDeviceProperties(&prop, 0));
    std::printf("quantize harness on %s (CC %d.%d), n=%lld, %d channels\n", prop.name, prop.major, prop.minor, n, channels);
    result("nnc_quantize_s8", n, badQ, median_ms(quantize), 5);            // 4 B read, 1 B written
    result("nnc_dequantize_s8", n, badD, median_ms(dequantize), 5);        // 1 B read, 4 B written
    result("nnc_fake_quantize_s8", n, badF, median_ms(fake), 9);           // 4 read, 4 + 1 written
    result("nnc_fake_quantize_s8_backward", n, badS, median_ms(ste), 9);   // 4 + 1 read, 4 written
    return (badQ || badD || badF || badS) ? 1 : 0;
}

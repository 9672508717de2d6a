// Standalone check of the quantisation kernels (no Java): validates each against a CPU loop with
// the same semantics as ReferenceOps (bit-exact), then times it. Build:
//   nvcc -O2 -cudart static -o quantize_harness quantize_harness.cu
// Run on a GPU machine: ./quantize_harness [elements]   (exit code 1 on any mismatch)
#include "../quantize.cu"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#define CHECK(call)                                                                              \
    do {                                                                                         \
        cudaError_t err_ = (call);                                                               \
        if (err_ != cudaSuccess) {                                                               \
            std::fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, cudaGetErrorString(err_));   \
            std::exit(2);                                                                        \
        }                                                                                        \
    } while (0)

static int cpu_quantize(float x, float s, int zp) {  // the twin's arithmetic, step by step
    float v = rintf(x / s) + (float) zp;
    return (int) fminf(127.f, fmaxf(-128.f, v));
}

int main(int argc, char** argv) {
    long long n = argc > 1 ? std::atoll(argv[1]) : (1LL << 26) + 3;  // odd size on purpose
    const int channels = 129;
    const long long inner = (n + channels - 1) / channels;
    std::mt19937 rng(7);
    std::normal_distribution<float> normal(0.f, 3.f);
    std::uniform_real_distribution<float> uni(0.001f, 0.1f);
    std::vector<float> x(n), scale(channels);
    std::vector<int> zp(channels);
    for (auto& v : x) v = normal(rng);
    for (int c = 0; c < channels; c++) { scale[c] = uni(rng); zp[c] = (c % 7) - 3; }
    x[0] = NAN; x[1] = 1e9f; x[2] = -1e9f;

    float *dx, *dy, *ds; int* dz; int8_t* dq; uint8_t* dm;
    CHECK(cudaMalloc(&dx, n * 4)); CHECK(cudaMalloc(&dy, n * 4)); CHECK(cudaMalloc(&dq, n));
    CHECK(cudaMalloc(&dm, n)); CHECK(cudaMalloc(&ds, channels * 4)); CHECK(cudaMalloc(&dz, channels * 4));
    CHECK(cudaMemcpy(dx, x.data(), n * 4, cudaMemcpyHostToDevice));
    CHECK(cudaMemcpy(ds, scale.data(), channels * 4, cudaMemcpyHostToDevice));
    CHECK(cudaMemcpy(dz, zp.data(), channels * 4, cudaMemcpyHostToDevice));

    int sms = 0;
    CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
    dim3 grid(sms * 8), block(256);
    nnc_quantize_s8<<<grid, block>>>(dx, dq, ds, dz, n, channels, inner);
    nnc_fake_quantize_s8<<<grid, block>>>(dx, dy, dm, ds, dz, n, channels, inner);
    CHECK(cudaDeviceSynchronize());

    std::vector<int8_t> q(n); std::vector<float> y(n); std::vector<uint8_t> m(n);
    CHECK(cudaMemcpy(q.data(), dq, n, cudaMemcpyDeviceToHost));
    CHECK(cudaMemcpy(y.data(), dy, n * 4, cudaMemcpyDeviceToHost));
    CHECK(cudaMemcpy(m.data(), dm, n, cudaMemcpyDeviceToHost));
    long long bad = 0;
    for (long long i = 0; i < n; i++) {
        int c = (int) ((i / inner) % channels);
        int want = cpu_quantize(x[i], scale[c], zp[c]);
        float v = rintf(x[i] / scale[c]) + (float) zp[c];
        float wantY = (float) (want - zp[c]) * scale[c];
        uint8_t wantM = (v >= -128.f && v <= 127.f) ? 1 : 0;
        if (q[i] != want || std::memcmp(&y[i], &wantY, 4) != 0 || m[i] != wantM) {
            if (bad++ < 5) std::fprintf(stderr, "mismatch at %lld: q %d/%d y %g/%g mask %d/%d\n", i, q[i], want, y[i], wantY, m[i], wantM);
        }
    }

    cudaEvent_t t0, t1;
    CHECK(cudaEventCreate(&t0)); CHECK(cudaEventCreate(&t1));
    const int reps = 20;
    CHECK(cudaEventRecord(t0));
    for (int r = 0; r < reps; r++) nnc_quantize_s8<<<grid, block>>>(dx, dq, ds, dz, n, channels, inner);
    CHECK(cudaEventRecord(t1)); CHECK(cudaEventSynchronize(t1));
    float ms = 0; CHECK(cudaEventElapsedTime(&ms, t0, t1));
    double gbs = (double) n * 5 / (ms / reps * 1e-3) / 1e9;  // 4 bytes read + 1 written per element

    int clockKhz = 0, busBits = 0;
    cudaDeviceGetAttribute(&clockKhz, cudaDevAttrMemoryClockRate, 0);
    cudaDeviceGetAttribute(&busBits, cudaDevAttrGlobalMemoryBusWidth, 0);
    double peak = 2.0 * clockKhz * 1e3 * (busBits / 8) / 1e9;  // DDR: two transfers per clock
    cudaDeviceProp prop; CHECK(cudaGetDeviceProperties(&prop, 0));
    std::printf("quantize_s8  %-28s n=%lld  %s  %.3f ms  %.0f GB/s", prop.name, n, bad ? "FAIL" : "bit-exact", ms / reps, gbs);
    if (peak > 0) std::printf("  (%.0f%% of %.0f GB/s peak)", 100 * gbs / peak, peak);
    std::printf("\n");
    return bad ? 1 : 0;
}

// Standalone check of the int8 GEMM kernels (no Java). Three stages:
//  1. (CPU only, before touching a device) emulates the tensor-core kernel's data movement with the
//     kernel's own index functions: loader -> swizzled shared tiles -> ldmatrix -> mma fragments (as the
//     PTX ISA defines them, both m16n8k32 and sm_75's four m8n8k16) -> epilogue coordinates, and checks
//     the result against a plain loop, plus that every ldmatrix phase and loader store is free of bank
//     conflicts. A wrong index map fails here, on any machine.
//  2. runs every variant (mma, mma_anyk, dp4a) in every epilogue mode on odd shapes and compares with
//     a CPU loop of the same semantics bit for bit;
//  3. times 1024^3 .. 4096^3 (and 8192^3) for mma and dp4a in OUT_S32 and OUT_S8.
// Output: RESULT lines (see cuda-kernels/README.md). Exit 0 = all checks pass, 1 = a mismatch,
// 2 = no CUDA device. Build: nvcc -O2 -cudart static -o gemm_s8_harness gemm_s8_harness.cu
// Usage: ./gemm_s8_harness [--quick]   (--quick: skip 8192^3 and the 1000x999x1001 check)
// On the CPU (cuda-kernels/emu/cuda_emu.h): stage 1, then stage 2 on the shapes up to K = 1024, no
// timing. The tensor-core kernels run there too, their inline PTX emulated warp by warp from the PTX
// ISA (cuda-kernels/emu/ptx_emu.h), in sm_80's form (cp.async, m16n8k32) and sm_75's (4 x m8n8k16):
//   g++ -std=c++20 -O1 -pthread -DNNC_EMULATE -x c++ gemm_s8_harness.cu -o gemm_s8_emu
#include "harness_common.h"
#include "../gemm_s8.cu"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

using namespace nnc_gemm_s8;

// ---------------------------------------------------------------------------------------------------
// CPU semantics (the twin's arithmetic, step by step)
struct HostEpilogue {
    int mode = OUT_S32;
    std::vector<float> scale, bias;  // bias empty = null
    int relu = 0;
    float out_scale = 1.f;
    int out_zp = 0;
    int zp_a = 0;
    std::vector<int> wsum;  // empty = null
    std::string name;
};

static std::vector<int> cpu_acc(const std::vector<int8_t>& A, const std::vector<int8_t>& B, int M, int N, int K) {
    std::vector<int> acc((size_t) M * N);
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++) {
            const int8_t* a = &A[(size_t) m * K];
            const int8_t* b = &B[(size_t) n * K];
            int s = 0;
            for (int k = 0; k < K; k++) s += a[k] * b[k];
            acc[(size_t) m * N + n] = s;
        }
    return acc;
}

static float cpu_affine(int v, int n, const HostEpilogue& e) {
    float y = (float) v * e.scale[n];
    if (!e.bias.empty()) y = y + e.bias[n];
    if (e.relu) y = y < 0.f ? 0.f : y;
    return y;
}

// The epilogue of one accumulator of column n, written as the output element's bytes (4 or 1).
static void cpu_one(int acc, int n, const HostEpilogue& e, uint8_t* out) {
    int v = e.zp_a ? (int) ((unsigned) acc - (unsigned) e.zp_a * (unsigned) e.wsum[n]) : acc;
    if (e.mode == OUT_S32) { std::memcpy(out, &v, 4); return; }
    float y = cpu_affine(v, n, e);
    if (e.mode == OUT_F32) { std::memcpy(out, &y, 4); return; }
    float q = rintf(y / e.out_scale) + (float) e.out_zp;
    *out = (uint8_t) (int8_t) (int) std::fmin(127.f, std::fmax(-128.f, q));
}

static size_t elem_bytes(const HostEpilogue& e) { return e.mode == OUT_S8 ? 1 : 4; }

// expected output bytes (int32 / float / int8 by mode) of C = epilogue(acc)
static std::vector<uint8_t> cpu_output(const std::vector<int>& acc, int M, int N, const HostEpilogue& e) {
    const size_t elem = elem_bytes(e);
    std::vector<uint8_t> out((size_t) M * N * elem);
    for (size_t i = 0; i < (size_t) M * N; i++) cpu_one(acc[i], (int) (i % N), e, &out[i * elem]);
    return out;
}

// ---------------------------------------------------------------------------------------------------
// Stage 1: CPU emulation of the tensor-core kernel's index maps.
static int g_emulation_failures = 0;
#define EXPECT(cond, ...)                                              \
    do {                                                               \
        if (!(cond)) {                                                 \
            if (g_emulation_failures++ < 10) {                         \
                std::fprintf(stderr, "emulation: " __VA_ARGS__);       \
                std::fprintf(stderr, "\n");                            \
            }                                                          \
        }                                                              \
    } while (0)

// The loader of TileLoader<kAligned>, byte for byte, into one operand's stage buffer.
static void emu_load(std::vector<uint8_t>& s, const std::vector<int8_t>& P, int rows, int K, int base, int kt, bool aligned) {
    std::fill(s.begin(), s.end(), 0xEE);  // poison: anything not written shows up as a wrong sum
    for (int tid = 0; tid < THREADS; tid++) {
        const int chunk = load_chunk(tid), k = kt * BK + chunk * 16;
        for (int i = 0; i < LOAD_ITERS; i++) {
            const int r = load_row(tid, i), g = base + r;
            const bool ok = g < rows && k < K;
            // the kernel adds i * LOAD_SMEM_STEP to iteration 0's offset: it must be the same place
            const int off = smem_offset(load_row(tid, 0), chunk) + i * LOAD_SMEM_STEP;
            EXPECT(off == smem_offset(r, chunk), "loader offset of thread %d iteration %d", tid, i);
            EXPECT(off >= 0 && off + 16 <= BM * BK && off % 16 == 0, "loader offset %d out of the tile", off);
            if (aligned) EXPECT(!ok || k + 16 <= K, "aligned loader reads past K (k=%d K=%d)", k, K);
            for (int j = 0; j < 16; j++) {
                bool in = aligned ? ok : (ok && k + j < K);
                s[off + j] = in ? (uint8_t) P[(size_t) g * K + k + j] : 0;
            }
        }
    }
}

// ldmatrix.x4: lane l receives, in register j, the 4 bytes at (row address of lane 8j + l/4) + 4*(l%4).
static void emu_ldmatrix(const std::vector<uint8_t>& s, const int (&row_addr)[32], uint32_t (&regs)[32][4]) {
    for (int l = 0; l < 32; l++)
        for (int j = 0; j < 4; j++) {
            int addr = row_addr[8 * j + l / 4] + 4 * (l % 4);
            uint32_t w = 0;
            for (int b = 0; b < 4; b++) w |= (uint32_t) s[addr + b] << (8 * b);
            regs[l][j] = w;
        }
}

static int8_t byte_of(uint32_t w, int b) { return (int8_t) (uint8_t) (w >> (8 * b)); }

// mma.m16n8k32.row.col.s32.s8.s8.s32 per the PTX ISA fragment tables (written from the spec, not
// from the kernel's helpers): A reg i byte b = (row g + 8*(i&1), k 4t + b + 16*(i>>1)); B reg i byte b
// = (k 4t + b + 16 i, col g); C reg r = (row g + 8*(r>>1), col 2t + (r&1)); g = lane/4, t = lane%4.
static void emu_mma16832(int (&d)[32][4], const uint32_t (&a)[32][4], const uint32_t (&b)[32][2]) {
    int Am[16][32], Bm[32][8];
    for (int l = 0; l < 32; l++) {
        int g = l / 4, t = l % 4;
        for (int i = 0; i < 4; i++)
            for (int bb = 0; bb < 4; bb++) Am[g + 8 * (i & 1)][4 * t + bb + 16 * (i >> 1)] = byte_of(a[l][i], bb);
        for (int i = 0; i < 2; i++)
            for (int bb = 0; bb < 4; bb++) Bm[4 * t + bb + 16 * i][g] = byte_of(b[l][i], bb);
    }
    for (int l = 0; l < 32; l++)
        for (int r = 0; r < 4; r++) {
            int row = l / 4 + 8 * (r >> 1), col = 2 * (l % 4) + (r & 1), s = 0;
            for (int k = 0; k < 32; k++) s += Am[row][k] * Bm[k][col];
            d[l][r] += s;
        }
}

// mma.m8n8k16.row.col.s32.s8.s8.s32 (sm_75): A byte b = (row g, k 4t + b); B byte b = (k 4t + b, col g);
// C reg r = (row g, col 2t + r).
static void emu_mma8816(int (&d)[32][2], const uint32_t (&a)[32], const uint32_t (&b)[32]) {
    int Am[8][16], Bm[16][8];
    for (int l = 0; l < 32; l++)
        for (int bb = 0; bb < 4; bb++) {
            Am[l / 4][4 * (l % 4) + bb] = byte_of(a[l], bb);
            Bm[4 * (l % 4) + bb][l / 4] = byte_of(b[l], bb);
        }
    for (int l = 0; l < 32; l++)
        for (int r = 0; r < 2; r++) {
            int s = 0;
            for (int k = 0; k < 16; k++) s += Am[l / 4][k] * Bm[k][2 * (l % 4) + r];
            d[l][r] += s;
        }
}

// The sm_75 body of mma_16832: four m8n8k16 on the same fragments.
static void emu_mma16832_via_8816(int (&d)[32][4], const uint32_t (&a)[32][4], const uint32_t (&b)[32][2]) {
    const int parts[4][3] = {{0, 0, 0}, {2, 1, 0}, {1, 0, 2}, {3, 1, 2}};  // {a reg, b reg, d pair}
    for (const auto& p : parts) {
        uint32_t ar[32], br[32];
        int dd[32][2];
        for (int l = 0; l < 32; l++) { ar[l] = a[l][p[0]]; br[l] = b[l][p[1]]; dd[l][0] = d[l][p[2]]; dd[l][1] = d[l][p[2] + 1]; }
        emu_mma8816(dd, ar, br);
        for (int l = 0; l < 32; l++) { d[l][p[2]] = dd[l][0]; d[l][p[2] + 1] = dd[l][1]; }
    }
}

// One 8-lane phase of 16-byte accesses is conflict-free when its 8 addresses fall into 8 distinct
// 16-byte bank groups (4 banks each) of a 128-byte line.
static void expect_conflict_free(const int* addr, const char* what) {
    for (int p = 0; p < 4; p++) {
        bool seen[8] = {};
        for (int l = 8 * p; l < 8 * p + 8; l++) {
            int g = (addr[l] / 16) % 8;
            EXPECT(!seen[g], "%s: bank conflict in phase %d (lane %d, address %d)", what, p, l, addr[l]);
            seen[g] = true;
        }
    }
}

static bool emulate_mma_kernel(int M, int N, int K, bool aligned) {
    std::mt19937 rng(M * 7919 + N * 31 + K);
    std::uniform_int_distribution<int> d8(-128, 127);
    std::vector<int8_t> A((size_t) M * K), B((size_t) N * K);
    for (auto& v : A) v = (int8_t) d8(rng);
    for (auto& v : B) v = (int8_t) d8(rng);
    std::vector<int> want = cpu_acc(A, B, M, N, K), got((size_t) M * N, 0x7fffffff), got75 = got;
    std::vector<uint8_t> sA(BM * BK), sB(BN * BK);
    const int ktiles = (K + BK - 1) / BK;
    const int before = g_emulation_failures;
    for (int bm = 0; bm < M; bm += BM)
        for (int bn = 0; bn < N; bn += BN)
            for (int warp = 0; warp < THREADS / 32; warp++) {
                const int wm = warp / WARPS_N, wn = warp % WARPS_N;
                static int acc[MI][NI][32][4], acc75[MI][NI][32][4];
                std::memset(acc, 0, sizeof acc);
                std::memset(acc75, 0, sizeof acc75);
                for (int kt = 0; kt < ktiles; kt++) {
                    emu_load(sA, A, M, K, bm, kt, aligned);
                    emu_load(sB, B, N, K, bn, kt, aligned);
                    for (int ks = 0; ks < BK / 32; ks++) {
                        uint32_t af[MI][32][4], bf[NI][32][2];
                        for (int mi = 0; mi < MI; mi++) {
                            int addr[32];
                            for (int l = 0; l < 32; l++) addr[l] = smem_offset(wm * WM + a_frag_row(l) + mi * 16, a_frag_chunk(l, ks));
                            expect_conflict_free(addr, "ldmatrix A");
                            emu_ldmatrix(sA, addr, af[mi]);
                        }
                        for (int p = 0; p < NI / 2; p++) {
                            int addr[32];
                            uint32_t t[32][4];
                            for (int l = 0; l < 32; l++) addr[l] = smem_offset(wn * WN + b_frag_row(l) + p * 16, b_frag_chunk(l, ks));
                            expect_conflict_free(addr, "ldmatrix B");
                            emu_ldmatrix(sB, addr, t);
                            for (int l = 0; l < 32; l++) {
                                bf[2 * p][l][0] = t[l][0]; bf[2 * p][l][1] = t[l][1];
                                bf[2 * p + 1][l][0] = t[l][2]; bf[2 * p + 1][l][1] = t[l][3];
                            }
                        }
                        for (int mi = 0; mi < MI; mi++)
                            for (int ni = 0; ni < NI; ni++) {
                                emu_mma16832(acc[mi][ni], af[mi], bf[ni]);
                                emu_mma16832_via_8816(acc75[mi][ni], af[mi], bf[ni]);
                            }
                    }
                }
                for (int mi = 0; mi < MI; mi++)
                    for (int ni = 0; ni < NI; ni++)
                        for (int l = 0; l < 32; l++)
                            for (int r = 0; r < 4; r++) {
                                int m = bm + wm * WM + mi * 16 + acc_row(l, r), n = bn + wn * WN + ni * 8 + acc_col(l, r);
                                if (m < M && n < N) {
                                    EXPECT(got[(size_t) m * N + n] == 0x7fffffff, "output (%d, %d) written twice", m, n);
                                    got[(size_t) m * N + n] = acc[mi][ni][l][r];
                                    got75[(size_t) m * N + n] = acc75[mi][ni][l][r];
                                }
                            }
            }
    // the loader's 16-byte stores, 8 threads per phase
    for (int i = 0; i < LOAD_ITERS; i++)
        for (int w = 0; w < THREADS / 32; w++) {
            int addr[32];
            for (int l = 0; l < 32; l++) addr[l] = smem_offset(load_row(32 * w + l, i), load_chunk(32 * w + l));
            expect_conflict_free(addr, "loader store");
        }
    long long bad = 0;
    for (size_t i = 0; i < want.size(); i++) bad += (got[i] != want[i]) + (got75[i] != want[i]);
    EXPECT(bad == 0, "%dx%dx%d %s: %lld wrong sums (first: got %d / sm_75 %d, want %d)", M, N, K, aligned ? "aligned" : "any-K",
           bad, got[0], got75[0], want[0]);
    std::printf("emulation %-9s %dx%dx%d: %s\n", aligned ? "mma" : "mma_anyk", M, N, K,
                g_emulation_failures == before ? "index maps, fragments and sm_75 split exact; no bank conflicts" : "FAIL");
    return g_emulation_failures == before;
}

// ---------------------------------------------------------------------------------------------------
// Stages 2 and 3: on the device.
enum Variant { V_MMA, V_MMA_ANYK, V_DP4A };
static const char* variant_name(Variant v) { return v == V_MMA ? "gemm_s8_mma" : v == V_MMA_ANYK ? "gemm_s8_mma_anyk" : "gemm_s8_dp4a"; }

struct DeviceEpilogue {
    float *scale = nullptr, *bias = nullptr;
    int* wsum = nullptr;
    const HostEpilogue* host = nullptr;
};

template <typename T>
static T* upload(const std::vector<T>& v) {
    if (v.empty()) return nullptr;
    T* d;
    CHECK(cudaMalloc(&d, v.size() * sizeof(T)));
    CHECK(cudaMemcpy(d, v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice));
    return d;
}

static DeviceEpilogue upload(const HostEpilogue& e) {
    DeviceEpilogue d;
    d.scale = upload(e.scale);
    d.bias = upload(e.bias);
    d.wsum = upload(e.wsum);
    d.host = &e;
    return d;
}

static void release(DeviceEpilogue& d) {
    cudaFree(d.scale); cudaFree(d.bias); cudaFree(d.wsum);
    d = DeviceEpilogue{};
}

static void launch(Variant v, const int8_t* A, const int8_t* B, void* C, int M, int N, int K, const DeviceEpilogue& d) {
    const HostEpilogue& e = *d.host;
    if (v == V_DP4A) {
        dim3 grid((N + D_BN - 1) / D_BN, (M + D_BM - 1) / D_BM);
        LAUNCH(nnc_gemm_s8_dp4a, grid, D_THREADS, A, B, C, M, N, K, e.mode, d.scale, d.bias, e.relu, e.out_scale, e.out_zp, e.zp_a, d.wsum);
    } else {
        dim3 grid((N + BN - 1) / BN, (M + BM - 1) / BM);
        auto kernel = v == V_MMA ? nnc_gemm_s8_mma : nnc_gemm_s8_mma_anyk;
        LAUNCH_SHARED(kernel, grid, THREADS, SMEM_BYTES, A, B, C, M, N, K, e.mode, d.scale, d.bias, e.relu, e.out_scale, e.out_zp, e.zp_a,
                      d.wsum);
    }
}

static std::vector<int> row_sums(const std::vector<int8_t>& B, int N, int K) {
    std::vector<int> s(N, 0);
    for (int n = 0; n < N; n++)
        for (int k = 0; k < K; k++) s[n] += B[(size_t) n * K + k];
    return s;
}

// The epilogue configurations every variant is checked in. Scales put the outputs across the int8
// range (|acc| is about 74 * 74 * sqrt(K) for uniform int8 data), so clamping and rounding both happen.
static std::vector<HostEpilogue> epilogues(const std::vector<int8_t>& B, int N, int K, std::mt19937& rng) {
    std::uniform_real_distribution<float> u(0.5f, 1.5f), ub(-20.f, 20.f);
    const float typical = 5500.f * std::sqrt((float) K);
    std::vector<float> scale(N), bias(N);
    for (int n = 0; n < N; n++) { scale[n] = u(rng) / typical; bias[n] = ub(rng) / 100.f; }
    std::vector<HostEpilogue> es(5);
    es[0].name = "s32";
    es[1].name = "s32_zpA";   es[1].zp_a = -37; es[1].wsum = row_sums(B, N, K);
    es[2].name = "f32";       es[2].mode = OUT_F32; es[2].scale = scale;
    es[3].name = "f32_bias_relu"; es[3].mode = OUT_F32; es[3].scale = scale; es[3].bias = bias; es[3].relu = 1;
    es[4].name = "s8_zpA_bias_relu"; es[4].mode = OUT_S8; es[4].scale = scale; es[4].bias = bias; es[4].relu = 1;
    es[4].out_scale = 1.f / 100.f; es[4].out_zp = -5; es[4].zp_a = 3; es[4].wsum = row_sums(B, N, K);
    return es;
}

// Median of `reps` timed launches (cudaEvents around each), after the caller's warm-up; 0 (not
// timed, not launched) under emulation.
static float median_ms(Variant v, const int8_t* A, const int8_t* B, void* C, int M, int N, int K, const DeviceEpilogue& d, int reps) {
#ifdef NNC_EMULATE
    (void) v; (void) A; (void) B; (void) C; (void) M; (void) N; (void) K; (void) d; (void) reps;
    return 0.f;
#else
    cudaEvent_t t0, t1;
    CHECK(cudaEventCreate(&t0)); CHECK(cudaEventCreate(&t1));
    std::vector<float> ms(reps);
    for (int r = 0; r < reps; r++) {
        CHECK(cudaEventRecord(t0));
        launch(v, A, B, C, M, N, K, d);
        CHECK(cudaEventRecord(t1)); CHECK(cudaEventSynchronize(t1));
        CHECK(cudaEventElapsedTime(&ms[r], t0, t1));
    }
    CHECK(cudaGetLastError());
    cudaEventDestroy(t0); cudaEventDestroy(t1);
    std::sort(ms.begin(), ms.end());
    return ms[reps / 2];
#endif
}

static bool validate_shape(int M, int N, int K, std::mt19937& rng) {
    std::uniform_int_distribution<int> d8(-128, 127);
    std::vector<int8_t> A((size_t) M * K), B((size_t) N * K);
    for (auto& v : A) v = (int8_t) d8(rng);
    for (auto& v : B) v = (int8_t) d8(rng);
    std::vector<int> acc = cpu_acc(A, B, M, N, K);
    int8_t *dA = upload(A), *dB = upload(B);
    void* dC;
    CHECK(cudaMalloc(&dC, (size_t) M * N * 4));
    bool all = true;
    char shape[64];
    std::snprintf(shape, sizeof shape, "%dx%dx%d", M, N, K);
    // Under emulation the tensor-core kernels run in both instruction forms (ptx_emu.h): sm_80's
    // (cp.async, m16n8k32) with every epilogue, sm_75's (4 x m8n8k16) with the first and on the smallest
    // shapes (the epilogue and the tiling are the same in both; only the mma split differs, which any tile
    // shows). On a device: the device's form.
    struct Run { Variant v; int target; };
#ifdef NNC_EMULATE
    const Run runs[] = {{V_MMA, 90}, {V_MMA, 75}, {V_MMA_ANYK, 90}, {V_MMA_ANYK, 75}, {V_DP4A, 90}};
#else
    const Run runs[] = {{V_MMA, 0}, {V_MMA_ANYK, 0}, {V_DP4A, 0}};
#endif
    const std::vector<HostEpilogue> es = epilogues(B, N, K, rng);
    // Each warp-collective instruction costs two barriers of 32 OS threads here (ptx_emu.h): the
    // tensor-core kernels run on the CPU only where the tiles to compute (blocks x k-tiles) are few, which
    // still covers every tail, the vector and scalar stores and the cp.async ring wrapping around (20x9x336).
    const long long tiles = (long long) ((M + BM - 1) / BM) * ((N + BN - 1) / BN) * ((K + BK - 1) / BK);
    for (const Run& run : runs) {
        const Variant v = run.v;
        if (v == V_MMA && K % 16 != 0) continue;  // the launcher never picks it then
        if (run.target != 0 && v != V_DP4A && tiles > (run.target < 80 ? 2 : 6)) continue;  // sm_75's: 4 collectives per mma
#ifdef NNC_EMULATE
        nnc_emu::ptx_target = run.target;
#endif
        std::string name = variant_name(v);
        if (run.target != 0 && v != V_DP4A) name += run.target >= 80 ? "@sm80form" : "@sm75form";
        for (const HostEpilogue& e : es) {
            if (run.target == 75 && &e != &es[0]) break;
            std::vector<uint8_t> want = cpu_output(acc, M, N, e), got(want.size());
            DeviceEpilogue d = upload(e);
            CHECK(cudaMemset(dC, 0xAB, (size_t) M * N * 4));
            launch(v, dA, dB, dC, M, N, K, d);
            CHECK(cudaGetLastError());
            CHECK(cudaDeviceSynchronize());
            CHECK(cudaMemcpy(got.data(), dC, got.size(), cudaMemcpyDeviceToHost));
            size_t elem = elem_bytes(e), bad = 0, first = 0;
            for (size_t i = 0; i < want.size(); i += elem)
                if (std::memcmp(&want[i], &got[i], elem) != 0 && bad++ == 0) first = i / elem;
            if (bad) {
                all = false;
                std::fprintf(stderr, "%s %s %s: %zu of %zu outputs differ, first at (%zu, %zu)\n", name.c_str(), e.name.c_str(),
                             shape, bad, want.size() / elem, first / N, first % N);
            }
            float ms = median_ms(v, dA, dB, dC, M, N, K, d, 5);  // small shapes: latency, not a peak figure
            release(d);
            if (ms > 0)
                std::printf("RESULT name=%s/%s shape=%s check=%s time_ms=%.4f rate=%.3f unit=TOPS peak_frac=-\n", name.c_str(),
                            e.name.c_str(), shape, bad ? "FAIL" : "bit-exact", ms, 2.0 * M * N * K / (ms * 1e-3) / 1e12);
            else
                std::printf("RESULT name=%s/%s shape=%s check=%s time_ms=- rate=- unit=TOPS peak_frac=-\n", name.c_str(),
                            e.name.c_str(), shape, bad ? "FAIL" : "bit-exact");
        }
    }
#ifdef NNC_EMULATE
    nnc_emu::ptx_target = 90;
#endif
    cudaFree(dA); cudaFree(dB); cudaFree(dC);
    return all;
}

// Peak int8 throughput in ops (2 per multiply-add) per SM per clock.
// Tensor cores, dense: from NVIDIA's published peaks divided by SM count x boost clock: T4 (sm_75)
// 130 TOPS / (40 x 1.59 GHz) = 2048; A100 (sm_80) 624 / (108 x 1.41) = 4096; RTX 3090 (sm_86)
// 284 / (82 x 1.695) = 2048; RTX 4090 (sm_89) 661 / (128 x 2.52) = 2048; H100 SXM (sm_90) 1979 /
// (132 x 1.83) = 8192 (whitepapers of the Turing, Ampere GA100/GA102, Ada and Hopper architectures).
// dp4a: the CUDA C++ Programming Guide's throughput table gives 64 32-bit integer multiply-adds per SM
// per clock for cc 7.5-9.0; one dp4a (4 multiply-adds = 8 ops) is counted as one such instruction.
static double peak_ops_per_sm_clock(int major, int minor, bool tensor) {
    if (!tensor) return 64 * 8;
    if (major == 8 && minor == 0) return 4096;
    if (major == 9) return 8192;
    return 2048;  // 7.5, 8.6, 8.7, 8.9 (and a guess for unknown ones; peak_frac is then indicative)
}

static int g_timed_failures = 0;

// Times one S^3 product per variant in OUT_S32 and in the full OUT_S8 epilogue; check = 512 sampled
// outputs (corners included) against the CPU.
static void time_shape(int S, bool quick) {
    const int M = S, N = S, K = S;
    std::mt19937 rng(S);
    std::uniform_int_distribution<int> d8(-128, 127);
    std::vector<int8_t> A((size_t) M * K), B((size_t) N * K);
    for (auto& v : A) v = (int8_t) d8(rng);
    for (auto& v : B) v = (int8_t) d8(rng);
    int8_t *dA = upload(A), *dB = upload(B);
    void* dC;
    CHECK(cudaMalloc(&dC, (size_t) M * N * 4));
    std::vector<HostEpilogue> es = epilogues(B, N, K, rng);
    int dev = 0, sms = 0, clock_khz = 0, major = 0, minor = 0;
    CHECK(cudaGetDevice(&dev));
    CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev));
    CHECK(cudaDeviceGetAttribute(&clock_khz, cudaDevAttrClockRate, dev));
    CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev));
    CHECK(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev));
    const double ops = 2.0 * M * N * K;
    for (Variant v : {V_MMA, V_DP4A}) {
        for (int ei : {0, 4}) {  // OUT_S32 and the full OUT_S8 epilogue
            DeviceEpilogue d = upload(es[ei]);
            launch(v, dA, dB, dC, M, N, K, d);  // warm-up
            CHECK(cudaGetLastError());
            float first = median_ms(v, dA, dB, dC, M, N, K, d, 1);
            // about 0.3 s of timed runs per line (quick: 0.1 s), at least 3 and at most 50 reps
            int reps = std::max(3, std::min(50, (int) ((quick ? 100 : 300) / std::max(first, 0.01f))));
            const double med = median_ms(v, dA, dB, dC, M, N, K, d, reps);
            // the timed shapes are too big for a full CPU product: 512 random outputs are compared
            const size_t elem = elem_bytes(es[ei]);
            std::vector<uint8_t> got((size_t) M * N * elem);
            CHECK(cudaMemcpy(got.data(), dC, got.size(), cudaMemcpyDeviceToHost));
            std::uniform_int_distribution<int> pick(0, S - 1);
            int wrong = 0;
            for (int t = 0; t < 512; t++) {
                int m = t == 0 ? S - 1 : pick(rng), n = t == 0 ? S - 1 : pick(rng), acc = 0;
                for (int k = 0; k < K; k++) acc += A[(size_t) m * K + k] * B[(size_t) n * K + k];
                uint8_t want[4];
                cpu_one(acc, n, es[ei], want);
                wrong += std::memcmp(want, &got[((size_t) m * N + n) * elem], elem) != 0;
            }
            if (wrong) {
                g_timed_failures++;
                std::fprintf(stderr, "%s %s %dx%dx%d: %d of 512 sampled outputs differ\n", variant_name(v), es[ei].name.c_str(), M, N, K, wrong);
            }
            const double tops = ops / (med * 1e-3) / 1e12;
            double peak = peak_ops_per_sm_clock(major, minor, v != V_DP4A) * sms * clock_khz * 1e3 / 1e12;
            std::printf("RESULT name=%s/%s shape=%dx%dx%d check=%s time_ms=%.4f rate=%.1f unit=TOPS peak_frac=%.3f\n", variant_name(v),
                        es[ei].name.c_str(), M, N, K, wrong ? "FAIL" : "bit-exact", med, tops, tops / peak);
            std::fflush(stdout);
            release(d);
        }
    }
    cudaFree(dA); cudaFree(dB); cudaFree(dC);
}

int main(int argc, char** argv) {
    const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;

    int count = 0;
    cudaError_t err = cudaGetDeviceCount(&count);
    const bool device = err == cudaSuccess && count > 0;
    if (!device) std::printf("no CUDA device: %s\n", err != cudaSuccess ? cudaGetErrorString(err) : "device count is 0");

    // runs with or without a device: the index maps are checked on any machine
    bool emu = true;
    emu &= emulate_mma_kernel(130, 136, 192, true);   // M/N tails, K a multiple of 64
    emu &= emulate_mma_kernel(129, 9, 80, true);      // K tail of 16 in the last tile
    emu &= emulate_mma_kernel(67, 200, 77, false);    // odd K: byte-gathered tiles
    emu &= emulate_mma_kernel(1, 1, 1, false);
    if (!device) return emu ? 2 : 1;

    cudaDeviceProp prop;
    CHECK(cudaGetDeviceProperties(&prop, 0));
    std::printf("device: %s (cc %d.%d, %d SMs)\n", prop.name, prop.major, prop.minor, prop.multiProcessorCount);
#ifndef NNC_EMULATE
    CHECK(cudaFuncSetAttribute(nnc_gemm_s8_mma, cudaFuncAttributeMaxDynamicSharedMemorySize, SMEM_BYTES));
    CHECK(cudaFuncSetAttribute(nnc_gemm_s8_mma_anyk, cudaFuncAttributeMaxDynamicSharedMemorySize, SMEM_BYTES));
#endif

    std::mt19937 rng(42);
    bool ok = emu;
    const int shapes[][3] = {{1, 1, 1},      {3, 5, 7},     {17, 33, 65},   {127, 129, 130}, {128, 128, 64}, {20, 9, 336},
                             {129, 130, 48}, {257, 385, 160}, {256, 96, 4096}, {33, 47, 1024}, {1000, 999, 1001}};
    for (const auto& s : shapes) {
        if (quick && s[0] == 1000) continue;
#ifdef NNC_EMULATE
        if (s[2] > 1024 || s[0] == 1000) continue;  // seconds per launch on the CPU; smaller K covers the same code
#endif
        ok &= validate_shape(s[0], s[1], s[2], rng);
    }
    std::printf("validation: %s\n", ok ? "all bit-exact" : "FAILED");
#ifdef NNC_EMULATE
    return ok ? 0 : 1;  // no timing on the CPU
#endif

    for (int S : {1024, 2048, 4096}) time_shape(S, quick);
    if (!quick) time_shape(8192, quick);
    std::printf("(compare: torch._int_mm(a, b.t()) on the same device for cuBLASLt's rate)\n");
    return ok && g_timed_failures == 0 ? 0 : 1;
}

// A CPU stand-in for the few CUDA runtime and device features our kernels and harnesses use, so
// that a harness's validation part runs on a machine without a GPU (g++ -std=c++20 -DNNC_EMULATE;
// scripts/emulate-kernels.sh builds and runs every harness that supports it).
// Each block runs as blockDim.x std::threads sharing `static` (= __shared__) arrays; blocks (of a
// 1-, 2- or 3-D grid; blocks themselves are 1-D) run one after another, on the same threads.
// __syncthreads is a std::barrier over all threads of the block (a thread that returned early makes
// the others wait forever: a hang here, undefined on the device). Warp shuffles are emulated with
// a barrier per warp of 32 consecutive threads, so they must be called by every thread of the warp
// the same number of times (the mask is not looked at; true of our kernels), and reading a lane
// outside the block aborts. Atomics take one global lock. Device intrinsics with an explicit
// rounding (__fmul_rn, __int2float_rn, ...) are the plain IEEE operations; build with
// -ffp-contract=off (emulate-kernels.sh does) so that g++ fuses nothing into FMAs. nvcc does fuse
// a * b + c where a kernel leaves it free to, so "bit-exact" here may be a last-bit difference on
// the device where that kernel's check has a tolerance. The inline PTX of the int8 tensor-core GEMM
// (mma.sync, ldmatrix, cp.async and its groups) has warp-collective emulations in ptx_emu.h, included
// at the end; dynamic shared memory (extern __shared__) is one buffer per block, sized by the launch,
// filled with a poison byte at each block's start (a read before any write shows up as a wrong result).
// It checks index maps, bounds, synchronisation order and results, not timing; a race can still
// pass here, so it complements the GPU run, it does not replace it.
// Not compiled by scripts/build-cuda.sh (it lives outside cuda-kernels/*.cu and harness/*.cu).
#pragma once
#include <algorithm>
#include <atomic>
#include <barrier>
#include <cmath>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#ifdef NNC_EMU_SCAN_LAUNCH_BOUNDS  // scripts/build-emu-driver.sh reads each kernel's thread limit from the preprocessed sources
#define __launch_bounds__(...) nnc_launch_bounds(__VA_ARGS__)
#else
#define __launch_bounds__(...)
#endif
#define __shared__ static
#define __align__(n) __attribute__((aligned(n)))

struct dim3 {
    unsigned x = 1, y = 1, z = 1;
    dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
struct float4 { float x, y, z, w; };
struct char2 { signed char x, y; };
struct int2 { int x, y; };
struct float2 { float x, y; };
struct uint4 { unsigned x, y, z, w; };
inline char2 make_char2(signed char x, signed char y) { return {x, y}; }
inline int2 make_int2(int x, int y) { return {x, y}; }
inline float2 make_float2(float x, float y) { return {x, y}; }
inline uint4 make_uint4(unsigned x, unsigned y, unsigned z, unsigned w) { return {x, y, z, w}; }
using uint3 = dim3;

inline thread_local dim3 threadIdx, blockIdx;
inline dim3 blockDim, gridDim;

namespace nnc_emu {
struct Block {
    explicit Block(int n, size_t dynamicSharedBytes = 0)
        : barrier(n), shuffle(n), lanes(n), cpAsync(n), dynamicShared(dynamicSharedBytes) {
        for (int w = 0; w < n; w += 32) warps.push_back(std::make_unique<std::barrier<>>(std::min(32, n - w)));
        start();
    }
    std::barrier<> barrier;
    std::vector<std::unique_ptr<std::barrier<>>> warps;  // one per warp, for the shuffles
    std::atomic<int> orAcc{0};
    std::vector<uint64_t> shuffle;  // one 8-byte slot per thread
    // ptx_emu.h's state: per thread, the warp-collective instructions it passed and two slots for their
    // operands (the instruction, its number, the words), cp.async copies not yet performed, and the
    // block's dynamic shared memory
    struct Lane { uint32_t kind = 0, seq = 0, words[6] = {}; };
    struct LaneSlots { uint32_t count = 0; Lane slot[2]; };
    std::vector<LaneSlots> lanes;
    struct CpAsyncCopy { unsigned char* dst; const unsigned char* src; int srcSize; };
    struct CpAsyncQueue { std::vector<CpAsyncCopy> pending; std::vector<size_t> groupEnds; size_t done = 0; };
    std::vector<CpAsyncQueue> cpAsync;
    std::vector<unsigned char> dynamicShared;  // 16-byte aligned (operator new), as uint4 stores need
    // Before each block: shared memory holds garbage on the device, here a poison byte; no copy is pending.
    void start() {
        std::fill(dynamicShared.begin(), dynamicShared.end(), (unsigned char) 0xEE);
        for (auto& q : cpAsync) q = CpAsyncQueue{};
        for (auto& l : lanes) l = LaneSlots{};
    }
};
inline Block* block = nullptr;
inline std::mutex atomics;

// Runs body() as every thread of every block of the grid. The blockDim.x threads are created once
// per launch and run the blocks one after another, meeting at a barrier of their own between two
// blocks (a block's shared arrays are reused by the next one); creating threads per block cost
// seconds of system time per harness.
template <class F> void launch(dim3 grid, dim3 blk, F body, size_t dynamicSharedBytes = 0) {
    if (blk.y != 1 || blk.z != 1) std::abort();  // our kernels are 1-D blocks
    gridDim = grid;
    blockDim = blk;
    Block b((int) blk.x, dynamicSharedBytes);
    auto next_block = [&b]() noexcept { b.start(); };
    std::barrier<decltype(next_block)> between((int) blk.x, next_block);
    block = &b;
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < blk.x; t++) {
        threads.emplace_back([&, t] {
            threadIdx = dim3(t, 0, 0);
            for (unsigned z = 0; z < grid.z; z++)
                for (unsigned y = 0; y < grid.y; y++)
                    for (unsigned x = 0; x < grid.x; x++) {
                        blockIdx = dim3(x, y, z);
                        body();
                        between.arrive_and_wait();
                    }
        });
    }
    for (auto& th : threads) th.join();
    block = nullptr;
}
}  // namespace nnc_emu

#ifdef NNC_EMU_FIBERS
// The emulated driver (cuda-kernels/emu/driver/grid.cpp) runs a block's threads as fibers on one OS
// thread instead (a JVM test launches thousands of kernels; 256 OS threads per launch made that take
// minutes on 2 cores): its barriers switch fibers. launch() above is not used there.
namespace nnc_emu {
void fiber_block_barrier();
void fiber_warp_barrier();
}  // namespace nnc_emu
#define NNC_EMU_BLOCK_BARRIER() nnc_emu::fiber_block_barrier()
#define NNC_EMU_WARP_BARRIER(b, t) nnc_emu::fiber_warp_barrier()
#else
#define NNC_EMU_BLOCK_BARRIER() nnc_emu::block->barrier.arrive_and_wait()
#define NNC_EMU_WARP_BARRIER(b, t) b->warps[(t) >> 5]->arrive_and_wait()
#endif

inline void __syncthreads() { NNC_EMU_BLOCK_BARRIER(); }
inline int __syncthreads_or(int p) {
    auto* b = nnc_emu::block;
    NNC_EMU_BLOCK_BARRIER();  // earlier readers of orAcc are done
    if (threadIdx.x == 0) b->orAcc = 0;
    NNC_EMU_BLOCK_BARRIER();
    if (p) b->orAcc = 1;
    NNC_EMU_BLOCK_BARRIER();
    return b->orAcc.load();
}
namespace nnc_emu {
// Every thread of the warp publishes v, then reads lane src(lane) of its warp (src < 0: its own v).
template <class T, class Src> T shuffle(T v, Src src) {
    static_assert(sizeof(T) <= 8, "shuffle of a value wider than 8 bytes");
    auto* b = block;
    const unsigned t = threadIdx.x, base = t & ~31u;
    NNC_EMU_WARP_BARRIER(b, t);  // the previous shuffle's reads are done
    std::memcpy(&b->shuffle[t], &v, sizeof(T));
    NNC_EMU_WARP_BARRIER(b, t);
    const int lane = src((int) (t & 31u));
    if (lane < 0) return v;
    if (base + lane >= blockDim.x) {
        std::fprintf(stderr, "emulator: thread %u shuffles from lane %d outside the block\n", t, lane);
        std::abort();
    }
    T r;
    std::memcpy(&r, &b->shuffle[base + lane], sizeof(T));
    return r;
}
inline void full_width(int width) {
    if (width != 32) { std::fprintf(stderr, "emulator: shuffles of width %d are not emulated\n", width); std::abort(); }
}
}  // namespace nnc_emu

template <class T> T __shfl_sync(unsigned, T v, int srcLane, int width = 32) {
    nnc_emu::full_width(width);
    return nnc_emu::shuffle(v, [&](int) { return srcLane & 31; });
}
template <class T> T __shfl_xor_sync(unsigned, T v, int laneMask, int width = 32) {
    nnc_emu::full_width(width);
    return nnc_emu::shuffle(v, [&](int lane) { return (lane ^ laneMask) & 31; });
}
template <class T> T __shfl_down_sync(unsigned, T v, unsigned delta, int width = 32) {
    nnc_emu::full_width(width);
    return nnc_emu::shuffle(v, [&](int lane) { return lane + (int) delta < 32 ? lane + (int) delta : -1; });
}
template <class T> T __shfl_up_sync(unsigned, T v, unsigned delta, int width = 32) {
    nnc_emu::full_width(width);
    return nnc_emu::shuffle(v, [&](int lane) { return lane >= (int) delta ? lane - (int) delta : -1; });
}
template <class T> T atomicAdd(T* p, T v) {
    std::lock_guard<std::mutex> lock(nnc_emu::atomics);
    T old = *p;
    *p = old + v;
    return old;
}
template <class T> inline T __ldg(const T* p) { return *p; }
inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
using std::fmaf;
// Explicitly rounded intrinsics: one IEEE operation each, as on the device.
inline float __int2float_rn(int v) { return (float) v; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
// Four signed byte products of a and b summed into c (int32 arithmetic wraps, as on the device).
inline int __dp4a(int a, int b, int c) {
    unsigned s = (unsigned) c;
    for (int j = 0; j < 4; j++) s += (unsigned) ((int) (int8_t) (a >> (8 * j)) * (int) (int8_t) (b >> (8 * j)));
    return (int) s;
}

// ---- runtime API: host memory stands in for device memory ----
enum cudaError_t { cudaSuccess = 0, cudaErrorNoDevice = 100 };
enum cudaMemcpyKind { cudaMemcpyHostToDevice, cudaMemcpyDeviceToHost };
enum cudaDeviceAttr { cudaDevAttrMultiProcessorCount, cudaDevAttrComputeCapabilityMajor, cudaDevAttrComputeCapabilityMinor, cudaDevAttrClockRate,
                      cudaDevAttrMemoryClockRate, cudaDevAttrGlobalMemoryBusWidth };
struct cudaDeviceProp { char name[256]; int major = 9, minor = 0, multiProcessorCount = 4; };
inline const char* cudaGetErrorString(cudaError_t e) { return e == cudaSuccess ? "no error" : "emulated error"; }
inline cudaError_t cudaGetDeviceCount(int* n) { *n = 1; return cudaSuccess; }
inline cudaError_t cudaGetDevice(int* d) { *d = 0; return cudaSuccess; }
inline cudaError_t cudaDeviceGetAttribute(int* v, cudaDeviceAttr a, int);
inline cudaError_t cudaGetDeviceProperties(cudaDeviceProp* p, int) {
    *p = cudaDeviceProp{};
    std::strcpy(p->name, "CPU emulation");
    cudaDeviceGetAttribute(&p->multiProcessorCount, cudaDevAttrMultiProcessorCount, 0);
    return cudaSuccess;
}
inline cudaError_t cudaDeviceGetAttribute(int* v, cudaDeviceAttr a, int) {
    const char* sms = std::getenv("NNC_EMU_SMS");  // SM count the launch heuristics see (default 4)
    *v = a == cudaDevAttrMultiProcessorCount ? (sms ? std::atoi(sms) : 4) : a == cudaDevAttrComputeCapabilityMajor ? 9 : a == cudaDevAttrClockRate ? 1000000 : 0;
    return cudaSuccess;
}
template <class T> cudaError_t cudaMalloc(T** p, size_t bytes) { *p = (T*) std::malloc(bytes ? bytes : 1); return cudaSuccess; }
inline cudaError_t cudaFree(void* p) { std::free(p); return cudaSuccess; }
inline cudaError_t cudaMemcpy(void* d, const void* s, size_t n, cudaMemcpyKind) { std::memcpy(d, s, n); return cudaSuccess; }
inline cudaError_t cudaMemset(void* d, int v, size_t n) { std::memset(d, v, n); return cudaSuccess; }
inline cudaError_t cudaMemsetAsync(void* d, int v, size_t n) { std::memset(d, v, n); return cudaSuccess; }
inline cudaError_t cudaDeviceSynchronize() { return cudaSuccess; }
inline cudaError_t cudaGetLastError() { return cudaSuccess; }

#include "ptx_emu.h"

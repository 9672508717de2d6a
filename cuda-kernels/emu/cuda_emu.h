// A CPU stand-in for the few CUDA runtime and device features our kernels and harnesses use, so
// that a harness's validation part runs on a machine without a GPU (g++ -std=c++20 -DNNC_EMULATE).
// Each block runs as blockDim.x std::threads sharing `static` (= __shared__) arrays; blocks run
// one after another. __syncthreads is a std::barrier; warp shuffles are emulated with block-wide
// barriers, so they must be called by every thread of the block the same number of times (true of
// our kernels). It checks index maps, bounds, synchronisation order and results, not timing; a race
// can still pass here, so it complements the GPU run, it does not replace it.
// Not compiled by scripts/build-cuda.sh (it lives outside cuda-kernels/*.cu and harness/*.cu).
#pragma once
#include <algorithm>
#include <atomic>
#include <barrier>
#include <cmath>
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
#define __launch_bounds__(n)
#define __shared__ static
#define __align__(n) __attribute__((aligned(n)))

struct dim3 {
    unsigned x = 1, y = 1, z = 1;
    dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
struct float4 { float x, y, z, w; };
using uint3 = dim3;

inline thread_local dim3 threadIdx, blockIdx;
inline dim3 blockDim, gridDim;

namespace nnc_emu {
struct Block {
    explicit Block(int n) : barrier(n), shuffle(n) {}
    std::barrier<> barrier;
    std::atomic<int> orAcc{0};
    std::vector<float> shuffle;
};
inline Block* block = nullptr;
inline std::mutex atomics;

// Runs body() as every thread of every block of the grid.
template <class F> void launch(dim3 grid, dim3 blk, F body) {
    if (blk.y != 1 || blk.z != 1) std::abort();  // our kernels are 1-D blocks
    gridDim = grid;
    blockDim = blk;
    for (unsigned z = 0; z < grid.z; z++)
        for (unsigned y = 0; y < grid.y; y++)
            for (unsigned x = 0; x < grid.x; x++) {
                Block b((int) blk.x);
                block = &b;
                std::vector<std::thread> threads;
                for (unsigned t = 0; t < blk.x; t++) {
                    threads.emplace_back([&, t, x, y, z] {
                        threadIdx = dim3(t, 0, 0);
                        blockIdx = dim3(x, y, z);
                        body();
                    });
                }
                for (auto& th : threads) th.join();
                block = nullptr;
            }
}
}  // namespace nnc_emu

inline void __syncthreads() { nnc_emu::block->barrier.arrive_and_wait(); }
inline int __syncthreads_or(int p) {
    auto* b = nnc_emu::block;
    b->barrier.arrive_and_wait();  // earlier readers of orAcc are done
    if (threadIdx.x == 0) b->orAcc = 0;
    b->barrier.arrive_and_wait();
    if (p) b->orAcc = 1;
    b->barrier.arrive_and_wait();
    return b->orAcc.load();
}
inline float __shfl_xor_sync(unsigned, float v, int laneMask) {
    auto* b = nnc_emu::block;
    b->barrier.arrive_and_wait();
    b->shuffle[threadIdx.x] = v;
    b->barrier.arrive_and_wait();
    unsigned t = threadIdx.x;
    return b->shuffle[(t & ~31u) | ((t & 31u) ^ (unsigned) laneMask)];
}
inline float atomicAdd(float* p, float v) {
    std::lock_guard<std::mutex> lock(nnc_emu::atomics);
    float old = *p;
    *p = old + v;
    return old;
}
template <class T> inline T __ldg(const T* p) { return *p; }
inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
using std::fmaf;

// ---- runtime API: host memory stands in for device memory ----
enum cudaError_t { cudaSuccess = 0, cudaErrorNoDevice = 100 };
enum cudaMemcpyKind { cudaMemcpyHostToDevice, cudaMemcpyDeviceToHost };
enum cudaDeviceAttr { cudaDevAttrMultiProcessorCount, cudaDevAttrComputeCapabilityMajor, cudaDevAttrComputeCapabilityMinor, cudaDevAttrClockRate };
struct cudaDeviceProp { char name[256]; };
inline const char* cudaGetErrorString(cudaError_t e) { return e == cudaSuccess ? "no error" : "emulated error"; }
inline cudaError_t cudaGetDeviceCount(int* n) { *n = 1; return cudaSuccess; }
inline cudaError_t cudaGetDeviceProperties(cudaDeviceProp* p, int) { std::strcpy(p->name, "CPU emulation"); return cudaSuccess; }
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

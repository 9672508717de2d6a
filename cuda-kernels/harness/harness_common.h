// What every kernel harness shares: the launch macro that runs a kernel on the GPU, or on the CPU
// emulation (cuda-kernels/emu/cuda_emu.h) when built with g++ -DNNC_EMULATE, and CHECK for runtime
// calls (a failed call after the device probe is a harness failure, exit 1; "no device" is the
// harness's own exit 2). Include it first: under emulation it defines __global__ and friends
// before the kernels are read.
#pragma once
#ifdef NNC_EMULATE
#include "../emu/cuda_emu.h"
#define LAUNCH(kernel, grid, block, ...) nnc_emu::launch(grid, block, [&] { kernel(__VA_ARGS__); })
#else
#define LAUNCH(kernel, grid, block, ...) kernel<<<grid, block>>>(__VA_ARGS__)
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

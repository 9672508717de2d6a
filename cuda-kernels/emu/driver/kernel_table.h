// The emulated driver's view of one kernel: its name, the trampoline that runs it from a launch's
// kernelParams, and its thread limit. scripts/build-emu-driver.sh generates the table (one entry per
// extern "C" kernel found in the preprocessed cuda-kernels/*.cu) and compiles it in the same
// translation unit as the kernels, so each trampoline is instantiated from the kernel's own C
// signature: nothing here knows a parameter list, and nothing can drift from the sources.
#pragma once
#include <cstddef>
#include <type_traits>
#include <utility>

namespace nnc_drv {

// Unpacks kernelParams as the device's launch ABI does: params[i] points at the bytes of argument i,
// read as parameter i's C type. A caller that passes an int where the kernel takes a long long, or
// swaps two arguments, gets what a GPU would give it (garbage or an invalid address), not a fix.
template <class... A, std::size_t... I>
void unpack(void (*kernel)(A...), void** params, std::index_sequence<I...>) {
    kernel(*static_cast<std::remove_cv_t<A>*>(params[I])...);
}

template <class... A> constexpr std::size_t arity(void (*)(A...)) { return sizeof...(A); }

template <auto Kernel> void trampoline(void** params) {
    unpack(Kernel, params, std::make_index_sequence<arity(Kernel)>{});
}

struct KernelEntry {
    const char* name;
    void (*run)(void** params);  // one thread of one block: the caller sets threadIdx/blockIdx
    std::size_t params;          // parameter count (kernelParams must hold this many)
    int maxThreads;              // __launch_bounds__' first argument, else the device's 1024
};

// Runs every block of grid x block threads of `entry` to completion (grid.cpp), each block with
// sharedBytes of dynamic shared memory; an int CUresult: LAUNCH_FAILED when a block's threads
// deadlocked at barriers.
int run_grid(const KernelEntry& entry, void** params, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned sharedBytes);

extern const KernelEntry kernels[];
extern const std::size_t kernelCount;

}  // namespace nnc_drv

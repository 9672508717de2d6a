// The emulated libcuda.so.1: modules, functions and cuLaunchKernel. A module is our fatbin (or, in a
// build without nvcc, the emulation's module marker); its functions are the CPU-compiled kernels of
// the generated table (kernel_table.h), found by name. A launch is checked as the device checks it
// (block, grid, shared memory, the kernel's thread limit) and then runs to completion on the CPU.
#include "driver_state.h"
#include "kernel_table.h"

#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace nnc_drv {
namespace {
// What CudaEmulation.MODULE_IMAGE passes when the build had no nvcc (no fatbin to pass).
constexpr char EMULATED_MODULE[] = "nncompress emulated module";
constexpr std::uint32_t FATBIN_MAGIC = 0xBA55ED50u;       // a fatbin file (nvcc -fatbin)
constexpr std::uint32_t FATBIN_WRAPPER_MAGIC = 0x466243B1u;  // a fatbin embedded in a host object

struct Function {
    const KernelEntry* entry;
    int maxDynamicShared = SHARED_PER_BLOCK;  // raised by cuFuncSetAttribute, as on the device
};
struct Module {
    std::mutex lock;
    std::unordered_map<std::string, std::unique_ptr<Function>> functions;  // looked up so far
};
std::mutex modules_lock;
std::unordered_map<Module*, std::unique_ptr<Module>> modules;

Module* live_module(void* m) {
    std::lock_guard<std::mutex> g(modules_lock);
    auto it = modules.find((Module*) m);
    return it == modules.end() ? nullptr : it->second.get();
}

bool known_image(const void* image) {
    if (std::strncmp((const char*) image, EMULATED_MODULE, sizeof EMULATED_MODULE) == 0) return true;
    std::uint32_t magic;
    std::memcpy(&magic, image, sizeof magic);
    return magic == FATBIN_MAGIC || magic == FATBIN_WRAPPER_MAGIC;
}
}  // namespace
}  // namespace nnc_drv

using namespace nnc_drv;

NNC_API CUresult cuModuleLoadData(void** module, const void* image) {
    if (CUresult r = need_context()) return r;
    if (!module || !image) return INVALID_VALUE;
    if (!known_image(image)) return INVALID_IMAGE;  // neither a fatbin nor the emulation's marker
    auto m = std::make_unique<Module>();
    Module* handle = m.get();
    std::lock_guard<std::mutex> g(modules_lock);
    modules[handle] = std::move(m);
    *module = handle;
    return SUCCESS;
}

NNC_API CUresult cuModuleLoadDataEx(void** module, const void* image, unsigned, void*, void*) { return cuModuleLoadData(module, image); }

NNC_API CUresult cuModuleUnload(void* module) {
    if (CUresult r = need_context()) return r;
    std::lock_guard<std::mutex> g(modules_lock);
    return modules.erase((Module*) module) ? SUCCESS : INVALID_HANDLE;
}

NNC_API CUresult cuModuleGetFunction(void** function, void* module, const char* name) {
    if (CUresult r = need_context()) return r;
    if (!function || !name) return INVALID_VALUE;
    Module* m = live_module(module);
    if (!m) return INVALID_HANDLE;
    std::lock_guard<std::mutex> g(m->lock);
    auto it = m->functions.find(name);
    if (it == m->functions.end()) {
        const KernelEntry* entry = nullptr;
        for (std::size_t i = 0; i < kernelCount; i++) {
            if (std::strcmp(kernels[i].name, name) == 0) entry = &kernels[i];
        }
        if (!entry) return NOT_FOUND;
        it = m->functions.emplace(name, std::make_unique<Function>(Function{entry})).first;
    }
    *function = it->second.get();
    return SUCCESS;
}

// CUfunction_attribute values (cuda.h). Function handles are trusted as the real driver trusts them.
NNC_API CUresult cuFuncGetAttribute(int* value, int attribute, void* function) {
    if (CUresult r = need_context()) return r;
    if (!value || !function) return INVALID_VALUE;
    const Function* f = (const Function*) function;
    switch (attribute) {
        case 0: *value = f->entry->maxThreads; break;    // MAX_THREADS_PER_BLOCK
        case 1: case 2: case 3: *value = 0; break;        // static shared, const, local bytes: not known here
        case 4: *value = 32; break;                       // NUM_REGS: a plausible figure, not measured
        case 5: case 6: *value = CC_MAJOR * 10 + CC_MINOR; break;  // PTX / binary version
        case 8: *value = f->maxDynamicShared; break;      // MAX_DYNAMIC_SHARED_SIZE_BYTES
        default: return INVALID_VALUE;
    }
    return SUCCESS;
}

NNC_API CUresult cuFuncSetAttribute(void* function, int attribute, int value) {
    if (CUresult r = need_context()) return r;
    if (!function) return INVALID_VALUE;
    Function* f = (Function*) function;
    if (attribute == 8) {  // MAX_DYNAMIC_SHARED_SIZE_BYTES
        if (value < 0 || value > SHARED_PER_BLOCK_OPTIN) return INVALID_VALUE;
        f->maxDynamicShared = value;
        return SUCCESS;
    }
    if (attribute == 9 || attribute == 10) return SUCCESS;  // shared-memory carveout, cluster hints: no effect here
    return INVALID_VALUE;
}

NNC_API CUresult cuLaunchKernel(void* function, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                                unsigned sharedBytes, void* stream, void** params, void** extra) {
    if (CUresult r = need_context()) return r;
    if (!function) return INVALID_HANDLE;
    if (CUresult r = check_stream(stream)) return r;
    const Function* f = (const Function*) function;
    const KernelEntry& k = *f->entry;
    // the device's limits first: a launch a GPU refuses is refused here with the same error
    if (gx == 0 || gy == 0 || gz == 0 || bx == 0 || by == 0 || bz == 0) return INVALID_VALUE;
    if (gx > MAX_GRID_X || gy > MAX_GRID_YZ || gz > MAX_GRID_YZ) return INVALID_VALUE;
    if (bx > (unsigned) MAX_BLOCK_X || by > (unsigned) MAX_BLOCK_Y || bz > (unsigned) MAX_BLOCK_Z) return INVALID_VALUE;
    const unsigned long long threads = (unsigned long long) bx * by * bz;
    if (threads > (unsigned long long) MAX_THREADS_PER_BLOCK) return INVALID_VALUE;
    if (threads > (unsigned long long) k.maxThreads) {
        note("%s: %llu threads per block, its __launch_bounds__ allow %d", k.name, threads, k.maxThreads);
        return LAUNCH_OUT_OF_RESOURCES;
    }
    if (sharedBytes > (unsigned) f->maxDynamicShared) return INVALID_VALUE;
    if (extra != nullptr) {
        note("%s: cuLaunchKernel's 'extra' argument is not emulated", k.name);
        return NOT_SUPPORTED;
    }
    if (k.params > 0 && params == nullptr) return INVALID_VALUE;
    // what the emulator cannot run, said plainly rather than run wrongly
    if (by != 1 || bz != 1) {
        note("%s: %ux%ux%u blocks; the emulation runs 1-D blocks only (our kernels' shape)", k.name, bx, by, bz);
        return NOT_SUPPORTED;
    }
    if (tracing()) note("launch %s grid %ux%ux%u block %u shared %u", k.name, gx, gy, gz, bx, sharedBytes);
    return run_grid(k, params, gx, gy, gz, bx, sharedBytes);
}

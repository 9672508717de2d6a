// The emulated libcuda.so.1: initialisation, the one device, primary context and current context,
// error names. See driver_state.h for what is checked and why.
#include "driver_state.h"

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace nnc_drv {
namespace {
std::atomic<bool> initialised{false};
// The primary context: one object, retained and released by count (the driver keeps it alive
// while retained; we never destroy it, so a stale handle stays a valid pointer).
struct Context { int device = 0; };
Context primary;
std::atomic<int> primary_refs{0};
thread_local Context* current = nullptr;
}  // namespace

CUresult need_init() { return initialised ? SUCCESS : NOT_INITIALIZED; }

CUresult need_context() {
    if (!initialised) return NOT_INITIALIZED;
    return current ? SUCCESS : INVALID_CONTEXT;
}

void note(const char* fmt, ...) {
    std::va_list args;
    va_start(args, fmt);
    std::fputs("nncompress emulated libcuda: ", stderr);
    std::vfprintf(stderr, fmt, args);
    std::fputc('\n', stderr);
    va_end(args);
}

bool tracing() {
    static const bool on = std::getenv("NNC_EMU_DRIVER_TRACE") != nullptr;
    return on;
}

static Context* as_context(void* c) { return static_cast<Context*>(c) == &primary ? &primary : nullptr; }

}  // namespace nnc_drv

using namespace nnc_drv;

NNC_API CUresult cuInit(unsigned flags) {
    if (flags != 0) return INVALID_VALUE;
    initialised = true;
    return SUCCESS;
}

NNC_API CUresult cuDriverGetVersion(int* version) {
    if (!version) return INVALID_VALUE;
    *version = DRIVER_VERSION;
    return SUCCESS;
}

NNC_API CUresult cuDeviceGetCount(int* count) {
    if (CUresult r = need_init()) return r;
    if (!count) return INVALID_VALUE;
    *count = 1;
    return SUCCESS;
}

NNC_API CUresult cuDeviceGet(CUdevice* device, int ordinal) {
    if (CUresult r = need_init()) return r;
    if (!device) return INVALID_VALUE;
    if (ordinal != 0) return INVALID_DEVICE;
    *device = 0;
    return SUCCESS;
}

NNC_API CUresult cuDeviceGetName(char* name, int len, CUdevice device) {
    if (CUresult r = need_init()) return r;
    if (device != 0) return INVALID_DEVICE;
    if (!name || len <= 0) return INVALID_VALUE;
    std::snprintf(name, (std::size_t) len, "%s", DEVICE_NAME);
    return SUCCESS;
}

NNC_API CUresult cuDeviceTotalMem_v2(std::size_t* bytes, CUdevice device) {
    if (CUresult r = need_init()) return r;
    if (device != 0) return INVALID_DEVICE;
    if (!bytes) return INVALID_VALUE;
    *bytes = TOTAL_MEMORY;
    return SUCCESS;
}

NNC_API CUresult cuDeviceComputeCapability(int* major, int* minor, CUdevice device) {
    if (CUresult r = need_init()) return r;
    if (device != 0) return INVALID_DEVICE;
    if (!major || !minor) return INVALID_VALUE;
    *major = CC_MAJOR;
    *minor = CC_MINOR;
    return SUCCESS;
}

// CUdevice_attribute values (cuda.h); anything not listed is INVALID_VALUE, as an unknown attribute is.
NNC_API CUresult cuDeviceGetAttribute(int* value, int attribute, CUdevice device) {
    if (CUresult r = need_init()) return r;
    if (device != 0) return INVALID_DEVICE;
    if (!value) return INVALID_VALUE;
    switch (attribute) {
        case 1: *value = MAX_THREADS_PER_BLOCK; break;                 // MAX_THREADS_PER_BLOCK
        case 2: *value = MAX_BLOCK_X; break;                           // MAX_BLOCK_DIM_X
        case 3: *value = MAX_BLOCK_Y; break;
        case 4: *value = MAX_BLOCK_Z; break;
        case 5: *value = (int) MAX_GRID_X; break;                      // MAX_GRID_DIM_X
        case 6: case 7: *value = (int) MAX_GRID_YZ; break;
        case 8: *value = SHARED_PER_BLOCK; break;                      // MAX_SHARED_MEMORY_PER_BLOCK
        case 9: *value = 64 * 1024; break;                             // TOTAL_CONSTANT_MEMORY
        case 10: *value = 32; break;                                   // WARP_SIZE
        case 12: *value = 64 * 1024; break;                            // MAX_REGISTERS_PER_BLOCK
        case 13: *value = 1000000; break;                              // CLOCK_RATE (kHz)
        case 14: *value = 512; break;                                  // TEXTURE_ALIGNMENT
        case 16: *value = SM_COUNT; break;                             // MULTIPROCESSOR_COUNT
        case 17: case 18: *value = 0; break;                           // KERNEL_EXEC_TIMEOUT, INTEGRATED
        case 19: *value = 0; break;                                    // CAN_MAP_HOST_MEMORY
        case 20: *value = 0; break;                                    // COMPUTE_MODE default
        case 31: *value = 0; break;                                    // CONCURRENT_KERNELS: one at a time here
        case 32: *value = 0; break;                                    // ECC_ENABLED
        case 33: case 34: case 50: *value = 0; break;                  // PCI bus, device, domain
        case 36: *value = 1000000; break;                              // MEMORY_CLOCK_RATE (kHz)
        case 37: *value = 64; break;                                   // GLOBAL_MEMORY_BUS_WIDTH
        case 38: *value = 4 << 20; break;                              // L2_CACHE_SIZE
        case 39: *value = 2048; break;                                 // MAX_THREADS_PER_MULTIPROCESSOR
        case 40: *value = 1; break;                                    // ASYNC_ENGINE_COUNT
        case 41: *value = 1; break;                                    // UNIFIED_ADDRESSING
        case 75: *value = CC_MAJOR; break;                             // COMPUTE_CAPABILITY_MAJOR
        case 76: *value = CC_MINOR; break;                             // COMPUTE_CAPABILITY_MINOR
        case 81: *value = 228 * 1024; break;                           // MAX_SHARED_MEMORY_PER_MULTIPROCESSOR
        case 82: *value = 64 * 1024; break;                            // MAX_REGISTERS_PER_MULTIPROCESSOR
        case 83: *value = 0; break;                                    // MANAGED_MEMORY
        case 97: *value = SHARED_PER_BLOCK_OPTIN; break;               // MAX_SHARED_MEMORY_PER_BLOCK_OPTIN
        case 106: *value = 32; break;                                  // MAX_BLOCKS_PER_MULTIPROCESSOR
        default: return INVALID_VALUE;
    }
    return SUCCESS;
}

NNC_API CUresult cuDevicePrimaryCtxRetain(void** context, CUdevice device) {
    if (CUresult r = need_init()) return r;
    if (device != 0) return INVALID_DEVICE;
    if (!context) return INVALID_VALUE;
    primary_refs++;
    *context = &primary;
    return SUCCESS;
}

NNC_API CUresult cuDevicePrimaryCtxRelease_v2(CUdevice device) {
    if (CUresult r = need_init()) return r;
    if (device != 0) return INVALID_DEVICE;
    if (primary_refs.load() <= 0) return INVALID_CONTEXT;
    primary_refs--;
    return SUCCESS;
}

NNC_API CUresult cuDevicePrimaryCtxGetState(CUdevice device, unsigned* flags, int* active) {
    if (CUresult r = need_init()) return r;
    if (device != 0) return INVALID_DEVICE;
    if (!flags || !active) return INVALID_VALUE;
    *flags = 0;
    *active = primary_refs.load() > 0;
    return SUCCESS;
}

NNC_API CUresult cuDevicePrimaryCtxSetFlags_v2(CUdevice device, unsigned) {
    if (CUresult r = need_init()) return r;
    return device == 0 ? SUCCESS : INVALID_DEVICE;
}

NNC_API CUresult cuCtxSetCurrent(void* context) {
    if (CUresult r = need_init()) return r;
    if (context && !as_context(context)) return INVALID_CONTEXT;
    current = as_context(context);
    return SUCCESS;
}

NNC_API CUresult cuCtxGetCurrent(void** context) {
    if (CUresult r = need_init()) return r;
    if (!context) return INVALID_VALUE;
    *context = current;
    return SUCCESS;
}

NNC_API CUresult cuCtxPushCurrent_v2(void* context) { return cuCtxSetCurrent(context); }

NNC_API CUresult cuCtxPopCurrent_v2(void** context) {
    if (CUresult r = need_context()) return r;
    if (context) *context = current;
    current = nullptr;
    return SUCCESS;
}

NNC_API CUresult cuCtxGetDevice(CUdevice* device) {
    if (CUresult r = need_context()) return r;
    if (!device) return INVALID_VALUE;
    *device = current->device;
    return SUCCESS;
}

// Every operation ran to completion when it was issued.
NNC_API CUresult cuCtxSynchronize() { return need_context(); }

NNC_API CUresult cuGetErrorName(CUresult error, const char** name) {
    if (!name) return INVALID_VALUE;
    switch (error) {
        case SUCCESS: *name = "CUDA_SUCCESS"; break;
        case INVALID_VALUE: *name = "CUDA_ERROR_INVALID_VALUE"; break;
        case OUT_OF_MEMORY: *name = "CUDA_ERROR_OUT_OF_MEMORY"; break;
        case NOT_INITIALIZED: *name = "CUDA_ERROR_NOT_INITIALIZED"; break;
        case NO_DEVICE: *name = "CUDA_ERROR_NO_DEVICE"; break;
        case INVALID_DEVICE: *name = "CUDA_ERROR_INVALID_DEVICE"; break;
        case INVALID_IMAGE: *name = "CUDA_ERROR_INVALID_IMAGE"; break;
        case INVALID_CONTEXT: *name = "CUDA_ERROR_INVALID_CONTEXT"; break;
        case INVALID_HANDLE: *name = "CUDA_ERROR_INVALID_HANDLE"; break;
        case NOT_FOUND: *name = "CUDA_ERROR_NOT_FOUND"; break;
        case LAUNCH_OUT_OF_RESOURCES: *name = "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES"; break;
        case LAUNCH_FAILED: *name = "CUDA_ERROR_LAUNCH_FAILED"; break;
        case NOT_SUPPORTED: *name = "CUDA_ERROR_NOT_SUPPORTED"; break;
        default: *name = nullptr; return INVALID_VALUE;
    }
    return SUCCESS;
}

NNC_API CUresult cuGetErrorString(CUresult error, const char** text) { return cuGetErrorName(error, text); }

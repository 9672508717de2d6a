// What the emulated libcuda.so.1 keeps between calls, shared by its translation units: the one
// emulated device's properties, the call-order checks (cuInit first, a current context for work) and
// the allocation table that stands in for device memory. Our own CUDA types: this library is built
// without the CUDA toolkit (CI has none), so it cannot include cuda.h; the values below are the
// driver API's (cuda.h, CUDA 12).
#pragma once
#include <cstddef>
#include <cstdint>

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;

namespace nnc_drv {

enum : CUresult {
    SUCCESS = 0,
    INVALID_VALUE = 1,
    OUT_OF_MEMORY = 2,
    NOT_INITIALIZED = 3,
    NO_DEVICE = 100,
    INVALID_DEVICE = 101,
    INVALID_IMAGE = 200,
    INVALID_CONTEXT = 201,
    INVALID_HANDLE = 400,
    NOT_FOUND = 500,
    LAUNCH_OUT_OF_RESOURCES = 701,
    LAUNCH_FAILED = 719,
    NOT_SUPPORTED = 801,
};

// The emulated device: what cuDeviceGet* report. The name says emulation, so that nothing printed
// from it can pass for a GPU; compute capability 9.0 is the newest our fatbin has SASS for.
inline constexpr const char* DEVICE_NAME = "nncompress emulated device (CPU)";
inline constexpr int CC_MAJOR = 9, CC_MINOR = 0;
inline constexpr int SM_COUNT = 4;                               // small: grid heuristics that scale with SMs stay cheap
inline constexpr std::size_t TOTAL_MEMORY = 8ull << 30;          // an allocation cap, not reserved memory
inline constexpr int MAX_THREADS_PER_BLOCK = 1024;
inline constexpr int MAX_BLOCK_X = 1024, MAX_BLOCK_Y = 1024, MAX_BLOCK_Z = 64;
inline constexpr long long MAX_GRID_X = 2147483647LL, MAX_GRID_YZ = 65535;
inline constexpr int SHARED_PER_BLOCK = 48 * 1024;              // without the opt-in
inline constexpr int SHARED_PER_BLOCK_OPTIN = 227 * 1024;       // sm_90's opt-in maximum
inline constexpr int DRIVER_VERSION = 12060;                     // the JCuda release we link (12.6)

// Call order, as the real driver checks it: NOT_INITIALIZED before cuInit, INVALID_CONTEXT for work
// issued on a thread with no current context (contexts are per thread; a Java thread that forgot
// makeCurrent() fails here as it would on a GPU).
CUresult need_init();
CUresult need_context();

// Device memory is host memory from aligned_alloc, 256-byte aligned as cuMemAlloc's is. Every copy
// and memset is checked against this table: a range that leaves its allocation is INVALID_VALUE,
// where the real driver would fail the copy or fault (a wrong copy size in Java shows up here).
CUresult mem_alloc(CUdeviceptr* p, std::size_t bytes);
CUresult mem_free(CUdeviceptr p);
bool mem_inside(CUdeviceptr p, std::size_t bytes);
std::size_t mem_in_use();

// A stream argument: null (the legacy default stream), CU_STREAM_LEGACY, CU_STREAM_PER_THREAD or one
// from cuStreamCreate and not yet destroyed; anything else is INVALID_HANDLE. Streams are synchronous
// here (work finishes before the call returns), so a missing synchronisation cannot show as a race.
CUresult check_stream(void* stream);

// stderr line prefixed with the library's name (a stub's "not emulated" note, NNC_EMU_DRIVER_TRACE).
void note(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
bool tracing();

}  // namespace nnc_drv

#define NNC_API extern "C" __attribute__((visibility("default")))

// The emulated libcuda.so.1: device memory (host allocations, checked ranges), copies, memsets,
// streams and events. Everything is synchronous: an "Async" call has finished when it returns.
#include "driver_state.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>

namespace nnc_drv {
namespace {
std::mutex lock;
std::map<CUdeviceptr, std::size_t> allocations;  // base -> size
std::size_t in_use = 0;
std::set<void*> streams;
struct Event { bool recorded = false; std::chrono::steady_clock::time_point at; };
std::set<Event*> events;
}  // namespace

CUresult mem_alloc(CUdeviceptr* p, std::size_t bytes) {
    if (CUresult r = need_context()) return r;
    if (!p || bytes == 0) return INVALID_VALUE;  // cuMemAlloc refuses 0 bytes
    const std::size_t rounded = (bytes + 255) / 256 * 256;
    std::lock_guard<std::mutex> g(lock);
    if (rounded > TOTAL_MEMORY - in_use) return OUT_OF_MEMORY;
    void* host = std::aligned_alloc(256, rounded);
    if (!host) return OUT_OF_MEMORY;
    std::memset(host, 0xA5, rounded);  // not zero: device memory is not cleared, code that assumes so fails here too
    *p = (CUdeviceptr) host;
    allocations[*p] = bytes;
    in_use += rounded;
    return SUCCESS;
}

CUresult mem_free(CUdeviceptr p) {
    if (CUresult r = need_context()) return r;
    if (p == 0) return SUCCESS;
    std::lock_guard<std::mutex> g(lock);
    auto it = allocations.find(p);
    if (it == allocations.end()) return INVALID_VALUE;  // not the base of a live allocation
    in_use -= (it->second + 255) / 256 * 256;
    allocations.erase(it);
    std::free((void*) p);
    return SUCCESS;
}

bool mem_inside(CUdeviceptr p, std::size_t bytes) {
    std::lock_guard<std::mutex> g(lock);
    auto it = allocations.upper_bound(p);
    if (it == allocations.begin()) return false;
    --it;
    return p - it->first <= it->second && bytes <= it->second - (p - it->first);
}

std::size_t mem_in_use() {
    std::lock_guard<std::mutex> g(lock);
    return in_use;
}

CUresult check_stream(void* stream) {
    if (stream == nullptr || stream == (void*) 0x1 || stream == (void*) 0x2) return SUCCESS;
    std::lock_guard<std::mutex> g(lock);
    return streams.count(stream) ? SUCCESS : INVALID_HANDLE;
}

// One copy between two ranges, each either device memory (checked against the table) or host memory.
static CUresult copy(void* dst, bool dst_device, const void* src, bool src_device, std::size_t bytes, void* stream) {
    if (CUresult r = need_context()) return r;
    if (CUresult r = check_stream(stream)) return r;
    if (bytes == 0) return SUCCESS;
    if (!dst || !src) return INVALID_VALUE;
    if (dst_device && !mem_inside((CUdeviceptr) dst, bytes)) {
        note("copy of %zu bytes to %p leaves its device allocation", bytes, dst);
        return INVALID_VALUE;
    }
    if (src_device && !mem_inside((CUdeviceptr) src, bytes)) {
        note("copy of %zu bytes from %p leaves its device allocation", bytes, src);
        return INVALID_VALUE;
    }
    std::memmove(dst, src, bytes);
    return SUCCESS;
}

template <class T> static CUresult fill(CUdeviceptr dst, T value, std::size_t count, void* stream) {
    if (CUresult r = need_context()) return r;
    if (CUresult r = check_stream(stream)) return r;
    if (count == 0) return SUCCESS;
    if (dst % sizeof(T) != 0) return INVALID_VALUE;  // D16/D32 need an aligned destination
    if (!mem_inside(dst, count * sizeof(T))) {
        note("memset of %zu x %zu bytes at %p leaves its device allocation", count, sizeof(T), (void*) dst);
        return INVALID_VALUE;
    }
    T* p = (T*) dst;
    std::fill(p, p + count, value);
    return SUCCESS;
}

}  // namespace nnc_drv

using namespace nnc_drv;

NNC_API CUresult cuMemAlloc_v2(CUdeviceptr* p, std::size_t bytes) { return mem_alloc(p, bytes); }
NNC_API CUresult cuMemFree_v2(CUdeviceptr p) { return mem_free(p); }

NNC_API CUresult cuMemGetInfo_v2(std::size_t* free, std::size_t* total) {
    if (CUresult r = need_context()) return r;
    if (!free || !total) return INVALID_VALUE;
    *total = TOTAL_MEMORY;
    *free = TOTAL_MEMORY - mem_in_use();
    return SUCCESS;
}

NNC_API CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void* src, std::size_t n) { return copy((void*) dst, true, src, false, n, nullptr); }
NNC_API CUresult cuMemcpyDtoH_v2(void* dst, CUdeviceptr src, std::size_t n) { return copy(dst, false, (void*) src, true, n, nullptr); }
NNC_API CUresult cuMemcpyDtoD_v2(CUdeviceptr dst, CUdeviceptr src, std::size_t n) { return copy((void*) dst, true, (void*) src, true, n, nullptr); }
NNC_API CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void* src, std::size_t n, void* s) { return copy((void*) dst, true, src, false, n, s); }
NNC_API CUresult cuMemcpyDtoHAsync_v2(void* dst, CUdeviceptr src, std::size_t n, void* s) { return copy(dst, false, (void*) src, true, n, s); }
NNC_API CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, std::size_t n, void* s) { return copy((void*) dst, true, (void*) src, true, n, s); }
// Unified addressing: either side may be device or host memory; the table says which.
NNC_API CUresult cuMemcpy(CUdeviceptr dst, CUdeviceptr src, std::size_t n) {
    return copy((void*) dst, mem_inside(dst, 1), (void*) src, mem_inside(src, 1), n, nullptr);
}
NNC_API CUresult cuMemcpyAsync(CUdeviceptr dst, CUdeviceptr src, std::size_t n, void* s) {
    return copy((void*) dst, mem_inside(dst, 1), (void*) src, mem_inside(src, 1), n, s);
}

NNC_API CUresult cuMemsetD8_v2(CUdeviceptr d, unsigned char v, std::size_t n) { return fill<unsigned char>(d, v, n, nullptr); }
NNC_API CUresult cuMemsetD16_v2(CUdeviceptr d, unsigned short v, std::size_t n) { return fill<unsigned short>(d, v, n, nullptr); }
NNC_API CUresult cuMemsetD32_v2(CUdeviceptr d, unsigned v, std::size_t n) { return fill<unsigned>(d, v, n, nullptr); }
NNC_API CUresult cuMemsetD8Async(CUdeviceptr d, unsigned char v, std::size_t n, void* s) { return fill<unsigned char>(d, v, n, s); }
NNC_API CUresult cuMemsetD16Async(CUdeviceptr d, unsigned short v, std::size_t n, void* s) { return fill<unsigned short>(d, v, n, s); }
NNC_API CUresult cuMemsetD32Async(CUdeviceptr d, unsigned v, std::size_t n, void* s) { return fill<unsigned>(d, v, n, s); }

NNC_API CUresult cuStreamCreate(void** stream, unsigned flags) {
    if (CUresult r = need_context()) return r;
    if (!stream || flags > 1) return INVALID_VALUE;  // CU_STREAM_DEFAULT or CU_STREAM_NON_BLOCKING
    void* s = new char(0);
    std::lock_guard<std::mutex> g(lock);
    streams.insert(s);
    *stream = s;
    return SUCCESS;
}

NNC_API CUresult cuStreamCreateWithPriority(void** stream, unsigned flags, int) { return cuStreamCreate(stream, flags); }

NNC_API CUresult cuStreamDestroy_v2(void* stream) {
    if (CUresult r = need_context()) return r;
    std::lock_guard<std::mutex> g(lock);
    if (!streams.erase(stream)) return INVALID_HANDLE;
    delete (char*) stream;
    return SUCCESS;
}

NNC_API CUresult cuStreamSynchronize(void* stream) {
    if (CUresult r = need_context()) return r;
    return check_stream(stream);
}

NNC_API CUresult cuStreamQuery(void* stream) { return cuStreamSynchronize(stream); }

NNC_API CUresult cuStreamWaitEvent(void* stream, void* event, unsigned) {
    if (CUresult r = need_context()) return r;
    if (CUresult r = check_stream(stream)) return r;
    std::lock_guard<std::mutex> g(lock);
    return events.count((Event*) event) ? SUCCESS : INVALID_HANDLE;
}

NNC_API CUresult cuEventCreate(void** event, unsigned) {
    if (CUresult r = need_context()) return r;
    if (!event) return INVALID_VALUE;
    Event* e = new Event;
    std::lock_guard<std::mutex> g(lock);
    events.insert(e);
    *event = e;
    return SUCCESS;
}

NNC_API CUresult cuEventRecord(void* event, void* stream) {
    if (CUresult r = need_context()) return r;
    if (CUresult r = check_stream(stream)) return r;
    std::lock_guard<std::mutex> g(lock);
    auto it = events.find((Event*) event);
    if (it == events.end()) return INVALID_HANDLE;
    (*it)->recorded = true;
    (*it)->at = std::chrono::steady_clock::now();
    return SUCCESS;
}

NNC_API CUresult cuEventRecordWithFlags(void* event, void* stream, unsigned) { return cuEventRecord(event, stream); }

NNC_API CUresult cuEventSynchronize(void* event) {
    if (CUresult r = need_context()) return r;
    std::lock_guard<std::mutex> g(lock);
    return events.count((Event*) event) ? SUCCESS : INVALID_HANDLE;
}

NNC_API CUresult cuEventQuery(void* event) { return cuEventSynchronize(event); }

// Host wall time between the two records: the emulator's time, which says nothing about a GPU's.
NNC_API CUresult cuEventElapsedTime(float* ms, void* start, void* end) {
    if (CUresult r = need_context()) return r;
    if (!ms) return INVALID_VALUE;
    std::lock_guard<std::mutex> g(lock);
    if (!events.count((Event*) start) || !events.count((Event*) end)) return INVALID_HANDLE;
    Event* a = (Event*) start;
    Event* b = (Event*) end;
    if (!a->recorded || !b->recorded) return INVALID_HANDLE;  // CUDA_ERROR_INVALID_HANDLE for an unrecorded event
    *ms = std::chrono::duration<float, std::milli>(b->at - a->at).count();
    return SUCCESS;
}

NNC_API CUresult cuEventDestroy_v2(void* event) {
    if (CUresult r = need_context()) return r;
    std::lock_guard<std::mutex> g(lock);
    if (!events.erase((Event*) event)) return INVALID_HANDLE;
    delete (Event*) event;
    return SUCCESS;
}

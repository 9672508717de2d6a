// What the JNI entry points that take CpuTensor blocks by address share: the address-to-pointer cast and a
// per-thread float scratch buffer that grows as needed and is kept between calls (each entry point file keeps
// its own thread_local instance, so two kernels never hand each other's scratch back and forth).
#pragma once

#include <jni.h>

#include <cstddef>
#include <cstdint>

#include "gemm_s8.h"

namespace nnc {

template <typename T>
T* ptr(jlong address) { return reinterpret_cast<T*>(static_cast<intptr_t>(address)); }

struct FloatScratch {
    float* data = nullptr;
    int64_t floats = 0;
    FloatScratch() = default;
    FloatScratch(const FloatScratch&) = delete;
    FloatScratch& operator=(const FloatScratch&) = delete;
    ~FloatScratch() { free_aligned(data); }
    // at least n floats, 64-byte aligned; nullptr when the allocation fails (the caller reports it)
    float* get(int64_t n) {
        if (n > floats) {
            free_aligned(data);
            data = static_cast<float*>(aligned_bytes(sizeof(float) * static_cast<size_t>(n)));
            floats = data == nullptr ? 0 : n;
        }
        return data;
    }
};

}  // namespace nnc

// Generic x86-64 int8 GEMM: plain loops, any CPU. B is kept as given ([n, k] row-major).
#include <cstring>

#include "gemm_s8.h"

namespace nnc {

bool pack_scalar(const int8_t* b, PackedB& packed) {
    packed.bytes = static_cast<size_t>(packed.n) * static_cast<size_t>(packed.k);
    packed.data = static_cast<int8_t*>(aligned_bytes(packed.bytes));
    if (packed.data == nullptr) return false;
    std::memcpy(packed.data, b, packed.bytes);
    return true;
}

namespace {

int32_t dot(const int8_t* x, const int8_t* y, int k) {
    // wrapping int32 sum as the Java twin (unsigned arithmetic: signed overflow would be undefined)
    uint32_t s = 0;
    for (int i = 0; i < k; i++) s += static_cast<uint32_t>(static_cast<int32_t>(x[i]) * static_cast<int32_t>(y[i]));
    return static_cast<int32_t>(s);
}

}  // namespace

bool gemm_scalar(const int8_t* a, int m, const PackedB& b, const Epilogue& e, Output out) {
    const size_t k = static_cast<size_t>(b.k);
    for (int i = 0; i < m; i++) {
        const int8_t* row = a + static_cast<size_t>(i) * k;
        for (int j = 0; j < b.n; j++) store_scalar(e, out, static_cast<size_t>(i), j, dot(row, b.data + static_cast<size_t>(j) * k, b.k));
    }
    return true;
}

}  // namespace nnc

// Helpers every variant shares (compiled for generic x86-64).
#include <cstdlib>

#include "gemm_s8.h"

namespace nnc {

void* aligned_bytes(size_t bytes) {
    // 64-byte lines: the kernels' aligned vector loads need it, and no load of B straddles two lines
    size_t rounded = (bytes + 63) / 64 * 64;
    return std::aligned_alloc(64, rounded == 0 ? 64 : rounded);
}

void free_aligned(void* p) { std::free(p); }

int padded_columns(int n) { return round_up(n, 64); }

int row_sum_bias(int variant) { return variant == kAvx512Vnni ? 128 : 0; }

}  // namespace nnc

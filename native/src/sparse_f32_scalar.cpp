// Scalar variant of the sparse kernel (sparse_f32.h): plain loops, std::fma per term.
#include <cmath>

#include "sparse_f32.h"

namespace nnc {

void csr_rows_scalar(const Csr& w, const float* bias, const float* b, size_t ldb, int p, float* out, size_t ldo, int row0, int row1) {
    for (int o = row0; o < row1; o++) {
        float* y = out + static_cast<size_t>(o) * ldo;
        const float init = bias == nullptr ? 0.0f : bias[o];
        for (int j = 0; j < p; j++) y[j] = init;
        for (int e = w.row_ptr[o]; e < w.row_ptr[o + 1]; e++) {
            const float v = w.val[e];
            const float* src = b + static_cast<size_t>(w.col[e]) * ldb;
            for (int j = 0; j < p; j++) y[j] = std::fma(src[j], v, y[j]);
        }
    }
}

}  // namespace nnc

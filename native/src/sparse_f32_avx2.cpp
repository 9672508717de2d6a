// AVX2 + FMA variant of the sparse kernel (sparse_f32.h): 32 columns (4 ymm chains) at a time, then
// 8, then a scalar tail with std::fma (the same rounding as vfmadd).
#include <immintrin.h>

#include <cmath>

#include "sparse_f32.h"

namespace nnc {

void csr_rows_avx2(const Csr& w, const float* bias, const float* b, size_t ldb, int p, float* out, size_t ldo, int row0, int row1) {
    for (int o = row0; o < row1; o++) {
        float* y = out + static_cast<size_t>(o) * ldo;
        const float init_s = bias == nullptr ? 0.0f : bias[o];
        const __m256 init = _mm256_set1_ps(init_s);
        const int e0 = w.row_ptr[o];
        const int e1 = w.row_ptr[o + 1];
        int j = 0;
        for (; j + 32 <= p; j += 32) {
            __m256 a0 = init, a1 = init, a2 = init, a3 = init;
            for (int e = e0; e < e1; e++) {
                const __m256 v = _mm256_set1_ps(w.val[e]);
                const float* s = b + static_cast<size_t>(w.col[e]) * ldb + j;
                a0 = _mm256_fmadd_ps(_mm256_loadu_ps(s), v, a0);
                a1 = _mm256_fmadd_ps(_mm256_loadu_ps(s + 8), v, a1);
                a2 = _mm256_fmadd_ps(_mm256_loadu_ps(s + 16), v, a2);
                a3 = _mm256_fmadd_ps(_mm256_loadu_ps(s + 24), v, a3);
            }
            _mm256_storeu_ps(y + j, a0);
            _mm256_storeu_ps(y + j + 8, a1);
            _mm256_storeu_ps(y + j + 16, a2);
            _mm256_storeu_ps(y + j + 24, a3);
        }
        for (; j + 8 <= p; j += 8) {
            __m256 a = init;
            for (int e = e0; e < e1; e++) {
                a = _mm256_fmadd_ps(_mm256_loadu_ps(b + static_cast<size_t>(w.col[e]) * ldb + j), _mm256_set1_ps(w.val[e]), a);
            }
            _mm256_storeu_ps(y + j, a);
        }
        for (; j < p; j++) {
            float a = init_s;
            for (int e = e0; e < e1; e++) a = std::fma(b[static_cast<size_t>(w.col[e]) * ldb + j], w.val[e], a);
            y[j] = a;
        }
    }
}

}  // namespace nnc

// AVX-512 variant of the sparse kernel (sparse_f32.h). Columns are taken 64 at a time (4 zmm
// accumulators, 4 independent FMA chains per row), then 16 at a time, then a masked tail; each
// accumulator runs the row's entries in order, so every lane is the scalar chain exactly.
#include <immintrin.h>

#include "sparse_f32.h"

namespace nnc {

void csr_rows_avx512(const Csr& w, const float* bias, const float* b, size_t ldb, int p, float* out, size_t ldo, int row0, int row1) {
    for (int o = row0; o < row1; o++) {
        float* y = out + static_cast<size_t>(o) * ldo;
        const __m512 init = _mm512_set1_ps(bias == nullptr ? 0.0f : bias[o]);
        const int e0 = w.row_ptr[o];
        const int e1 = w.row_ptr[o + 1];
        int j = 0;
        for (; j + 64 <= p; j += 64) {
            __m512 a0 = init, a1 = init, a2 = init, a3 = init;
            for (int e = e0; e < e1; e++) {
                const __m512 v = _mm512_set1_ps(w.val[e]);
                const float* s = b + static_cast<size_t>(w.col[e]) * ldb + j;
                a0 = _mm512_fmadd_ps(_mm512_loadu_ps(s), v, a0);
                a1 = _mm512_fmadd_ps(_mm512_loadu_ps(s + 16), v, a1);
                a2 = _mm512_fmadd_ps(_mm512_loadu_ps(s + 32), v, a2);
                a3 = _mm512_fmadd_ps(_mm512_loadu_ps(s + 48), v, a3);
            }
            _mm512_storeu_ps(y + j, a0);
            _mm512_storeu_ps(y + j + 16, a1);
            _mm512_storeu_ps(y + j + 32, a2);
            _mm512_storeu_ps(y + j + 48, a3);
        }
        for (; j < p; j += 16) {
            const __mmask16 m = p - j >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << (p - j)) - 1);
            __m512 a = init;
            for (int e = e0; e < e1; e++) {
                const float* s = b + static_cast<size_t>(w.col[e]) * ldb + j;
                a = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, s), _mm512_set1_ps(w.val[e]), a);
            }
            _mm512_mask_storeu_ps(y + j, m, a);
        }
    }
}

}  // namespace nnc

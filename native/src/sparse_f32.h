// Sparse fp32 kernels (CSR weight x dense rows) shared by the scalar, AVX2 and AVX-512 variants.
//
// One kernel serves both layer kinds: out[o, p] = bias[o] + sum_e val[e] * b[col[e], p] for p < P,
// the sum taken as a chain of fused multiply-adds in entry order, per output element. For a conv,
// b = im2col of one image ([C*kh*kw, OH*OW]) and out = that image's NCHW output; for a linear layer,
// b = x^T ([F, n]) and out = y^T ([O, n]). The batch (or the pixels) is the vector dimension, so
// every entry is one broadcast and a few contiguous loads and FMAs: no gathers, and each lane's
// arithmetic is exactly the Java twin's (ReferenceSparseConv.forwardCsr), in every variant.
#ifndef NNCOMPRESS_SPARSE_F32_H
#define NNCOMPRESS_SPARSE_F32_H

#include <cstddef>
#include <cstdint>

namespace nnc {

enum SparseVariant : int { kSparseScalar = 0, kSparseAvx2 = 1, kSparseAvx512 = 2 };

// A CSR weight in native memory: rows = output channels, col = tap (c*kh*kw + ky*kw + kx) or feature.
struct Csr {
    int rows;
    int cols;
    int32_t* row_ptr;  // rows + 1
    int32_t* col;      // nnz
    float* val;        // nnz
};

// Rows [row0, row1) of out (row stride ldo) over columns [0, p) of b (row stride ldb); bias may be null.
void csr_rows_scalar(const Csr& w, const float* bias, const float* b, size_t ldb, int p, float* out, size_t ldo, int row0, int row1);
void csr_rows_avx2(const Csr& w, const float* bias, const float* b, size_t ldb, int p, float* out, size_t ldo, int row0, int row1);
void csr_rows_avx512(const Csr& w, const float* bias, const float* b, size_t ldb, int p, float* out, size_t ldo, int row0, int row1);

// NCHW im2col of one image x [c, h, w] into cols [c*kh*kw, oh*ow]; padding reads +0.0.
void im2col_f32(const float* x, int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int oh, int ow, float* cols);

}  // namespace nnc

#endif

// Data movement of the int8 engine between its GEMMs: input quantisation to NHWC, int8 max-pool,
// NHWC to NCHW. Plain loops the compiler vectorises, compiled three times (moves_s8_scalar.cpp for
// generic x86-64, moves_s8_avx2.cpp, moves_s8_avx512.cpp) from moves_s8.inc; the variant runs only
// after the CPU said it has the instructions. Each call handles images [img_from, img_to).
#ifndef NNCOMPRESS_MOVES_S8_H
#define NNCOMPRESS_MOVES_S8_H

#include <cstdint>

namespace nnc {

// Max-pool window geometry over NHWC [n, h, w, c] into [n, oh, ow, c].
struct PoolShape {
    int n, h, w, c, kh, kw, stride_h, stride_w, pad_h, pad_w, oh, ow;
};

#define NNC_DECLARE_MOVES(suffix)                                                                                     \
    void quantize_nhwc_##suffix(const float* x, int img_from, int img_to, int c, int hw, float scale, int zp, int8_t* q); \
    void max_pool_s8_##suffix(const int8_t* x, const PoolShape& s, int8_t* y, int img_from, int img_to);                \
    void nhwc_to_nchw_s8_##suffix(const int8_t* x, int hw, int c, int8_t* y, int img_from, int img_to);

NNC_DECLARE_MOVES(scalar)
NNC_DECLARE_MOVES(avx2)
NNC_DECLARE_MOVES(avx512)

#undef NNC_DECLARE_MOVES

}  // namespace nnc

#endif

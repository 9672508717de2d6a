// int8 im2col for NHWC activations (generic x86-64: it only copies bytes).
#ifndef NNCOMPRESS_IM2COL_S8_H
#define NNCOMPRESS_IM2COL_S8_H

#include <cstdint>

namespace nnc {

struct ConvShape {
    int n, h, w, c, kh, kw, stride_h, stride_w, pad_h, pad_w, oh, ow;
};

// Output lines [line_from, line_to) (line = image * oh + output row) of cols [n * oh * ow, kh * kw * c],
// each row ordered (ky, kx, channel); positions in the padding read `pad`.
void im2col_s8(const int8_t* x, const ConvShape& s, int8_t pad, int8_t* cols, int line_from, int line_to);

}  // namespace nnc

#endif

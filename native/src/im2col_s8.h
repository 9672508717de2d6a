// int8 im2col for NHWC activations (generic x86-64: it only copies bytes).
#ifndef NNCOMPRESS_IM2COL_S8_H
#define NNCOMPRESS_IM2COL_S8_H

#include <cstddef>
#include <cstdint>

namespace nnc {

struct ConvShape {
    int n, h, w, c, kh, kw, stride_h, stride_w, pad_h, pad_w, oh, ow;
};

// Output lines [line_from, line_to) (line = image * oh + output row) of cols [n * oh * ow, kh * kw * c],
// each row ordered (ky, kx, channel); positions in the padding read `pad`. `cols` points at the first
// row of line `line_from` (the whole matrix, or a scratch block of a fused convolution).
// Every byte written is XORed with `flip` (0: plain codes; 0x80: shifted to unsigned for the VNNI kernel).
// False when scratch memory runs out.
bool im2col_s8(const int8_t* x, const ConvShape& s, int8_t pad, int8_t* cols, int line_from, int line_to, uint8_t flip = 0);

// Output lines per block of a fused convolution (im2col then GEMM block by block): cols of about
// 96 KB, which stay in L2 beside the packed weights between being written and read; at least one line.
static inline size_t conv_block_lines(size_t line_bytes) {
    const size_t lines = (96 * 1024) / (line_bytes == 0 ? 1 : line_bytes);
    return lines == 0 ? 1 : lines;
}

}  // namespace nnc

#endif

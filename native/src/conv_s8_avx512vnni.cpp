// AVX-512 VNNI convolution without im2col (compiled with the VNNI flags; called only when the CPU has
// them). Where a kernel row's kw * c bytes are whole 4-byte k groups (kw * c % 4 == 0), the k groups of an
// output pixel are kh runs of contiguous bytes of the NHWC input, one per kernel row: the microkernel
// (gemm_s8_avx512vnni.h) reads them in place from a padded copy of the image (shifted to unsigned, the
// padding holding the pad code), so no cols matrix is written or read. The tile's 6 rows are 6
// consecutive output pixels, which may span output lines: each row has its own start. Same products,
// summed in the same k order, same epilogue as im2col + GEMM: bit-identical.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "gemm_s8.h"
#include "gemm_s8_avx512vnni.h"
#include "im2col_s8.h"

namespace nnc {

bool conv_direct_applies(const ConvShape& s, const PackedB& b) {
    return b.variant == kAvx512Vnni && b.n > 8 && (s.kw * s.c) % 4 == 0 && b.k == s.kh * s.kw * s.c;
}

bool conv_direct_avx512vnni(const int8_t* x, const ConvShape& s, int8_t pad, const PackedB& b, const Epilogue& e, Output out,
                            int line_from, int line_to) {
    if (line_to <= line_from) return true;
    const size_t c = static_cast<size_t>(s.c);
    // padded image: rows -pad_h .. h - 1 + pad_h' and columns -pad_w .. w - 1 + pad_w' covering every window
    const int hp = (s.oh - 1) * s.stride_h + s.kh, wp = (s.ow - 1) * s.stride_w + s.kw;
    const int top = s.pad_h, left = s.pad_w;
    const size_t row_bytes = static_cast<size_t>(wp) * c;
    const size_t bytes = static_cast<size_t>(hp) * row_bytes;
    uint8_t* img = static_cast<uint8_t*>(aligned_bytes(bytes + 64));
    if (img == nullptr) return false;
    const uint8_t upad = static_cast<uint8_t>(pad) ^ 0x80;
    const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
    const int seg_groups = s.kw * s.c / 4;
    int current = -1;  // the image laid out in img
    const size_t pixels_per_image = static_cast<size_t>(s.oh) * static_cast<size_t>(s.ow);
    const size_t first = static_cast<size_t>(line_from) * s.ow, last = static_cast<size_t>(line_to) * s.ow;
    for (size_t p0 = first; p0 < last;) {
        const int im = static_cast<int>(p0 / pixels_per_image);
        if (im != current) {  // lay out the image: pad code around, codes ^ 0x80 inside
            std::memset(img, upad, bytes);
            for (int iy = 0; iy < s.h; iy++) {
                const int py = iy + top;
                if (py < 0 || py >= hp) continue;
                // input columns that land inside the padded row
                const int x0 = left < 0 ? -left : 0, x1 = min_int(s.w, wp - left);
                if (x1 <= x0) continue;
                const int8_t* src = x + ((static_cast<size_t>(im) * s.h + iy) * s.w + x0) * c;
                uint8_t* dst = img + static_cast<size_t>(py) * row_bytes + static_cast<size_t>(x0 + left) * c;
                const size_t len = static_cast<size_t>(x1 - x0) * c;
                size_t i = 0;
                for (; i + 64 <= len; i += 64) _mm512_storeu_si512(dst + i, _mm512_xor_si512(_mm512_loadu_si512(src + i), flip));
                if (i < len) {
                    const __mmask64 m = (~0ULL) >> (64 - (len - i));
                    _mm512_mask_storeu_epi8(dst + i, m, _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, src + i), flip));
                }
            }
            current = im;
        }
        // this image's pixels in the range, in tiles of 6 (the last may be shorter)
        const size_t end = std::min(last, (static_cast<size_t>(im) + 1) * pixels_per_image);
        for (int p = 0; p * kVnniPanel < b.n; p++) {
            const int w = vnni_panel_width(b.n, p);
            const int8_t* panel = b.data + static_cast<size_t>(p) * kVnniPanel * static_cast<size_t>(b.k);
            for (size_t q = p0; q < end; q += kVnniRows) {
                const int mr = static_cast<int>(std::min<size_t>(kVnniRows, end - q));
                const uint8_t* rows[kVnniRows];
                for (int r = 0; r < kVnniRows; r++) {
                    const size_t at = q + static_cast<size_t>(min_int(r, mr - 1)) - static_cast<size_t>(im) * pixels_per_image;
                    const int oy = static_cast<int>(at / s.ow), ox = static_cast<int>(at % s.ow);
                    rows[r] = img + static_cast<size_t>(oy * s.stride_h) * row_bytes + static_cast<size_t>(ox * s.stride_w) * c;
                }
                tile_fn(mr, w / 16)(rows, row_bytes, s.kh, seg_groups, panel, e, out, q - first, p * kVnniPanel, b.n);
            }
        }
        p0 = end;
    }
    free_aligned(img);
    return true;
}

}  // namespace nnc

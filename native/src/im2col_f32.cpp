// NCHW fp32 im2col of one image for the sparse conv (generic x86-64): row t = c*kh*kw + ky*kw + kx
// holds the input value each output pixel reads through tap t, +0.0 in the padding, as
// ReferenceSparseConv's tapValue. Stride-1 rows are one memcpy per output row between the padded edges.
#include <cstring>

#include "sparse_f32.h"

namespace nnc {

void im2col_f32(const float* x, int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int oh, int ow, float* cols) {
    const size_t p = static_cast<size_t>(oh) * ow;
    for (int ch = 0; ch < c; ch++) {
        const float* plane = x + static_cast<size_t>(ch) * h * w;
        for (int ky = 0; ky < kh; ky++) {
            for (int kx = 0; kx < kw; kx++) {
                float* row = cols + ((static_cast<size_t>(ch) * kh + ky) * kw + kx) * p;
                for (int oy = 0; oy < oh; oy++) {
                    float* dst = row + static_cast<size_t>(oy) * ow;
                    const int iy = oy * sh + ky - ph;
                    if (iy < 0 || iy >= h) {
                        std::memset(dst, 0, sizeof(float) * ow);
                        continue;
                    }
                    const float* src = plane + static_cast<size_t>(iy) * w;
                    if (sw == 1) {
                        // valid ox: 0 <= ox + kx - pw < w
                        int lo = pw - kx > 0 ? pw - kx : 0;
                        int hi = w + pw - kx < ow ? w + pw - kx : ow;
                        if (hi < lo) hi = lo;
                        if (lo > 0) std::memset(dst, 0, sizeof(float) * lo);
                        if (hi > lo) std::memcpy(dst + lo, src + lo + kx - pw, sizeof(float) * (hi - lo));
                        if (ow > hi) std::memset(dst + hi, 0, sizeof(float) * (ow - hi));
                    } else {
                        for (int ox = 0; ox < ow; ox++) {
                            const int ix = ox * sw + kx - pw;
                            dst[ox] = ix < 0 || ix >= w ? 0.0f : src[ix];
                        }
                    }
                }
            }
        }
    }
}

}  // namespace nnc

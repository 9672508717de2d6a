#include "im2col_s8.h"

#include <cstddef>
#include <cstring>

namespace nnc {

void im2col_s8(const int8_t* x, const ConvShape& s, int8_t pad, int8_t* cols, int line_from, int line_to) {
    const size_t c = static_cast<size_t>(s.c);
    const size_t span = static_cast<size_t>(s.kw) * c;  // one kernel row: kw pixels of c channels
    const size_t row_len = static_cast<size_t>(s.kh) * span;
    for (int line = line_from; line < line_to; line++) {
        const int b = line / s.oh, oy = line % s.oh;
        for (int ox = 0; ox < s.ow; ox++) {
            int8_t* row = cols + (static_cast<size_t>(line) * s.ow + ox) * row_len;
            const int ix0 = ox * s.stride_w - s.pad_w;
            // kernel columns kx in [lo, hi) read inside the image; the pixels of one kernel row are
            // contiguous in NHWC, so each row is one copy between two runs of padding
            int lo = ix0 < 0 ? -ix0 : 0;
            int hi = s.w - ix0 < s.kw ? s.w - ix0 : s.kw;
            if (lo > s.kw) lo = s.kw;
            if (hi < lo) hi = lo;
            for (int ky = 0; ky < s.kh; ky++) {
                int8_t* dst = row + static_cast<size_t>(ky) * span;
                const int iy = oy * s.stride_h - s.pad_h + ky;
                if (iy < 0 || iy >= s.h) {
                    std::memset(dst, pad, span);
                    continue;
                }
                std::memset(dst, pad, static_cast<size_t>(lo) * c);
                if (hi > lo) {
                    const int8_t* src = x + ((static_cast<size_t>(b) * s.h + iy) * s.w + static_cast<size_t>(ix0 + lo)) * c;
                    std::memcpy(dst + static_cast<size_t>(lo) * c, src, static_cast<size_t>(hi - lo) * c);
                }
                std::memset(dst + static_cast<size_t>(hi) * c, pad, static_cast<size_t>(s.kw - hi) * c);
            }
        }
    }
}

}  // namespace nnc

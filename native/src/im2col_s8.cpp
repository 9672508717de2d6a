// NHWC int8 im2col by padded input rows: for each output line, the kh input rows it reads are first
// laid out with their padding (pad value left and right of the image), so that every kernel row of
// every output position is one branch-free copy of kw * c contiguous bytes. Small copies are whole
// 8- or 16-byte moves that may run past their end into bytes written next (never past the call's last
// byte): a 3x3 one-channel conv copies 3 bytes per kernel row, where a libc call or a byte loop per
// piece would cost more than the copy itself.
#include "im2col_s8.h"

#include <cstring>

#include "gemm_s8.h"

namespace nnc {

namespace {

// Copies n bytes; when `room` (bytes writable from d, all written again later) and the source allow,
// in whole 8/16-byte moves. The source rows have kSlack readable bytes after their end.
constexpr size_t kSlack = 16;

inline void copy_span(int8_t* d, const int8_t* s, size_t n, size_t room) {
    if (n <= 8 && room >= 8) {
        std::memcpy(d, s, 8);
    } else if (n <= 16 && room >= 16) {
        std::memcpy(d, s, 16);
    } else if (n <= 32 && room >= 32) {
        std::memcpy(d, s, 16);
        std::memcpy(d + 16, s + 16, 16);
    } else {
        std::memcpy(d, s, n);
    }
}

}  // namespace

bool im2col_s8(const int8_t* x, const ConvShape& s, int8_t pad, int8_t* cols, int line_from, int line_to) {
    if (line_to <= line_from || s.ow <= 0) return true;
    const size_t c = static_cast<size_t>(s.c);
    const size_t span = static_cast<size_t>(s.kw) * c;  // one kernel row: kw pixels of c channels
    const size_t row_len = static_cast<size_t>(s.kh) * span;
    // input positions -pad_w .. (ow - 1) * stride_w - pad_w + kw - 1 of one padded row
    const int first = -s.pad_w;
    const int count = (s.ow - 1) * s.stride_w + s.kw;
    const size_t padded = static_cast<size_t>(count) * c;
    const size_t stride = round_up(static_cast<int>(padded + kSlack), 64);
    // kh padded rows plus one row wholly of padding (kernel rows above or below the image)
    int8_t* rows = static_cast<int8_t*>(aligned_bytes(stride * static_cast<size_t>(s.kh + 1)));
    if (rows == nullptr) return false;
    int8_t* pad_row = rows + stride * static_cast<size_t>(s.kh);
    std::memset(pad_row, pad, stride);
    // padded positions [0, lo) lie left of the image, [lo, hi) inside it, [hi, count) right of it
    const int lo = first < 0 ? min_int(-first, count) : 0;
    int hi = min_int(s.w - first, count);
    if (hi < lo) hi = lo;
    const int8_t* src_rows[64];
    const int8_t** src = s.kh <= 64 ? src_rows : new const int8_t*[static_cast<size_t>(s.kh)];
    int8_t* end = cols + static_cast<size_t>(line_to - line_from) * static_cast<size_t>(s.ow) * row_len;
    for (int line = line_from; line < line_to; line++) {
        const int b = line / s.oh, oy = line % s.oh;
        for (int ky = 0; ky < s.kh; ky++) {
            const int iy = oy * s.stride_h - s.pad_h + ky;
            if (iy < 0 || iy >= s.h) {
                src[ky] = pad_row;
                continue;
            }
            int8_t* r = rows + stride * static_cast<size_t>(ky);
            const int8_t* in = x + (static_cast<size_t>(b) * s.h + iy) * s.w * c;
            std::memset(r, pad, static_cast<size_t>(lo) * c);
            std::memcpy(r + static_cast<size_t>(lo) * c, in + static_cast<size_t>(first + lo) * c, static_cast<size_t>(hi - lo) * c);
            std::memset(r + static_cast<size_t>(hi) * c, pad, static_cast<size_t>(count - hi) * c + kSlack);
            src[ky] = r;
        }
        int8_t* out = cols + static_cast<size_t>(line - line_from) * static_cast<size_t>(s.ow) * row_len;
        const size_t step = static_cast<size_t>(s.stride_w) * c;
        for (int ox = 0; ox < s.ow; ox++) {
            const size_t at = static_cast<size_t>(ox) * step;
            for (int ky = 0; ky < s.kh; ky++, out += span) copy_span(out, src[ky] + at, span, static_cast<size_t>(end - out));
        }
    }
    if (src != src_rows) delete[] src;
    free_aligned(rows);
    return true;
}

}  // namespace nnc

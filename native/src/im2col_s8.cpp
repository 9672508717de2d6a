// NHWC int8 im2col by padded input rows: for each output line, the kh input rows it reads are first
// laid out with their padding (pad value left and right of the image), so that every kernel row of
// every output position is one copy of kw * c contiguous bytes. Copies of up to 32 bytes are whole
// 8-byte moves (the width chosen once per line) that may run past their piece into bytes written next
// (never past the call's last byte): a 3x3 one-channel conv copies 3 bytes per kernel row, where a libc
// call or a byte loop per piece would cost more than the copy itself.
#include "im2col_s8.h"

#include <cstring>

#include "gemm_s8.h"

namespace nnc {

namespace {

// The source rows have kSlack readable bytes after their end.
constexpr size_t kSlack = 32;

// One output row (kh kernel rows of `span` bytes) in whole W-byte moves (W = 8, 16 or 32 >= span), each
// running past its piece into bytes written next; W = 0: exact copies.
template <size_t W>
inline void copy_row(int8_t* out, const int8_t* const* src, int kh, size_t at, size_t span) {
    for (int ky = 0; ky < kh; ky++, out += span) {
        if constexpr (W == 0) {
            std::memcpy(out, src[ky] + at, span);
        } else {
            for (size_t i = 0; i < W; i += 8) std::memcpy(out + i, src[ky] + at + i, 8);
        }
    }
}

// Output rows [0, ow) of one line: whole-word moves while at least W bytes of this call remain
// writable after the row's start (they are all written again later), exact copies after that.
template <size_t W>
inline void copy_line(int8_t* out, const int8_t* const* src, const ConvShape& s, size_t span, size_t row_len, const int8_t* end) {
    const size_t step = static_cast<size_t>(s.stride_w) * static_cast<size_t>(s.c);
    int ox = 0;
    for (; ox < s.ow && static_cast<size_t>(end - out) >= row_len + W; ox++, out += row_len) copy_row<W>(out, src, s.kh, ox * step, span);
    for (; ox < s.ow; ox++, out += row_len) copy_row<0>(out, src, s.kh, ox * step, span);
}

}  // namespace

bool im2col_s8(const int8_t* x, const ConvShape& s, int8_t pad_code, int8_t* cols, int line_from, int line_to, uint8_t flip) {
    const int8_t pad = static_cast<int8_t>(static_cast<uint8_t>(pad_code) ^ flip);
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
            int8_t* inside = r + static_cast<size_t>(lo) * c;
            const int8_t* from = in + static_cast<size_t>(first + lo) * c;
            const size_t len = static_cast<size_t>(hi - lo) * c;
            if (flip == 0) {
                std::memcpy(inside, from, len);
            } else {
                for (size_t i = 0; i < len; i++) inside[i] = static_cast<int8_t>(static_cast<uint8_t>(from[i]) ^ flip);
            }
            std::memset(r + static_cast<size_t>(hi) * c, pad, static_cast<size_t>(count - hi) * c + kSlack);
            src[ky] = r;
        }
        int8_t* out = cols + static_cast<size_t>(line - line_from) * static_cast<size_t>(s.ow) * row_len;
        if (span <= 8) copy_line<8>(out, src, s, span, row_len, end);
        else if (span <= 16) copy_line<16>(out, src, s, span, row_len, end);
        else if (span <= 32) copy_line<32>(out, src, s, span, row_len, end);
        else copy_line<0>(out, src, s, span, row_len, end);
    }
    if (src != src_rows) delete[] src;
    free_aligned(rows);
    return true;
}

}  // namespace nnc

// AVX-512 VNNI convolution without im2col (compiled with the VNNI flags; called only when the CPU has
// them). The k groups of an output pixel are kh runs of contiguous bytes of the NHWC input, one per kernel
// row (padded to whole 4-byte groups by zero weights where kw * c is not a multiple of 4): the microkernel
// (gemm_s8_avx512vnni.h) reads them in place from a padded copy of the image (shifted to unsigned, the
// padding holding the pad code), so no cols matrix is written or read. The tile's 6 rows are 6
// consecutive output pixels, which may span output lines: each row has its own start. Same products,
// summed in the same k order, same epilogue as im2col + GEMM: bit-identical.
//
// conv_direct_pool_avx512vnni fuses a max-pool whose windows tile the conv output (stride = window, no
// padding): a few pooled lines at a time, the conv lines under them go to a scratch block that stays in
// L1 and are pooled from there, so the full conv output never goes through memory. The max of the
// codes is taken after requantisation, exactly what the unfused conv then max-pool computes.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "gemm_s8.h"
#include "gemm_s8_avx512vnni.h"
#include "im2col_s8.h"

namespace nnc {

bool conv_direct_applies(const ConvShape& s, const PackedB& b) {
    return b.variant == kAvx512Vnni && b.n > 8 && b.k == s.kh * s.kw * s.c;
}

namespace {

// Where a kernel row's kw * c bytes are not whole 4-byte k groups (a one-channel 3x3 conv: 3 bytes), the weights
// are repacked per call with each kernel row padded by zero weights to whole groups: the tiles then read a few bytes
// past the window (the next pixel's, or the padded image's slack), which multiply 0. The sums, the weight sums
// behind the epilogue's correction and so the results are those of the unpadded weights.
class RowPaddedWeights {
public:
    RowPaddedWeights(const ConvShape& s, const PackedB& b) : packed_{b.variant, b.n, 0, nullptr, 0, nullptr, nullptr}, use_(&b) {
        const int row = s.kw * s.c, padded = round_up(row, 4);
        if (row == padded) return;
        packed_.k = s.kh * padded;
        int8_t* plain = static_cast<int8_t*>(aligned_bytes(static_cast<size_t>(b.n) * packed_.k));
        if (plain == nullptr) {
            use_ = nullptr;
            return;
        }
        std::memset(plain, 0, static_cast<size_t>(b.n) * packed_.k);
        for (int j = 0; j < b.n; j++) {
            for (int ky = 0; ky < s.kh; ky++) {
                std::memcpy(plain + static_cast<size_t>(j) * packed_.k + static_cast<size_t>(ky) * padded,
                            b.plain + static_cast<size_t>(j) * b.k + static_cast<size_t>(ky) * row, static_cast<size_t>(row));
            }
        }
        use_ = pack_avx512vnni(plain, packed_) ? &packed_ : nullptr;
        free_aligned(plain);
    }
    ~RowPaddedWeights() { free_aligned(packed_.data); }
    RowPaddedWeights(const RowPaddedWeights&) = delete;
    RowPaddedWeights& operator=(const RowPaddedWeights&) = delete;

    // The weights to run (b itself where its rows are whole groups); null when memory ran out.
    const PackedB* get() const { return use_; }

private:
    PackedB packed_;
    const PackedB* use_;
};

// One image at a time laid out padded and shifted to unsigned: rows -pad_h .. covering every window,
// columns -pad_w .. likewise; the padding holds the pad code ^ 0x80.
class PaddedImage {
public:
    PaddedImage(const ConvShape& s, int8_t pad) : s_(s), pad_(static_cast<uint8_t>(pad) ^ 0x80) {
        const int hp = (s.oh - 1) * s.stride_h + s.kh, wp = (s.ow - 1) * s.stride_w + s.kw;
        row_bytes_ = static_cast<size_t>(wp) * static_cast<size_t>(s.c);
        bytes_ = static_cast<size_t>(hp) * row_bytes_;
        hp_ = hp;
        wp_ = wp;
        data_ = static_cast<uint8_t*>(aligned_bytes(bytes_ + 64));
    }
    ~PaddedImage() { free_aligned(data_); }
    PaddedImage(const PaddedImage&) = delete;
    PaddedImage& operator=(const PaddedImage&) = delete;

    bool ok() const { return data_ != nullptr; }
    size_t row_bytes() const { return row_bytes_; }

    // Image `im` of x laid out (nothing to do when it already is).
    void load(const int8_t* x, int im) {
        if (im == current_) return;
        // every image writes the same interior, so the padding set once stays (and the slack that row-padded
        // weights read, times zero weights)
        if (current_ < 0) std::memset(data_, pad_, bytes_ + 64);
        const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
        const size_t c = static_cast<size_t>(s_.c);
        const int top = s_.pad_h, left = s_.pad_w;
        for (int iy = 0; iy < s_.h; iy++) {
            const int py = iy + top;
            if (py < 0 || py >= hp_) continue;
            // input columns that land inside the padded row
            const int x0 = left < 0 ? -left : 0, x1 = min_int(s_.w, wp_ - left);
            if (x1 <= x0) continue;
            const int8_t* src = x + ((static_cast<size_t>(im) * s_.h + iy) * s_.w + x0) * c;
            uint8_t* dst = data_ + static_cast<size_t>(py) * row_bytes_ + static_cast<size_t>(x0 + left) * c;
            const size_t len = static_cast<size_t>(x1 - x0) * c;
            size_t i = 0;
            for (; i + 64 <= len; i += 64) _mm512_storeu_si512(dst + i, _mm512_xor_si512(_mm512_loadu_si512(src + i), flip));
            if (i < len) {
                const __mmask64 m = (~0ULL) >> (64 - (len - i));
                _mm512_mask_storeu_epi8(dst + i, m, _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, src + i), flip));
            }
        }
        current_ = im;
    }

    // Output pixels [q0, q1) of the loaded image (q = oy * ow + ox) into out rows from `out_row`, in tiles
    // of 6 (the last may be shorter), every B panel.
    void run(const PackedB& b, const Epilogue& e, Output out, size_t q0, size_t q1, size_t out_row) const {
        const int seg_groups = round_up(s_.kw * s_.c, 4) / 4;  // b's k groups per kernel row (row-padded weights)
        for (int p = 0; p * kVnniPanel < b.n; p++) {
            const int w = vnni_panel_width(b.n, p);
            const int8_t* panel = b.data + static_cast<size_t>(p) * kVnniPanel * static_cast<size_t>(b.k);
            // the tile's first pixel by one division, the others stepped from it (a division per row cost
            // as much as the multiply-adds of a small conv's tile)
            int oy = static_cast<int>(q0 / s_.ow), ox = static_cast<int>(q0 % s_.ow);
            for (size_t q = q0; q < q1; q += kVnniRows) {
                const int mr = static_cast<int>(std::min<size_t>(kVnniRows, q1 - q));
                const uint8_t* rows[kVnniRows];
                for (int r = 0; r < kVnniRows; r++) {
                    if (r < mr) {
                        rows[r] = data_ + static_cast<size_t>(oy * s_.stride_h) * row_bytes_ + static_cast<size_t>(ox * s_.stride_w) * s_.c;
                        if (++ox == s_.ow) {
                            ox = 0;
                            oy++;
                        }
                    } else {
                        rows[r] = rows[mr - 1];
                    }
                }
                tile_fn(mr, w / 16)(rows, row_bytes_, s_.kh, seg_groups, panel, e, out, out_row + (q - q0), p * kVnniPanel, b.n);
            }
        }
    }

private:
    const ConvShape& s_;
    uint8_t pad_;
    size_t row_bytes_ = 0, bytes_ = 0;
    int hp_ = 0, wp_ = 0;
    uint8_t* data_ = nullptr;
    int current_ = -1;
};

// Max of codes over one pooling window: `kh` rows of `kw` pixels of n channels, rows `line` pixels apart.
inline void pool_window(const int8_t* first, int kh, int kw, size_t line, int n, int8_t* out) {
    for (int c0 = 0; c0 < n; c0 += 64) {
        const int left = n - c0;
        const __mmask64 m = left >= 64 ? ~0ULL : (~0ULL) >> (64 - left);
        __m512i acc = _mm512_set1_epi8(-128);
        for (int ky = 0; ky < kh; ky++) {
            const int8_t* row = first + static_cast<size_t>(ky) * line * n + c0;
            for (int kx = 0; kx < kw; kx++) acc = _mm512_max_epi8(acc, _mm512_maskz_loadu_epi8(m, row + static_cast<size_t>(kx) * n));
        }
        _mm512_mask_storeu_epi8(out + c0, m, acc);
    }
}

constexpr size_t kPoolScratchBytes = 16 * 1024;  // conv lines under a few pooled lines: stays in L1

}  // namespace

bool conv_direct_avx512vnni(const int8_t* x, const ConvShape& s, int8_t pad, const PackedB& b, const Epilogue& e, Output out,
                            int line_from, int line_to) {
    if (line_to <= line_from) return true;
    PaddedImage img(s, pad);
    RowPaddedWeights w(s, b);
    if (!img.ok() || w.get() == nullptr) return false;
    const size_t pixels_per_image = static_cast<size_t>(s.oh) * static_cast<size_t>(s.ow);
    const size_t first = static_cast<size_t>(line_from) * s.ow, last = static_cast<size_t>(line_to) * s.ow;
    for (size_t p0 = first; p0 < last;) {
        const int im = static_cast<int>(p0 / pixels_per_image);
        img.load(x, im);
        // this image's pixels in the range (tiles may span its output lines)
        const size_t base = static_cast<size_t>(im) * pixels_per_image;
        const size_t end = std::min(last, base + pixels_per_image);
        img.run(*w.get(), e, out, p0 - base, end - base, p0 - first);
        p0 = end;
    }
    return true;
}

bool conv_pool_applies(const ConvShape& s, const PackedB& b, int mode, const PoolWindow& p) {
    return mode == kS8 && conv_direct_applies(s, b) && p.kh >= 1 && p.kw >= 1 && p.kh <= s.oh && p.kw <= s.ow;
}

bool conv_direct_pool_avx512vnni(const int8_t* x, const ConvShape& s, int8_t pad, const PackedB& b, const Epilogue& e,
                                 const PoolWindow& p, int8_t* out, int pooled_from, int pooled_to) {
    if (pooled_to <= pooled_from) return true;
    const int n = b.n, poh = s.oh / p.kh, pw = s.ow / p.kw;
    const size_t line_bytes = static_cast<size_t>(p.kh) * static_cast<size_t>(s.ow) * static_cast<size_t>(n);  // one pooled line's conv lines
    // pooled lines per step: as many as the scratch block holds, fewer where that makes the step's pixels whole
    // tiles of 6 (the teacher: 3 pooled lines of 2 x 28 or 2 x 14 pixels, not 4 with a 2-row tail tile)
    int group = static_cast<int>(std::max<size_t>(1, kPoolScratchBytes / line_bytes));
    for (int g = group; g > group / 2; g--) {
        if ((static_cast<size_t>(g) * p.kh * s.ow) % kVnniRows == 0) {
            group = g;
            break;
        }
    }
    PaddedImage img(s, pad);
    RowPaddedWeights w(s, b);
    int8_t* scratch = static_cast<int8_t*>(aligned_bytes(static_cast<size_t>(group) * line_bytes));
    if (!img.ok() || w.get() == nullptr || scratch == nullptr) {
        free_aligned(scratch);
        return false;
    }
    for (int pl = pooled_from; pl < pooled_to;) {
        const int im = pl / poh, py0 = pl % poh;
        const int lines = min_int(group, min_int(poh - py0, pooled_to - pl));  // pooled lines of this image in this step
        img.load(x, im);
        const size_t q0 = static_cast<size_t>(py0) * p.kh * s.ow, q1 = q0 + static_cast<size_t>(lines) * p.kh * s.ow;
        img.run(*w.get(), e, Output{scratch, n}, q0, q1, 0);
        for (int l = 0; l < lines; l++) {
            int8_t* dst = out + (static_cast<size_t>(pl - pooled_from + l) * pw) * n;
            const int8_t* src = scratch + static_cast<size_t>(l) * line_bytes;
            for (int px = 0; px < pw; px++) pool_window(src + static_cast<size_t>(px) * p.kw * n, p.kh, p.kw, s.ow, n, dst + static_cast<size_t>(px) * n);
        }
        pl += lines;
    }
    free_aligned(scratch);
    return true;
}

}  // namespace nnc

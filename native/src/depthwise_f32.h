// Depthwise convolution forward (groups == C, weight [C*M, 1, kh, kw], M the channel multiplier), fp32,
// NCHW, any stride, dilation and (asymmetric) padding: the arithmetic of the Java route
// backend.cpu.CpuDepthwiseConv step for step (bias first, then w * x added tap by tap in (ky, kx) order,
// float, no fused multiply-add), so every variant is bit-identical to it. Plain loops the compiler
// vectorises, compiled three times (depthwise_f32_scalar.cpp for generic x86-64, _avx2, _avx512) from
// depthwise_f32.inc; a variant runs only after the CPU said it has the instructions.
//
// Layout (as CpuDepthwiseConv's): the zero-padded plane (hp x wp) is split into sh * sw phase planes of
// hq x wq (hq = ceil(hp / sh), wq = ceil(wp / sw)); phase (py, px) holds padded rows py, py + sh, ... and
// columns px, px + sw, .... Output (oy, ox) reads tap (ky, kx) at phase ((ky*dh) % sh, (kx*dw) % sw),
// row oy + (ky*dh) / sh, column ox + (kx*dw) / sw. Over the grid of oh x wq cells (the columns past ow
// are discarded) every tap is one contiguous shifted range of one phase: a stride-2 conv becomes as
// contiguous as a stride-1 one, and a 3x3 output cell is nine loads at fixed offsets.
#ifndef NNCOMPRESS_DEPTHWISE_F32_H
#define NNCOMPRESS_DEPTHWISE_F32_H

#include <cstddef>
#include <cstdint>

namespace nnc {

// Most taps (kh * kw) a kernel may have here; larger windows take the Java route.
constexpr int kDwMaxTaps = 1024;

// One call's geometry; the JNI entry point has checked it (sizes >= 1, kh * kw <= kDwMaxTaps, pads below the
// dilated kernel extent, oh/ow as the Java side computes them, every size in int range).
struct DwShape {
    int c, h, w, mult, kh, kw, sh, sw, pt, pl, pb, pr, dh, dw, oh, ow;
};

// Phase-plane geometry derived from a DwShape; `floats` is the scratch a call needs.
struct DwLayout {
    int64_t hq, wq, plane, grid, buffer, floats;
};

static inline DwLayout dw_layout(const DwShape& s) {
    DwLayout l;
    const int64_t hp = static_cast<int64_t>(s.h) + s.pt + s.pb, wp = static_cast<int64_t>(s.w) + s.pl + s.pr;
    l.hq = (hp + s.sh - 1) / s.sh;
    l.wq = (wp + s.sw - 1) / s.sw;
    l.plane = l.hq * l.wq;
    l.grid = static_cast<int64_t>(s.oh) * l.wq;
    // the grid's discarded columns of the last rows read up to the largest tap shift past the last phase
    const int64_t max_shift = (static_cast<int64_t>(s.kh - 1) * s.dh / s.sh) * l.wq + static_cast<int64_t>(s.kw - 1) * s.dw / s.sw;
    l.buffer = static_cast<int64_t>(s.sh) * s.sw * l.plane + max_shift + 16;
    l.floats = l.buffer + l.grid + 16;
    return l;
}

// Planes [from, to) (plane = image * c + input channel) of y [n, c*M, oh, ow] from x [n, c, h, w];
// bias may be null; scratch holds dw_layout(s).floats floats.
#define NNC_DECLARE_DEPTHWISE(suffix)                                                                                          \
    void depthwise_f32_##suffix(const float* x, const float* wt, const float* bias, float* y, const DwShape& s, int64_t from, \
                                int64_t to, float* scratch);

NNC_DECLARE_DEPTHWISE(scalar)
NNC_DECLARE_DEPTHWISE(avx2)
NNC_DECLARE_DEPTHWISE(avx512)

#undef NNC_DECLARE_DEPTHWISE

}  // namespace nnc

#endif

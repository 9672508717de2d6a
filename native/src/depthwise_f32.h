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
    int n, c, h, w, mult, kh, kw, sh, sw, pt, pl, pb, pr, dh, dw, oh, ow;
};

// Floats of one block's phase planes: the block's planes, accumulator grid and taps stay in L1/L2
// (CpuDepthwiseConv's measured budget).
constexpr int64_t kDwBlockFloats = 4096;

// Phase-plane geometry derived from a DwShape for blocks of `images` images of one channel (their planes
// one after another within each phase, so that a tap is one contiguous range over the whole block: small
// planes such as 4x4 or 2x2 still give long vector loops); `floats` is the scratch a call needs.
struct DwLayout {
    int64_t hq, wq, plane, images, phase_stride, buffer, floats;
};

static inline DwLayout dw_layout(const DwShape& s) {
    DwLayout l;
    const int64_t hp = static_cast<int64_t>(s.h) + s.pt + s.pb, wp = static_cast<int64_t>(s.w) + s.pl + s.pr;
    l.hq = (hp + s.sh - 1) / s.sh;
    l.wq = (wp + s.sw - 1) / s.sw;
    l.plane = l.hq * l.wq;
    const int64_t phases = static_cast<int64_t>(s.sh) * s.sw;
    l.images = kDwBlockFloats / (phases * l.plane);
    if (l.images > s.n) l.images = s.n;
    if (l.images < 1) l.images = 1;
    l.phase_stride = l.images * l.plane;
    // the grid's discarded rows and columns of the last image read up to the largest tap shift past the last phase
    const int64_t max_shift = (static_cast<int64_t>(s.kh - 1) * s.dh / s.sh) * l.wq + static_cast<int64_t>(s.kw - 1) * s.dw / s.sw;
    l.buffer = phases * l.phase_stride + max_shift + 16;
    l.floats = l.buffer + l.phase_stride + 16;  // the accumulator grid: one cell per phase-plane position of the block
    return l;
}

// Planes [from, to) in channel-major order (plane = input channel * n + image) of y [n, c*M, oh, ow] from
// x [n, c, h, w], in blocks of up to layout.images images of one channel; bias may be null; scratch holds
// dw_layout(s).floats floats.
#define NNC_DECLARE_DEPTHWISE(suffix)                                                                                          \
    void depthwise_f32_##suffix(const float* x, const float* wt, const float* bias, float* y, const DwShape& s, int64_t from, \
                                int64_t to, float* scratch);

NNC_DECLARE_DEPTHWISE(scalar)
NNC_DECLARE_DEPTHWISE(avx2)
NNC_DECLARE_DEPTHWISE(avx512)

#undef NNC_DECLARE_DEPTHWISE

}  // namespace nnc

#endif

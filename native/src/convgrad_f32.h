// The weight, bias and input gradients of a stride-1 fp32 conv (convgrad_f32_avx512.cpp, convgrad_input_f32_avx512.cpp, JNI in jni_convgrad.cpp), for
// training's backward: dW[o][c][ky][kx] = sum over images and output pixels of x * dy, db[o] = sum of dy.
// Behind backend.cpu.NativeConvGrad.
#ifndef NNCOMPRESS_CONVGRAD_F32_H
#define NNCOMPRESS_CONVGRAD_F32_H

#include <cstdint>

namespace nnc {

// Ints in the JNI geometry array, in ConvGrad's order after n: n, c, h, w, o, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, oh, ow.
constexpr int kGradInts = 17;

struct ConvGrad {
    // input c x h x w, output o x oh x ow; kernel kh x kw, dilation, pads top/left/bottom/right; stride 1 only
    int c, h, w, o, kh, kw, dh, dw, pt, pl, pb, pr, oh, ow;
};

// Floats of one part's accumulator (o * c * kh * kw weight sums in OIHW order, then o bias sums).
int64_t convgrad_acc_floats(const ConvGrad& g);

// Floats of one thread's scratch for images [from, to) (a block of zero-bordered copies of x and dy).
int64_t convgrad_scratch_floats(const ConvGrad& g, int images);

// acc (convgrad_acc_floats) = the sums over images [from, to) of x [n, c, h, w] and dy [n, o, oh, ow] (NCHW both).
// scratch: convgrad_scratch_floats(g, to - from) floats, 64-byte aligned, this thread's alone. AVX-512F only.
void convgrad_f32_avx512(const float* x, const float* dy, const ConvGrad& g, int from, int to, float* acc, float* scratch);

// dw (OIHW) and db (nullptr: not wanted) = the sums over parts of the part accumulators (parts of acc_floats each), in part order.
void convgrad_reduce(const float* acc, int parts, const ConvGrad& g, float* dw, float* db);

// Floats of one thread's scratch for convgrad_input_f32_avx512.
int64_t convgrad_input_scratch_floats(const ConvGrad& g);

// Images [from, to) of dx [n, c, h, w] = the input gradient of dy [n, o, oh, ow] through w [o, c, kh, kw] (NCHW, OIHW):
// a direct conv of dy with the flipped taps, output pixels as the vector lanes. mask (nullptr: none): the conv's input x
// [n, c, h, w]; dx is zeroed where x <= 0 (x a ReLU's output: the ReLU's backward in the same pass). scratch:
// convgrad_input_scratch_floats(g) floats, 64-byte aligned, this thread's alone. AVX-512F only.
void convgrad_input_f32_avx512(const float* dy, const float* w, const float* mask, float* dx, const ConvGrad& g, int from, int to, float* scratch);

}  // namespace nnc

#endif

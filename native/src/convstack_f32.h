// A stack of fp32 conv stages run image by image in NHWC (convstack_f32_avx512.cpp, JNI in jni_convstack.cpp):
// each stage is conv + bias [+ ReLU] [+ max-pool], the next stage reads the previous one's output straight from a
// padded NHWC buffer that stays in cache, and only the stack's edges see NCHW (the input image is transposed in,
// the last stage's output transposed out). Behind backend.cpu.NativeConvStack (graph.ConvStacks plans the stacks).
#ifndef NNCOMPRESS_CONVSTACK_F32_H
#define NNCOMPRESS_CONVSTACK_F32_H

#include <cstdint>

namespace nnc {

// Ints per stage in the JNI geometry array, in this order.
constexpr int kStageInts = 23;
// At most this many stages per stack (the Java planner splits longer runs), and kh * kw taps per stage.
constexpr int kMaxStages = 16;
constexpr int kMaxTaps = 1024;

struct ConvStage {
    // conv: input c x h x w, output o x oh x ow; kernel kh x kw, stride, dilation, pads top/left/bottom/right
    int c, h, w, o, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, oh, ow;
    int relu;                // 1: max(0, y) after the bias
    int pkh, pkw, psh, psw;  // max-pool window and stride over the conv output, no padding, floor; pkh == 0: none
    int ph, pw;              // pooled size (oh, ow without a pool)
    // filled by the kernel's planning, not by the caller:
    int64_t opad;            // o rounded up to 16 (the packed weights' row length)
    int winograd_m = 0;      // Winograd F(m x m, 3 x 3) output tile (2 or 4), 0: the direct conv; its region then
                             // takes the packed weights' place (convstack_winograd_avx512.cpp)
};

// Winograd F(m x m, 3 x 3) for 3x3 stride-1 dilation-1 stages (convstack_winograd_avx512.cpp, AVX-512F only).
// winograd_tile: the m a stage runs (0: the direct conv; chosen from its geometry, where it measured faster);
// winograd_floats: the size of the region of a stage with winograd_m set (transformed weights, tile buffers);
// winograd_prepare: transforms the OIHW weights into it, once per call; winograd_conv_image: the direct conv's
// contract (padded NHWC input of row length wp; bias opad floats; out pixel (y, x) to dst + (y * dst_row + x) * o).
// winograd_enable(false): every stage planned after it runs direct (tests and benchmarks compare the two).
int winograd_tile(const ConvStage& s);
int64_t winograd_floats(const ConvStage& s);
void winograd_prepare(const ConvStage& s, const float* w, float* region);
void winograd_conv_image(const ConvStage& s, const float* in, int64_t wp, float* region, const float* bias, float* dst, int64_t dst_row);
void winograd_enable(bool on);

// Where one thread's buffers for a stack lie, in floats from the start of its scratch block.
struct StackLayout {
    int64_t padded_in[kMaxStages];  // each stage's zero-bordered NHWC input
    int64_t conv_out[kMaxStages];   // each pooled stage's NHWC conv output (-1: none)
    int64_t packed_w[kMaxStages];   // each stage's weights, [kh][kw][c][opad] (or its Winograd region)
    int64_t bias[kMaxStages];       // each stage's bias, opad floats (zeros past o, or all zeros without a bias)
    int64_t last_out;               // the last stage's NHWC output
    int64_t last_idx;               // the last stage's NHWC pool argmax (written only when asked for)
    int64_t floats;                 // total
};

// Sizes each buffer (setting opad); false when some size passes 2^40 floats.
bool convstack_layout(ConvStage* stages, int count, StackLayout* layout);

// Images [from, to) of y = stack(x): x [n, c0, h0, w0] and y [n, o_last, ph_last, pw_last] NCHW; weights[i] OIHW,
// bias[i] or nullptr. scratch: layout.floats floats, 64-byte aligned, this thread's alone. AVX-512F only.
// argmax (nullptr: none; training forward): y-shaped, gets the last stage's pool argmax as backend.cpu.ReluMaxArgmax
// records it; the caller guarantees that stage has a ReLU and a 2x2 stride-2 pool.
void convstack_f32_avx512(const float* x, float* y, const ConvStage* stages, int count, const float* const* weights,
                          const float* const* bias, int from, int to, float* scratch, const StackLayout& layout, float* argmax);

}  // namespace nnc

#endif

// Shared declarations of the int8 GEMM variants (scalar, AVX2, AVX-512 VNNI).
//
// Every helper defined in this header is `static inline`: the variants are compiled with different
// -m flags, and a helper with external linkage could be merged by the linker into one copy compiled
// for AVX-512, which would then crash the scalar path on an older CPU.
#ifndef NNCOMPRESS_GEMM_S8_H
#define NNCOMPRESS_GEMM_S8_H

#include <cstddef>
#include <cstdint>

namespace nnc {

enum Variant : int { kScalar = 0, kAvx2 = 1, kAvx512Vnni = 2 };
enum Mode : int { kS32 = 0, kF32 = 1, kS8 = 2 };

// B [n, k] prepared once by one variant's pack; `data` is 64-byte aligned, in that variant's layout.
struct PackedB {
    int variant;
    int n;
    int k;
    int8_t* data;
    size_t bytes;
    // row_sum_bias(variant) * sum_k B[c, k] per column c (wrapping), padded_columns(n) entries
    int32_t* variant_corr;
    // B [n, k] as given (row-major), for kernels that lay it out per call (the one-channel direct conv)
    int8_t* plain;
};

// The epilogue of GemmS8Epilogue, per call. `corr[c]` is subtracted from each accumulator of column c
// (zpA * wsum[c], plus whatever the variant's arithmetic added, e.g. 128 * rowSum for VNNI); arrays
// hold `padded_n` entries (padding: corr 0, scale 1, bias 0) so that full vectors can be loaded.
struct Epilogue {
    int mode;
    const int32_t* corr;
    const float* scale;
    const float* bias;  // null: no bias
    bool relu;
    float out_scale;
    int out_zp;
    // Set by prepare_fast_requantize (S8 only): requantise by multiplying with inv_out_scale, guarded
    // (see requantize16_fast in gemm_s8_avx512vnni.h). fast_lo/fast_hi: the clamp in the rounded
    // quotient's domain, -128 - zp and 127 - zp, the ReLU folded into fast_lo.
    bool fast = false;
    float inv_out_scale = 0.0f;
    float fast_lo = 0.0f;
    float fast_hi = 0.0f;
};

// Whether the S8 epilogue may take the multiply-by-reciprocal path, and its constants. It is exact only
// when (1) 1 / out_scale is a normal float with full precision (out_scale in [2^-125, 2^125]) and (2)
// the float value before requantisation is never NaN: with finite scales and biases, acc * scale + bias
// is finite or infinite, so folding the ReLU into the clamp (quantisation is monotone: q(max(v, 0)) =
// max(q(v), q(0))) gives the twin's result; the twin's ReLU lets NaN through to -128, which the fold
// would not. Otherwise the epilogue divides as the twin does.
static inline void prepare_fast_requantize(Epilogue& e, int n) {
    e.fast = false;
    if (e.mode != kS8 || e.scale == nullptr) return;
    if (!(e.out_scale >= 0x1p-125f && e.out_scale <= 0x1p125f)) return;
    for (int c = 0; c < n; c++) {
        if (!__builtin_isfinite(e.scale[c]) || (e.bias != nullptr && !__builtin_isfinite(e.bias[c]))) return;
    }
    e.inv_out_scale = 1.0f / e.out_scale;
    e.fast_lo = -128.0f - static_cast<float>(e.out_zp);
    e.fast_hi = 127.0f - static_cast<float>(e.out_zp);
    if (e.relu && e.fast_lo < 0.0f) e.fast_lo = 0.0f;
    e.fast = true;
}

// Output rows [row0, ...) of an [m, n] row-major result of the epilogue's mode.
struct Output {
    void* base;
    int n;
};

// C = epilogue(A x B^T) for `m` rows of A [m, k] (row-major, k bytes per row) into `out`; false when
// scratch memory runs out.
bool gemm_scalar(const int8_t* a, int m, const PackedB& b, const Epilogue& e, Output out);
bool gemm_avx2(const int8_t* a, int m, const PackedB& b, const Epilogue& e, Output out);
bool gemm_avx512vnni(const int8_t* a, int m, const PackedB& b, const Epilogue& e, Output out);

// Fill `packed` (n, k and variant set by the caller) from B [n, k]; false when memory runs out.
bool pack_scalar(const int8_t* b, PackedB& packed);
bool pack_avx2(const int8_t* b, PackedB& packed);
bool pack_avx512vnni(const int8_t* b, PackedB& packed);

// A already in the VNNI kernel's packed layout (rows of k bytes shifted to unsigned, a ^ 0x80): what a
// fused conv's im2col writes directly when k is a multiple of 4 and n > 8, saving the packing pass.
bool gemm_prepacked_applies(const PackedB& b);
void gemm_avx512vnni_prepacked(const uint8_t* a, int m, const PackedB& b, const Epilogue& e, Output out);

struct ConvShape;
// A convolution over one input channel computed directly from the image, without im2col: output lines
// [line_from, line_to) into `out` (at line_from's first row), S8 epilogue. Only where
// conv_c1_applies; false when scratch memory runs out.
bool conv_c1_applies(const ConvShape& s, const PackedB& b, int mode);
bool conv_c1_avx512vnni(const int8_t* x, const ConvShape& s, int8_t pad, const PackedB& b, const Epilogue& e, Output out,
                        int line_from, int line_to);

// A convolution read in place from a padded copy of each image, without im2col (VNNI, n > 8; where a kernel
// row's kw * c bytes are not whole k groups, weights padded per row with zeros): output lines [line_from, line_to) into `out` (at line_from's first
// row), any epilogue mode. Only where conv_direct_applies; false when scratch memory runs out.
bool conv_direct_applies(const ConvShape& s, const PackedB& b);
bool conv_direct_avx512vnni(const int8_t* x, const ConvShape& s, int8_t pad, const PackedB& b, const Epilogue& e, Output out,
                            int line_from, int line_to);

// A max-pool fused into a conv's S8 epilogue: windows of kh x kw output pixels that tile the conv output
// (stride = window, no padding, floor: trailing conv lines and columns no window covers are not computed).
struct PoolWindow {
    int kh, kw;
};
// Pooled lines [pooled_from, pooled_to) (pooled line = image * (oh / kh) + pooled row) of max-pool(conv(x))
// into `out` (at pooled_from's first pixel, [pixels, n] codes); only where conv_pool_applies; false when
// scratch memory runs out. Bit-identical to conv_direct_avx512vnni then the max-pool of the codes.
bool conv_pool_applies(const ConvShape& s, const PackedB& b, int mode, const PoolWindow& p);
bool conv_direct_pool_avx512vnni(const int8_t* x, const ConvShape& s, int8_t pad, const PackedB& b, const Epilogue& e,
                                 const PoolWindow& p, int8_t* out, int pooled_from, int pooled_to);

// Entries each per-column epilogue array needs: n rounded up to the widest panel of any variant.
int padded_columns(int n);

// What the variant's arithmetic adds to every accumulator of column c, as a multiple of rowSum[c]
// (VNNI multiplies A + 128, so 128; the others multiply A itself, so 0).
int row_sum_bias(int variant);

void* aligned_bytes(size_t bytes);
void free_aligned(void* p);

// One output element of the epilogue, exactly as ReferenceGemmS8 computes it in Java: float
// multiply, add and compare rounded to float at each step, float division (not a reciprocal),
// round half to even, clamp where NaN becomes -128.
static inline float epilogue_float(int32_t acc, float scale, const float* bias, int c, bool relu) {
    float v = static_cast<float>(acc) * scale;
    if (bias != nullptr) v = v + bias[c];
    if (relu) v = v < 0.0f ? 0.0f : v;
    return v;
}

static inline int8_t requantize(float y, float out_scale, int out_zp) {
    float q = __builtin_nearbyintf(y / out_scale) + static_cast<float>(out_zp);
    float lo = q >= -128.0f ? q : -128.0f;
    float hi = lo <= 127.0f ? lo : 127.0f;
    return static_cast<int8_t>(static_cast<int>(hi));
}

// Writes one element of output row `row`, column `c`, from its raw accumulator.
static inline void store_scalar(const Epilogue& e, Output out, size_t row, int c, int32_t raw) {
    int32_t acc = static_cast<int32_t>(static_cast<uint32_t>(raw) - static_cast<uint32_t>(e.corr[c]));
    size_t at = row * static_cast<size_t>(out.n) + static_cast<size_t>(c);
    if (e.mode == kS32) {
        static_cast<int32_t*>(out.base)[at] = acc;
        return;
    }
    float y = epilogue_float(acc, e.scale[c], e.bias, c, e.relu);
    if (e.mode == kF32) {
        static_cast<float*>(out.base)[at] = y;
    } else {
        static_cast<int8_t*>(out.base)[at] = requantize(y, e.out_scale, e.out_zp);
    }
}

static inline int round_up(int x, int to) { return (x + to - 1) / to * to; }
static inline int min_int(int a, int b) { return a < b ? a : b; }

}  // namespace nnc

#endif

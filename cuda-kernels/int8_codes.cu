// int8 codes on the device: the data movement and code arithmetic of the CUDA backend's int8 ops
// (backend/cuda/CudaInt8Ops; the GEMM itself is gemm_s8.cu), so that a QTensor's codes stay on the
// device from the input's quantisation to the logits. Codes of a rank-4 QTensor are channels-last
// (NHWC), as on every backend. Each kernel is a grid-stride loop with one thread per output element,
// and bit for bit its CPU twin (named per kernel; all in dev.nncompress.backend.ref or quant):
//   nnc_q8_quantize_nhwc    float NCHW [n, c, hw] -> codes NHWC [n, hw, c], per tensor
//                           (Int8Kernels.quantizeToNhwc: JavaInt8Kernels, QuantArithmetic.quantizeS8)
//   nnc_q8_dequantize_nchw  codes NHWC -> float NCHW, (q - zp) * scale (QuantArithmetic.dequantizeS8Range
//                           then Layouts.nhwcToNchw, as HostInt8Ops.dequantize)
//   nnc_q8_transpose        codes [n, a, b] -> [n, b, a] (JavaInt8Kernels.nhwcToNchw with a = hw, b = c;
//                           CodeOps.transpose; and a conv weight OIHW -> OHWI with a = C, b = kH*kW)
//   nnc_q8_transpose_f32    the same for floats (an int8 conv's float output NHWC -> NCHW, Layouts)
//   nnc_q8_im2col_nhwc      codes NHWC -> rows [n*oh*ow, kh*kw*c] in (ky, kx, ch) order, pad code in the
//                           padding (JavaInt8Kernels.im2col)
//   nnc_q8_max_pool_nhwc    max over the window's positions inside the input, -128 when none
//                           (JavaInt8Kernels.maxPool and CodeOps.maxPool: any Pool2dSpec form, as the
//                           output size is the caller's)
//   nnc_q8_global_avg_pool  int32 sum of q - zp per (image, channel), mean in double rounded once to
//                           float, requantised (CodeOps.globalAvgPool)
//   nnc_q8_lookup           y = table[x + 128]: a requantisation or an activation as a table of the 256
//                           codes, built on the host by the twin's own arithmetic (CodeOps.table)
//   nnc_q8_copy_block       rows x cols codes into a block of rows of dst_stride codes at column
//                           dst_offset: one part of a concatenation along a storage axis (CodeOps.concat)
//   nnc_q8_depthwise_nhwc   depthwise conv of NHWC codes (groups = C, channel multiplier m: output channel o
//                           reads input channel o / m), weight taps [kh*kw, C*m], int32 sums of (x - zp_x) * w
//                           over the taps inside the input, then the GEMM's epilogue step by step (scale,
//                           bias, ReLU, requantised), NHWC codes out (Int8Depthwise.run)
#ifndef NNC_INT8_CODES_CU
#define NNC_INT8_CODES_CU

#include "quantize_common.cuh"

#define NNC_Q8_FOR(i, total) \
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < (total); i += (long long) gridDim.x * blockDim.x)

// Where element i of NHWC codes [n, oh, ow, c] sits: channel, column, row and image (an output code's position).
struct NncNhwcAt {
    int ch, ox, oy;
    long long b;
};

__device__ __forceinline__ NncNhwcAt nnc_nhwc_at(long long i, int c, int oh, int ow) {
    long long t = i / c;
    return NncNhwcAt{(int) (i % c), (int) (t % ow), (int) ((t / ow) % oh), t / ((long long) oh * ow)};
}

extern "C" __global__ void nnc_q8_quantize_nhwc(const float* __restrict__ x, int8_t* __restrict__ q, long long n, int c,
                                                long long hw, float scale, int zero_point) {
    NNC_Q8_FOR(i, n * c * hw) {
        long long ch = i % c, p = (i / c) % hw, b = i / (c * hw);
        q[i] = (int8_t) nnc_quantize::quantize_one(x[(b * c + ch) * hw + p], scale, zero_point);
    }
}

extern "C" __global__ void nnc_q8_dequantize_nchw(const int8_t* __restrict__ q, float* __restrict__ x, long long n, int c,
                                                  long long hw, float scale, int zero_point) {
    NNC_Q8_FOR(i, n * c * hw) {
        long long p = i % hw, ch = (i / hw) % c, b = i / (c * hw);
        x[i] = (float) ((int) q[(b * hw + p) * c + ch] - zero_point) * scale;
    }
}

extern "C" __global__ void nnc_q8_transpose(const int8_t* __restrict__ x, int8_t* __restrict__ y, long long n, int a, int b) {
    const long long ab = (long long) a * b;
    NNC_Q8_FOR(i, n * ab) {
        long long j = i % a, k = (i / a) % b, img = i / ab;  // y[img][k][j] = x[img][j][k]
        y[i] = x[img * ab + j * b + k];
    }
}

extern "C" __global__ void nnc_q8_transpose_f32(const float* __restrict__ x, float* __restrict__ y, long long n, int a, int b) {
    const long long ab = (long long) a * b;
    NNC_Q8_FOR(i, n * ab) {
        long long j = i % a, k = (i / a) % b, img = i / ab;
        y[i] = x[img * ab + j * b + k];
    }
}

extern "C" __global__ void nnc_q8_im2col_nhwc(const int8_t* __restrict__ x, int8_t* __restrict__ cols, int n, int h, int w, int c,
                                              int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw, int oh, int ow, int pad) {
    const long long total = (long long) n * oh * ow * kh * kw * c;
    NNC_Q8_FOR(i, total) {
        long long t = i / c;
        int ch = (int) (i % c), kx = (int) (t % kw);
        t /= kw;
        int ky = (int) (t % kh);
        t /= kh;  // the output position: (b * oh + oy) * ow + ox
        int ox = (int) (t % ow), oy = (int) ((t / ow) % oh);
        long long b = t / ((long long) oh * ow);
        int iy = oy * sh - ph + ky * dh, ix = ox * sw - pw + kx * dw;
        cols[i] = (iy < 0 || iy >= h || ix < 0 || ix >= w) ? (int8_t) pad : x[((b * h + iy) * w + ix) * c + ch];
    }
}

extern "C" __global__ void nnc_q8_max_pool_nhwc(const int8_t* __restrict__ x, int8_t* __restrict__ y, int n, int h, int w, int c,
                                                int oh, int ow, int kh, int kw, int sh, int sw, int ph, int pw) {
    const long long total = (long long) n * oh * ow * c;
    NNC_Q8_FOR(i, total) {
        const NncNhwcAt at = nnc_nhwc_at(i, c, oh, ow);
        const int ch = at.ch, ox = at.ox, oy = at.oy;
        const long long b = at.b;
        int y0 = max(0, oy * sh - ph), y1 = min(h, oy * sh - ph + kh);
        int x0 = max(0, ox * sw - pw), x1 = min(w, ox * sw - pw + kw);
        int m = -128;
        for (int iy = y0; iy < y1; iy++)
            for (int ix = x0; ix < x1; ix++) m = max(m, (int) x[((b * h + iy) * w + ix) * c + ch]);
        y[i] = (int8_t) m;
    }
}

extern "C" __global__ void nnc_q8_global_avg_pool(const int8_t* __restrict__ x, int8_t* __restrict__ y, int n, int hw, int c,
                                                  float scale, int zero_point, float out_scale, int out_zero_point) {
    NNC_Q8_FOR(i, (long long) n * c) {
        long long b = i / c;
        int ch = (int) (i % c);
        int acc = 0;
        for (int p = 0; p < hw; p++) acc += (int) x[(b * hw + p) * c + ch] - zero_point;
        float v = (float) ((double) acc * (double) scale / (double) hw);
        y[i] = (int8_t) nnc_quantize::quantize_one(v, out_scale, out_zero_point);
    }
}

extern "C" __global__ void nnc_q8_lookup(const int8_t* __restrict__ x, int8_t* __restrict__ y, const int8_t* __restrict__ table,
                                         long long n) {
    NNC_Q8_FOR(i, n) y[i] = table[(int) x[i] + 128];
}

extern "C" __global__ void nnc_q8_copy_block(const int8_t* __restrict__ src, int8_t* __restrict__ dst, long long rows, long long cols,
                                             long long dst_stride, long long dst_offset) {
    NNC_Q8_FOR(i, rows * cols) dst[(i / cols) * dst_stride + dst_offset + i % cols] = src[i];
}

// One thread per output code (b, oy, ox, o); the taps of one position are contiguous over o, so neighbouring
// threads read neighbouring weights. Explicitly rounded steps (__int2float_rn, __fmul_rn, __fadd_rn): nvcc
// would contract the multiply and the add into an FMA, the twin rounds each.
extern "C" __global__ void nnc_q8_depthwise_nhwc(const int8_t* __restrict__ x, const int8_t* __restrict__ taps, int8_t* __restrict__ y,
                                                 const float* __restrict__ scale, const float* __restrict__ bias, int n, int h, int w,
                                                 int c, int m, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw, int oh,
                                                 int ow, int zp_x, int relu, float out_scale, int out_zp) {
    const int o = c * m;
    const long long total = (long long) n * oh * ow * o;
    NNC_Q8_FOR(i, total) {
        const NncNhwcAt at = nnc_nhwc_at(i, o, oh, ow);
        const int oc = at.ch, ox = at.ox, oy = at.oy, ch = oc / m;
        const long long b = at.b;
        int acc = 0;
        for (int ky = 0; ky < kh; ky++) {
            int iy = oy * sh - ph + ky * dh;
            if (iy < 0 || iy >= h) continue;
            for (int kx = 0; kx < kw; kx++) {
                int ix = ox * sw - pw + kx * dw;
                if (ix < 0 || ix >= w) continue;
                acc += ((int) x[((b * h + iy) * w + ix) * c + ch] - zp_x) * (int) taps[(long long) (ky * kw + kx) * o + oc];
            }
        }
        float v = __fmul_rn(__int2float_rn(acc), scale[oc]);
        if (bias != nullptr) v = __fadd_rn(v, bias[oc]);
        if (relu) v = v < 0.f ? 0.f : v;  // NaN stays NaN, as in the twin
        y[i] = (int8_t) nnc_quantize::quantize_one(v, out_scale, out_zp);
    }
}

#undef NNC_Q8_FOR
#endif

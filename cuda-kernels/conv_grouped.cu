// Depthwise convolution (groups == C, channel multiplier M = O / C: output channel oc reads input
// channel oc / M only; weight [O, 1, kH, kW]), NCHW, any stride, dilation and padding (pH/pW are the
// top/left pads; asymmetric padding only changes OH/OW, which the caller passes). A depthwise conv has
// no reduction over channels, so the im2col + GEMM route would run one 1 x kH*kW GEMM per channel;
// these kernels read each input and output element from memory once per tap instead.
// Grouped convolutions that are not depthwise stay on im2col + one strided-batched GEMM per group
// (CudaConv); bias and its gradient are CudaBackend's (nnc_ew_add_channel_bias, nnc_ew_sum_channels).
// CPU twin: ReferenceBackend.conv2d / conv2dBackward (RefConv) with groups == C; the harness
// (harness/conv_grouped_harness.cu) checks every kernel against CPU loops of the definitions below,
// bit for bit for forward and input gradient (same fmaf order), 1e-6 relative for the weight gradient.
#ifndef NNC_CONV_GROUPED_CU
#define NNC_CONV_GROUPED_CU

#include "elementwise.cu"  // nnc_elementwise::block_sum

// The geometry every kernel here takes, in this order (all int; the caller has checked that every
// tensor has fewer than 2^31 elements and that the padded extents fit in int).
#define NNC_DW_GEO_PARAMS int n, int c, int h, int w, int o, int kh, int kw, int oh, int ow, int sh, int sw, int ph, int pw, int dh, int dw

// y[b, oc, oy, ox] = sum over (ky, kx) in row-major order of x[b, oc / M, oy*sH - pH + ky*dH, ox*sW - pW + kx*dW]
// * w[oc, ky, kx], taps in the padding skipped; fmaf from 0. Overwrites y (no bias).
extern "C" __global__ void nnc_conv_depthwise_fwd(const float* __restrict__ x, const float* __restrict__ wt, float* __restrict__ y,
                                                  NNC_DW_GEO_PARAMS) {
    const long long total = (long long) n * o * oh * ow;
    const int mult = o / c;
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < total; i += (long long) gridDim.x * blockDim.x) {
        const int ox = (int) (i % ow), oy = (int) ((i / ow) % oh);
        const long long plane = i / ((long long) oh * ow);
        const int oc = (int) (plane % o);
        const long long b = plane / o;
        const float* xp = x + (b * c + oc / mult) * (long long) h * w;
        const float* wp = wt + (long long) oc * kh * kw;
        float acc = 0.f;
        for (int ky = 0; ky < kh; ky++) {
            const int iy = oy * sh - ph + ky * dh;
            if (iy < 0 || iy >= h) continue;
            for (int kx = 0; kx < kw; kx++) {
                const int ix = ox * sw - pw + kx * dw;
                if (ix < 0 || ix >= w) continue;
                acc = fmaf(xp[(long long) iy * w + ix], wp[ky * kw + kx], acc);
            }
        }
        y[i] = acc;
    }
}

// dx[b, ic, iy, ix] = sum over m in [0, M), then (ky, kx) row-major, of gy[b, ic*M + m, oy, ox] * w[ic*M + m, ky, kx]
// over the (oy, ox) whose window reads (iy, ix) at that tap; fmaf from 0. A gather (one thread per
// input element, no atomics): deterministic. Overwrites dx.
extern "C" __global__ void nnc_conv_depthwise_bwd_input(const float* __restrict__ gy, const float* __restrict__ wt, float* __restrict__ dx,
                                                        NNC_DW_GEO_PARAMS) {
    const long long total = (long long) n * c * h * w;
    const int mult = o / c;
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < total; i += (long long) gridDim.x * blockDim.x) {
        const int ix = (int) (i % w), iy = (int) ((i / w) % h);
        const long long plane = i / ((long long) h * w);
        const int ic = (int) (plane % c);
        const long long b = plane / c;
        float acc = 0.f;
        for (int m = 0; m < mult; m++) {
            const int oc = ic * mult + m;
            const float* gp = gy + (b * o + oc) * (long long) oh * ow;
            const float* wp = wt + (long long) oc * kh * kw;
            for (int ky = 0; ky < kh; ky++) {
                const int ty = iy + ph - ky * dh;  // = oy * sH when kernel row ky of output row oy reads iy
                if (ty < 0 || ty % sh != 0 || ty / sh >= oh) continue;
                const int oy = ty / sh;
                for (int kx = 0; kx < kw; kx++) {
                    const int tx = ix + pw - kx * dw;
                    if (tx < 0 || tx % sw != 0 || tx / sw >= ow) continue;
                    acc = fmaf(gp[(long long) oy * ow + tx / sw], wp[ky * kw + kx], acc);
                }
            }
        }
        dx[i] = acc;
    }
}

// dw[oc, ky, kx] = sum over (b, oy, ox) of gy[b, oc, oy, ox] * x[b, oc / M, iy, ix] (taps in the padding
// contribute nothing). One block per weight element (grid.x = O * kH * kW), blockDim.x a power of two
// <= 1024: each thread sums a strided share of the N*OH*OW products in double, then the block sums
// those in a fixed tree (nnc_elementwise::block_sum), so the result does not depend on timing.
extern "C" __global__ void nnc_conv_depthwise_bwd_weight(const float* __restrict__ x, const float* __restrict__ gy, float* __restrict__ dwt,
                                                         NNC_DW_GEO_PARAMS) {
    const int kk = kh * kw;
    const int oc = blockIdx.x / kk, k = blockIdx.x % kk;
    const int ky = k / kw, kx = k % kw;
    const int ic = oc / (o / c);
    const long long p = (long long) oh * ow, count = (long long) n * p;
    double s = 0.0;
    for (long long j = threadIdx.x; j < count; j += blockDim.x) {
        const long long b = j / p;
        const int oy = (int) ((j % p) / ow), ox = (int) (j % ow);
        const int iy = oy * sh - ph + ky * dh, ix = ox * sw - pw + kx * dw;
        if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
        s += (double) gy[(b * o + oc) * p + j % p] * (double) x[((b * c + ic) * h + iy) * (long long) w + ix];
    }
    s = nnc_elementwise::block_sum(s);
    if (threadIdx.x == 0) dwt[blockIdx.x] = (float) s;
}
#endif  // NNC_CONV_GROUPED_CU

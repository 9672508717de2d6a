// Sparse (pruned) 2-D convolution, unstructured weights (CSR per filter), forward and backward; the
// grad bias is sparse_conv.cu's nnc_sparse_conv_bwd_bias. Semantics (shared with the structured
// kernels) in sparse_conv_common.cuh; CPU twin: dev.nncompress.backend.ref.ReferenceSparseConv;
// launcher: dev.nncompress.backend.cuda.kernels.SparseConv.
// One block = one weight row (a filter, or an input channel of the transposed CSR) x a run of pixels;
// the row's taps are decoded into shared memory a chunk at a time and applied to each thread's pixels.
#ifndef NNC_SPARSE_CONV_CSR_CU
#define NNC_SPARSE_CONV_CSR_CU

#include "sparse_conv_common.cuh"

namespace nnc_sparse_conv {

constexpr int CSR_PIX = 4;     // pixels per thread of the forward and grad input: 512 per block
constexpr int TAP_CHUNK = 256; // taps decoded per shared-memory pass

// The j-th of a thread's `per` pixels: strided by THREADS, so that a warp's loads are coalesced.
__device__ __forceinline__ int thread_pixel(int j, int per) { return blockIdx.x * (THREADS * per) + threadIdx.x + j * THREADS; }

// One chunk of a row's taps, decoded: plane offset (channel * planeSize), dy, dx and, WithValues,
// the value (the weight gradient needs the taps only: it keeps 1 KiB of shared memory free).
struct TapOffsets { int off[TAP_CHUNK], dy[TAP_CHUNK], dx[TAP_CHUNK]; };
template <bool WithValues> struct TapChunk : TapOffsets { float val[TAP_CHUNK]; };
template <> struct TapChunk<false> : TapOffsets {};

// Calls body(j, off, dy, dx, value) for the taps j of [begin, end) in order (value 0 without values).
// Every thread of the block must call it with the same range: it synchronises around each pass.
template <bool WithValues, class Body>
__device__ __forceinline__ void for_each_tap(TapChunk<WithValues>& s, const int* tap, const float* value, int begin, int end,
                                             int kh, int kw, int dh, int dw, int planeSize, Body body) {
    const int kk = kh * kw;
    for (int c0 = begin; c0 < end; c0 += TAP_CHUNK) {
        const int count = min(TAP_CHUNK, end - c0);
        __syncthreads();  // the previous chunk's taps are no longer read
        for (int e = threadIdx.x; e < count; e += blockDim.x) {
            int tp = __ldg(tap + c0 + e);
            int ch = tp / kk, r = tp - ch * kk, y = r / kw;
            s.off[e] = ch * planeSize;
            s.dy[e] = y * dh;
            s.dx[e] = (r - y * kw) * dw;
            if constexpr (WithValues) s.val[e] = __ldg(value + c0 + e);
        }
        __syncthreads();
        for (int e = 0; e < count; e++) {
            float v = 0.f;
            if constexpr (WithValues) v = s.val[e];
            body(c0 + e, s.off[e], s.dy[e], s.dx[e], v);
        }
    }
}

}  // namespace nnc_sparse_conv

// Unstructured forward; grid (ceil(N*OH*OW / 512), O), 128 threads.
extern "C" __global__ void __launch_bounds__(128) nnc_sparse_conv_fwd_csr(
    const float* __restrict__ x, const int* __restrict__ rowPtr, const int* __restrict__ tap,
    const float* __restrict__ value, const float* __restrict__ bias, const uint8_t* __restrict__ mask,
    float* __restrict__ y, NNC_SC_GEO_PARAMS) {
    using namespace nnc_sparse_conv;
    __shared__ TapChunk<true> taps;
    const int o = blockIdx.y, p = OH * OW, total = N * p, hw = H * W;
    int base[CSR_PIX], iy0[CSR_PIX], ix0[CSR_PIX];
    bool live[CSR_PIX], any = false;
    float acc[CSR_PIX];
    const float b0 = bias != nullptr ? __ldg(bias + o) : 0.f;
#pragma unroll
    for (int j = 0; j < CSR_PIX; j++) {
        int q = thread_pixel(j, CSR_PIX);
        Pixel px = pixel_at(q, total, OH, OW);
        live[j] = q < total && (mask == nullptr || mask[px.q]);
        any |= live[j];
        base[j] = px.n * C * hw;
        iy0[j] = px.y * sh - ph;
        ix0[j] = px.x * sw - pw;
        acc[j] = b0;
    }
    // a block whose every pixel is masked (or past the end) reads no taps; its zeros are still stored
    const bool work = __syncthreads_or(any);
    const int begin = __ldg(rowPtr + o), end = work ? __ldg(rowPtr + o + 1) : begin;
    for_each_tap(taps, tap, value, begin, end, KH, KW, dh, dw, hw, [&](int, int off, int dy, int dxx, float v) {
#pragma unroll
        for (int j = 0; j < CSR_PIX; j++) {
            int iy = iy0[j] + dy, ix = ix0[j] + dxx;
            float xv = live[j] && inside(iy, H) && inside(ix, W) ? __ldg(x + base[j] + off + iy * W + ix) : 0.f;
            acc[j] = fmaf(xv, v, acc[j]);
        }
    });
#pragma unroll
    for (int j = 0; j < CSR_PIX; j++) {
        int q = thread_pixel(j, CSR_PIX);
        if (q < total) {
            int n = q / p;  // not pixel_at: its clamp for q past the end costs registers here
            y[(n * O + o) * p + (q - n * p)] = live[j] ? acc[j] : 0.f;
        }
    }
}

// Unstructured grad input, from the transposed CSR (CSC: colPtr[C+1], tapT = o*KH*KW + kh*KW + kw,
// ascending per input channel, valueT); grid (ceil(N*H*W / 512), C), 128 threads.
extern "C" __global__ void __launch_bounds__(128) nnc_sparse_conv_bwd_input_csr(
    const float* __restrict__ gy, const int* __restrict__ colPtr, const int* __restrict__ tapT,
    const float* __restrict__ valueT, const uint8_t* __restrict__ mask, float* __restrict__ dx, NNC_SC_GEO_PARAMS) {
    using namespace nnc_sparse_conv;
    __shared__ TapChunk<true> taps;
    const int c = blockIdx.y, p = OH * OW, hw = H * W, total = N * hw;
    int n[CSR_PIX], ty0[CSR_PIX], tx0[CSR_PIX];  // n: the image; the gradient offset needs the tap's filter
    bool live[CSR_PIX];
    float acc[CSR_PIX];
#pragma unroll
    for (int j = 0; j < CSR_PIX; j++) {
        int q = thread_pixel(j, CSR_PIX);
        Pixel px = pixel_at(q, total, H, W);
        live[j] = q < total;
        n[j] = px.n;
        ty0[j] = px.y + ph;
        tx0[j] = px.x + pw;
        acc[j] = 0.f;
    }
    const int begin = __ldg(colPtr + c), end = __ldg(colPtr + c + 1);
    for_each_tap(taps, tapT, valueT, begin, end, KH, KW, dh, dw, p, [&](int, int off, int dy, int dxx, float v) {
#pragma unroll
        for (int j = 0; j < CSR_PIX; j++) {
            int ty = ty0[j] - dy, tx = tx0[j] - dxx;
            if (!live[j] || ty < 0 || tx < 0) continue;
            int oy = sh == 1 ? ty : ty / sh, ox = sw == 1 ? tx : tx / sw;
            if (oy * sh != ty || ox * sw != tx || oy >= OH || ox >= OW) continue;
            int pix = oy * OW + ox;
            if (mask != nullptr && !mask[n[j] * p + pix]) continue;
            acc[j] = fmaf(__ldg(gy + n[j] * O * p + off + pix), v, acc[j]);
        }
    });
#pragma unroll
    for (int j = 0; j < CSR_PIX; j++) {
        int q = thread_pixel(j, CSR_PIX);
        if (live[j]) {
            int n = q / hw;
            dx[(n * C + c) * hw + (q - n * hw)] = acc[j];
        }
    }
}

// Unstructured grad weight: dValue[j] = sum over pixels of gy * x at entry j's tap. Grid
// (ceil(N*OH*OW / 1024), O), 128 threads with 8 pixels each; warp sums are added atomically into
// dValue, which the caller zero-fills.
extern "C" __global__ void __launch_bounds__(128) nnc_sparse_conv_bwd_weight_csr(
    const float* __restrict__ x, const float* __restrict__ gy, const int* __restrict__ rowPtr,
    const int* __restrict__ tap, const uint8_t* __restrict__ mask, float* __restrict__ dValue, NNC_SC_GEO_PARAMS) {
    using namespace nnc_sparse_conv;
    constexpr int PIX = 8;
    __shared__ TapChunk<false> taps;
    const int o = blockIdx.y, p = OH * OW, total = N * p, hw = H * W;
    int base[PIX], iy0[PIX], ix0[PIX];
    float gv[PIX];
#pragma unroll
    for (int j = 0; j < PIX; j++) {
        int q = thread_pixel(j, PIX);
        Pixel px = pixel_at(q, total, OH, OW);
        bool live = q < total && (mask == nullptr || mask[px.q]);
        gv[j] = live ? __ldg(gy + (px.n * O + o) * p + px.pix) : 0.f;
        base[j] = px.n * C * hw;
        iy0[j] = px.y * sh - ph;
        ix0[j] = px.x * sw - pw;
    }
    const int begin = __ldg(rowPtr + o), end = __ldg(rowPtr + o + 1);
    for_each_tap(taps, tap, nullptr, begin, end, KH, KW, dh, dw, hw, [&](int entry, int off, int dy, int dxx, float) {
        float s = 0.f;
#pragma unroll
        for (int j = 0; j < PIX; j++) {
            int iy = iy0[j] + dy, ix = ix0[j] + dxx;
            if (gv[j] != 0.f && inside(iy, H) && inside(ix, W)) s = fmaf(gv[j], __ldg(x + base[j] + off + iy * W + ix), s);
        }
#pragma unroll
        for (int d = 16; d > 0; d >>= 1) s += __shfl_xor_sync(0xffffffffu, s, d);
        if ((threadIdx.x & 31) == 0 && s != 0.f) atomicAdd(dValue + entry, s);
    });
}

#endif  // NNC_SPARSE_CONV_CSR_CU

// Sparse (pruned) 2-D convolution: what the structured kernels (sparse_conv.cu) and the unstructured
// ones (sparse_conv_csr.cu) share. CPU twin: dev.nncompress.backend.ref.ReferenceSparseConv;
// launcher: dev.nncompress.backend.cuda.kernels.SparseConv.
//
// Semantics. Activations NCHW x[N,C,H,W], weights OIHW w[O,C,KH,KW], output y[N,O,OH,OW] with
// PyTorch's sizes OH = (H + 2*ph - dh*(KH-1) - 1) / sh + 1 (same for W); groups = 1; optional bias[O].
// Input tap of output (oy, ox) at (kh, kw): iy = oy*sh - ph + kh*dh, ix = ox*sw - pw + kw*dw; a tap
// outside the input reads 0.0f and IS accumulated (fmaf(0, w, acc)), as the tiled kernels do.
//  - structured: keptOut (filters, ascending) and keptIn (input channels, ascending) index the full
//    OIHW weight; only kept (filter, channel) pairs are read. A pruned filter's output is 0 and its
//    bias is NOT added (the filter is gone, bias included, as structured surgery removes it).
//  - unstructured (CSR over filters): rowPtr[O+1], tap[nnz] = c*KH*KW + kh*KW + kw ascending per
//    filter, value[nnz]. Every filter keeps its bias (an empty row outputs the bias).
//  - optional output mask[N,OH,OW] (uint8, 1 = compute): masked positions are written 0.0f (no
//    bias) and their gradient is treated as 0 in every backward kernel.
// Forward order (bit-exact with the twin): acc = bias (0.0f without bias), then acc = fmaf(x, w, acc)
// over the kept channels ascending, kh, kw (structured) or over the CSR entries in order
// (unstructured). Each output is one thread's sequential sum; there is no split-K in the forward.
// Backward: grad input (all C channels; 0 for channels no kept weight reads), grad weight (structured:
// full OIHW, 0 outside the kept blocks; CSR: one value per nnz), grad bias (structured: 0 for pruned
// filters). The weight gradient is split over pixels and summed with atomicAdd, so its order is not
// fixed: compare with a relative tolerance (see SparseConvGpuTest).
// Indices are 32-bit: the launcher rejects tensors of 2^31 elements or more.
//
// A header, not a .cu: scripts/build-cuda.sh compiles every .cu as a kernel family; it packs this
// file beside the fatbin too, as KernelSignatures needs NNC_SC_GEO_PARAMS to read the parameter lists.
#ifndef NNC_SPARSE_CONV_COMMON_CUH
#define NNC_SPARSE_CONV_COMMON_CUH

#include <cstdint>

namespace nnc_sparse_conv {

constexpr int THREADS = 128;  // every kernel but bwd_bias and zero_planes runs 128 threads

struct Geo {
    int n, c, h, w, o, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw;
};

__device__ __forceinline__ Geo geo(int n, int c, int h, int w, int o, int kh, int kw, int oh, int ow, int sh, int sw,
                                   int ph, int pw, int dh, int dw) {
    Geo g = {n, c, h, w, o, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw};
    return g;
}

__device__ __forceinline__ bool inside(int v, int size) { return (unsigned) v < (unsigned) size; }

// Pixel q of N planes of rows x cols (an output or an input of every image, flattened) as image n,
// offset pix in the plane, row y and column x. A q at or past `total` reads as pixel 0 (px.q = 0),
// so that the caller's loads stay in bounds; the caller marks it invalid itself.
struct Pixel { int q, n, pix, y, x; };
__device__ __forceinline__ Pixel pixel_at(int q, int total, int rows, int cols) {
    Pixel px;
    int plane = rows * cols;
    px.q = q < total ? q : 0;
    px.n = px.q / plane;
    px.pix = px.q - px.n * plane;
    px.y = px.pix / cols;
    px.x = px.pix - px.y * cols;
    return px;
}

}  // namespace nnc_sparse_conv

// Every kernel's geometry parameters, in this order (SparseConv.java passes them so).
#define NNC_SC_GEO_PARAMS                                                                                     \
    int N, int C, int H, int W, int O, int KH, int KW, int OH, int OW, int sh, int sw, int ph, int pw, int dh, \
        int dw

#endif  // NNC_SPARSE_CONV_COMMON_CUH

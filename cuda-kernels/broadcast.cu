// Broadcasting arithmetic (add, sub, mul, div) of the CUDA backend: the forward, and the backward of one
// operand as a reduction over the output dims it was stretched along.
// Geometry: the host passes the collapsed output dims d0..d5 (dev.nncompress.backend.BroadcastGeometry:
// size-1 dims dropped, neighbours that both operands span or skip alike merged; unused leading dims 1)
// and, per operand, a mask with bit i set where it is stretched along dim i. Indices fit an int (a
// Shape's elements do). An operand's elements are contiguous over the dims it spans.
// CPU twin: dev.nncompress.backend.ref.RefBroadcast (ReferenceBackend.binary / binaryBackward): forward
// is one float operation (bit-exact); each gradient term is computed in double as the twin's (g, -g,
// g b, g a, g / b, -(g a) / (b b); products of two floats are exact in double, so no fused multiply-add
// changes them) and summed in double: one term per element (nnc_bc_backward_thread with terms == 1) is
// bit-exact, longer sums differ from the twin's order by double rounding only (1e-6 tolerance after the
// float rounding).
// Kind numbers: dev.nncompress.backend.Binary.code() (UnaryCodesTest compares them with these).
#ifndef NNC_BROADCAST_CU
#define NNC_BROADCAST_CU
#include "elementwise.cu"  // nnc_elementwise::block_sum

#define NNC_BC_ADD 0
#define NNC_BC_SUB 1
#define NNC_BC_MUL 2
#define NNC_BC_DIV 3
#define NNC_BC_RANK 6

namespace nnc_broadcast {
__device__ __forceinline__ float apply(int kind, float a, float b) {
    switch (kind) {
        case NNC_BC_ADD: return __fadd_rn(a, b);
        case NNC_BC_SUB: return __fadd_rn(a, -b);
        case NNC_BC_MUL: return __fmul_rn(a, b);
        default: return __fdiv_rn(a, b);  // NNC_BC_DIV
    }
}

// d(a op b)/d(operand) times g, in double.
__device__ __forceinline__ double term(int kind, int operand, float g, float a, float b) {
    switch (kind) {
        case NNC_BC_ADD: return g;
        case NNC_BC_SUB: return operand == 0 ? (double) g : -(double) g;
        case NNC_BC_MUL: return (double) g * (operand == 0 ? b : a);
        default: return operand == 0 ? (double) g / b : -((double) g * a) / ((double) b * b);  // NNC_BC_DIV
    }
}

struct Geo {
    int d[NNC_BC_RANK];
    int amask, bmask;
};

// Offsets in a and b of output element e.
__device__ __forceinline__ void offsets(const Geo& geo, int e, int& ia, int& ib) {
    ia = 0; ib = 0;
    int sa = 1, sb = 1;
    for (int k = NNC_BC_RANK - 1; k >= 0; k--) {
        int dk = geo.d[k], c = e % dk;
        e /= dk;
        if (!((geo.amask >> k) & 1)) { ia += c * sa; sa *= dk; }
        if (!((geo.bmask >> k) & 1)) { ib += c * sb; sb *= dk; }
    }
}

// Output, a and b offsets of term j of element r of the operand whose stretch mask is omask: r runs over
// the dims it spans, j over those it is stretched along, both row-major.
__device__ __forceinline__ void term_offsets(const Geo& geo, int omask, int r, int j, int& e, int& ia, int& ib) {
    e = 0; ia = 0; ib = 0;
    int se = 1, sa = 1, sb = 1;
    for (int k = NNC_BC_RANK - 1; k >= 0; k--) {
        int dk = geo.d[k], c;
        if ((omask >> k) & 1) { c = j % dk; j /= dk; } else { c = r % dk; r /= dk; }
        e += c * se; se *= dk;
        if (!((geo.amask >> k) & 1)) { ia += c * sa; sa *= dk; }
        if (!((geo.bmask >> k) & 1)) { ib += c * sb; sb *= dk; }
    }
}

__device__ __forceinline__ double term_at(int kind, int operand, const Geo& geo, const float* a, const float* b, const float* g, int r, int j) {
    int e, ia, ib;
    term_offsets(geo, operand == 0 ? geo.amask : geo.bmask, r, j, e, ia, ib);
    return term(kind, operand, g[e], a[ia], b[ib]);
}
}  // namespace nnc_broadcast

extern "C" __global__ void nnc_bc_forward(int kind, const float* __restrict__ a, const float* __restrict__ b, float* __restrict__ out,
                                          long long n, int d0, int d1, int d2, int d3, int d4, int d5, int amask, int bmask) {
    nnc_broadcast::Geo geo = {{d0, d1, d2, d3, d4, d5}, amask, bmask};
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        int ia, ib;
        nnc_broadcast::offsets(geo, (int) i, ia, ib);
        out[i] = nnc_broadcast::apply(kind, a[ia], b[ib]);
    }
}

// The gradient of operand 0 (a) or 1 (b), one thread per operand element (count of them), each summing its
// `terms` terms in output order from the first: the twin's order, exact when terms == 1. For short sums.
extern "C" __global__ void nnc_bc_backward_thread(int kind, int operand, const float* __restrict__ a, const float* __restrict__ b,
                                                  const float* __restrict__ g, float* __restrict__ dx, int count, int terms,
                                                  int d0, int d1, int d2, int d3, int d4, int d5, int amask, int bmask) {
    nnc_broadcast::Geo geo = {{d0, d1, d2, d3, d4, d5}, amask, bmask};
    for (long long r = blockIdx.x * (long long) blockDim.x + threadIdx.x; r < count; r += (long long) gridDim.x * blockDim.x) {
        double s = nnc_broadcast::term_at(kind, operand, geo, a, b, g, (int) r, 0);
        for (int j = 1; j < terms; j++) s += nnc_broadcast::term_at(kind, operand, geo, a, b, g, (int) r, j);
        dx[r] = (float) s;
    }
}

// As nnc_bc_backward_thread with one block per operand element (grid-stride over them): the block's threads
// take every blockDim.x-th term, partial sums in double meet in block_sum. For long sums (a gate's H*W, a
// scalar's whole tensor). blockDim.x a power of two, <= 1024.
extern "C" __global__ void nnc_bc_backward_block(int kind, int operand, const float* __restrict__ a, const float* __restrict__ b,
                                                 const float* __restrict__ g, float* __restrict__ dx, int count, int terms,
                                                 int d0, int d1, int d2, int d3, int d4, int d5, int amask, int bmask) {
    nnc_broadcast::Geo geo = {{d0, d1, d2, d3, d4, d5}, amask, bmask};
    for (int r = blockIdx.x; r < count; r += gridDim.x) {  // uniform over the block: every thread meets block_sum's barriers
        double s = 0.0;
        for (int j = threadIdx.x; j < terms; j += blockDim.x) s += nnc_broadcast::term_at(kind, operand, geo, a, b, g, r, j);
        s = nnc_elementwise::block_sum(s);
        if (threadIdx.x == 0) dx[r] = (float) s;
    }
}
#endif  // NNC_BROADCAST_CU

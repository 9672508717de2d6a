// Sparse (pruned) 2-D convolution, structured weights (kept filter and input-channel lists), forward
// and backward, plus the grad-bias and plane-zeroing kernels both weight forms use. Semantics (shared
// with the CSR kernels of sparse_conv_csr.cu) in sparse_conv_common.cuh; CPU twin:
// dev.nncompress.backend.ref.ReferenceSparseConv; launcher: dev.nncompress.backend.cuda.kernels.SparseConv.
#ifndef NNC_SPARSE_CONV_CU
#define NNC_SPARSE_CONV_CU

#include "sparse_conv_common.cuh"

namespace nnc_sparse_conv {

constexpr int BK = 8;  // reduction rows per shared-memory stage; every tile runs THREADS, 8x8 outputs each

// k = (d0 * r1 + d1) * r2 + d2, stepped by one without divisions (the tile loaders walk k in order).
struct Digits {
    int d0, d1, d2;
    __device__ __forceinline__ void set(int k, int r1, int r2) {
        int r12 = r1 * r2;
        d0 = k / r12;
        int rem = k - d0 * r12;
        d1 = rem / r2;
        d2 = rem - d1 * r2;
    }
    __device__ __forceinline__ void next(int r1, int r2) {
        if (++d2 == r2) {
            d2 = 0;
            if (++d1 == r1) { d1 = 0; ++d0; }
        }
    }
};

// ---- the three structured problems as implicit GEMMs C[M x NN] += A[K x M]^T B[K x NN] ----
// A problem supplies: M, NN, K, the radices of k, col(q) (per-column data, computed once per block),
// row(digits) (per-k data), a(digits, m), b(row, col), init(m), outCol(q) and store(m, outCol, acc).

// Forward: m = kept filter, column = output pixel (n, oy, ox), k = (kept channel, kh, kw).
struct Fwd {
    const float* x; const float* w; const float* bias; const uint8_t* mask;
    const int* keptOut; const int* keptIn; float* y;
    Geo g; int nOut, nIn;

    __device__ int M() const { return nOut; }
    __device__ int NN() const { return g.n * g.oh * g.ow; }
    __device__ int K() const { return nIn * g.kh * g.kw; }
    __device__ int r1() const { return g.kh; }
    __device__ int r2() const { return g.kw; }

    // The per-element work of the B gather is the hot path of the narrow (few kept filters) tiles:
    // the address is one add of a per-column and a per-row offset; a column that must load nothing
    // (past the end, or masked) gets iy0 far below 0, so that the bounds test alone rejects it.
    struct Col { int base, iy0, ix0; bool valid; };
    __device__ Col col(int q) const {
        Col c;
        c.valid = q < NN();
        Pixel px = pixel_at(q, NN(), g.oh, g.ow);
        if (c.valid && mask != nullptr && !mask[px.q]) c.valid = false;  // masked: load nothing
        c.iy0 = c.valid ? px.y * g.sh - g.ph : -(1 << 30);
        c.ix0 = px.x * g.sw - g.pw;
        c.base = c.valid ? px.n * g.c * g.h * g.w + c.iy0 * g.w + c.ix0 : 0;  // may be < 0; base + row offset is not, when inside
        return c;
    }
    struct Row { int off, dy, dx; };
    __device__ Row row(const Digits& d) const {
        Row r;
        r.dy = d.d1 * g.dh;
        r.dx = d.d2 * g.dw;
        r.off = __ldg(keptIn + min(d.d0, nIn - 1)) * g.h * g.w + r.dy * g.w + r.dx;  // clamped: rows past K are never used
        return r;
    }
    __device__ float a(const Digits& d, int m) const {
        if (m >= nOut) return 0.f;
        return __ldg(w + ((__ldg(keptOut + m) * g.c + __ldg(keptIn + d.d0)) * g.kh + d.d1) * g.kw + d.d2);
    }
    __device__ float b(const Row& r, const Col& c) const {
        return inside(c.iy0 + r.dy, g.h) && inside(c.ix0 + r.dx, g.w) ? __ldg(x + (c.base + r.off)) : 0.f;
    }
    __device__ float init(int m) const { return bias != nullptr && m < nOut ? __ldg(bias + __ldg(keptOut + m)) : 0.f; }
    struct Out { int base; int q; bool valid, keep; };
    __device__ Out outCol(int q) const {
        Out o;
        o.valid = q < NN();
        int p = g.oh * g.ow, n = o.valid ? q / p : 0;
        o.base = n * g.o * p + (q - n * p);
        o.q = q;
        o.keep = o.valid && (mask == nullptr || mask[q]);
        return o;
    }
    __device__ void store(int m, const Out& o, float acc) const {
        if (m < nOut && o.valid) y[o.base + __ldg(keptOut + m) * g.oh * g.ow] = o.keep ? acc : 0.f;
    }
};

// Grad input: m = kept input channel, column = input pixel (n, iy, ix), k = (kept filter, kh, kw).
struct Dx {
    const float* gy; const float* w; const uint8_t* mask; const int* keptOut; const int* keptIn; float* dx;
    Geo g; int nOut, nIn;

    __device__ int M() const { return nIn; }
    __device__ int NN() const { return g.n * g.h * g.w; }
    __device__ int K() const { return nOut * g.kh * g.kw; }
    __device__ int r1() const { return g.kh; }
    __device__ int r2() const { return g.kw; }

    struct Col { int base, mbase, ty0, tx0; bool valid; };
    __device__ Col col(int q) const {
        Col c;
        c.valid = q < NN();
        Pixel px = pixel_at(q, NN(), g.h, g.w);
        c.base = px.n * g.o * g.oh * g.ow;
        c.mbase = px.n * g.oh * g.ow;
        c.ty0 = px.y + g.ph;
        c.tx0 = px.x + g.pw;
        return c;
    }
    struct Row { int off, dy, dx; };
    __device__ Row row(const Digits& d) const {
        Row r;
        r.off = __ldg(keptOut + min(d.d0, nOut - 1)) * g.oh * g.ow;
        r.dy = d.d1 * g.dh;
        r.dx = d.d2 * g.dw;
        return r;
    }
    __device__ float a(const Digits& d, int m) const {
        if (m >= nIn) return 0.f;
        return __ldg(w + ((__ldg(keptOut + d.d0) * g.c + __ldg(keptIn + m)) * g.kh + d.d1) * g.kw + d.d2);
    }
    // the output (oy, ox) that reads this input pixel through tap (kh, kw), if any
    __device__ float b(const Row& r, const Col& c) const {
        int ty = c.ty0 - r.dy, tx = c.tx0 - r.dx;
        if (!c.valid || ty < 0 || tx < 0) return 0.f;
        int oy = g.sh == 1 ? ty : ty / g.sh, ox = g.sw == 1 ? tx : tx / g.sw;
        if (oy * g.sh != ty || ox * g.sw != tx || oy >= g.oh || ox >= g.ow) return 0.f;
        int pix = oy * g.ow + ox;
        if (mask != nullptr && !mask[c.mbase + pix]) return 0.f;
        return __ldg(gy + c.base + r.off + pix);
    }
    __device__ float init(int) const { return 0.f; }
    struct Out { int base; bool valid; };
    __device__ Out outCol(int q) const {
        Out o;
        o.valid = q < NN();
        int hw = g.h * g.w, n = o.valid ? q / hw : 0;
        o.base = n * g.c * hw + (q - n * hw);
        return o;
    }
    __device__ void store(int m, const Out& o, float acc) const {
        if (m < nIn && o.valid) dx[o.base + __ldg(keptIn + m) * g.h * g.w] = acc;
    }
};

// Grad weight: m = kept filter, column = (kept channel, kh, kw), k = output pixel (n, oy, ox);
// the pixel range is split over blockIdx.z and the partial sums are added atomically.
struct Dw {
    const float* x; const float* gy; const uint8_t* mask; const int* keptOut; const int* keptIn; float* dw;
    Geo g; int nOut, nIn;

    __device__ int M() const { return nOut; }
    __device__ int NN() const { return nIn * g.kh * g.kw; }
    __device__ int K() const { return g.n * g.oh * g.ow; }
    __device__ int r1() const { return g.oh; }
    __device__ int r2() const { return g.ow; }

    struct Col { int off, dy, dx; bool valid; };
    __device__ Col col(int j) const {
        Col c;
        c.valid = j < NN();
        int jj = c.valid ? j : 0, kk = g.kh * g.kw;
        int ci = jj / kk, r = jj - ci * kk, kh = r / g.kw, kw = r - kh * g.kw;
        c.off = __ldg(keptIn + ci) * g.h * g.w;
        c.dy = kh * g.dh;
        c.dx = kw * g.dw;
        return c;
    }
    struct Row { int base, iy0, ix0; };
    __device__ Row row(const Digits& d) const {
        Row r;
        r.base = d.d0 * g.c * g.h * g.w;
        r.iy0 = d.d1 * g.sh - g.ph;
        r.ix0 = d.d2 * g.sw - g.pw;
        return r;
    }
    __device__ float a(const Digits& d, int m) const {
        if (m >= nOut) return 0.f;
        int pix = d.d1 * g.ow + d.d2;
        if (mask != nullptr && !mask[d.d0 * g.oh * g.ow + pix]) return 0.f;
        return __ldg(gy + (d.d0 * g.o + __ldg(keptOut + m)) * g.oh * g.ow + pix);
    }
    __device__ float b(const Row& r, const Col& c) const {
        int iy = r.iy0 + c.dy, ix = r.ix0 + c.dx;
        return c.valid && inside(iy, g.h) && inside(ix, g.w) ? __ldg(x + r.base + c.off + iy * g.w + ix) : 0.f;
    }
    __device__ float init(int) const { return 0.f; }
    struct Out { int widx; bool valid; };
    __device__ Out outCol(int j) const {
        Out o;
        o.valid = j < NN();
        int jj = o.valid ? j : 0, kk = g.kh * g.kw, ci = jj / kk;
        o.widx = __ldg(keptIn + ci) * kk + (jj - ci * kk);
        return o;
    }
    __device__ void store(int m, const Out& o, float acc) const {
        if (m < nOut && o.valid) atomicAdd(dw + __ldg(keptOut + m) * g.c * g.kh * g.kw + o.widx, acc);
    }
};

// One block computes a TM x TN tile of C with 128 threads, each an RM x 8 register block: rows
// ty*4+i (and TM/2+ty*4+i when RM = 8), columns tx*4+j and TN/2+tx*4+j (split in halves so that the
// float4 reads of shared memory by a quarter warp hit distinct banks). A and B stages are double-buffered in
// shared memory; the next stage is fetched into registers while the current one is multiplied.
// Each accumulator sums its k in ascending order, one fmaf at a time (the forward's bit-exactness).
template <int TM, int TN, int RM, class P>
__device__ __forceinline__ void gemm_tile(const P& p, int kBegin, int kEnd, bool skipMaskedTiles) {
    static_assert(RM == 4 || RM == 8, "4 or 8 rows per thread");
    static_assert((TM / RM) * (TN / 8) == THREADS, "RM x 8 outputs per thread, 128 threads");
    static_assert(TN % THREADS == 0 && TM % 16 == 0, "loader mapping");
    constexpr int AN = TM / 16;      // A values each thread loads per stage (THREADS / BK = 16 rows of m)
    constexpr int BC = TN / THREADS; // B columns each thread loads (all BK rows of each)
    constexpr int TXN = TN / 8;
    __shared__ __align__(16) float As[2][BK][TM + 4];  // +4: the A stores (kk varies fastest) spread over banks
    __shared__ __align__(16) float Bs[2][BK][TN];

    const int t = threadIdx.x, tx = t % TXN, ty = t / TXN;
    const int m0 = blockIdx.y * TM, n0 = blockIdx.x * TN;
    const int akk = t % BK, amm = t / BK;

    typename P::Col cols[BC];
    bool any = false;
#pragma unroll
    for (int j = 0; j < BC; j++) {
        cols[j] = p.col(n0 + t + j * THREADS);
        any |= cols[j].valid;
    }
    // a tile whose every output is masked (or past the end) computes nothing; its zeros are still stored
    if (skipMaskedTiles && !__syncthreads_or(any)) kEnd = kBegin;

    auto rowOf = [&](int i) { return i < 4 ? ty * 4 + i : TM / 2 + ty * 4 + i - 4; };
    float acc[RM][8];
#pragma unroll
    for (int i = 0; i < RM; i++) {
        float v = p.init(m0 + rowOf(i));
#pragma unroll
        for (int j = 0; j < 8; j++) acc[i][j] = v;
    }

    float ar[AN], br[BK][BC];
    auto fetch = [&](int k0) {
        int ka = k0 + akk;
        if (ka < kEnd) {
            Digits d;
            d.set(ka, p.r1(), p.r2());
#pragma unroll
            for (int i = 0; i < AN; i++) ar[i] = p.a(d, m0 + amm + 16 * i);
        } else {
#pragma unroll
            for (int i = 0; i < AN; i++) ar[i] = 0.f;
        }
        Digits d;
        d.set(k0, p.r1(), p.r2());
#pragma unroll
        for (int kk = 0; kk < BK; kk++) {
            bool live = k0 + kk < kEnd;
            typename P::Row r = p.row(d);
#pragma unroll
            for (int j = 0; j < BC; j++) br[kk][j] = live ? p.b(r, cols[j]) : 0.f;
            d.next(p.r1(), p.r2());
        }
    };
    auto stash = [&](int buf) {
#pragma unroll
        for (int i = 0; i < AN; i++) As[buf][akk][amm + 16 * i] = ar[i];
#pragma unroll
        for (int kk = 0; kk < BK; kk++) {
#pragma unroll
            for (int j = 0; j < BC; j++) Bs[buf][kk][t + j * THREADS] = br[kk][j];
        }
    };

    const int chunks = (kEnd - kBegin + BK - 1) / BK;
    if (chunks > 0) {
        fetch(kBegin);
        stash(0);
    }
    __syncthreads();
    for (int ch = 0; ch < chunks; ch++) {
        const int buf = ch & 1, k0 = kBegin + ch * BK, kvalid = min(BK, kEnd - k0);
        const bool more = ch + 1 < chunks;
        if (more) fetch(k0 + BK);
#pragma unroll
        for (int kk = 0; kk < BK; kk++) {
            if (kk < kvalid) {  // rows past K are skipped, not added as zeros: fmaf(0, 0, -0.f) is +0.f
                float av[RM];
                float4 a0 = *reinterpret_cast<const float4*>(&As[buf][kk][ty * 4]);
                av[0] = a0.x; av[1] = a0.y; av[2] = a0.z; av[3] = a0.w;
                if constexpr (RM == 8) {
                    float4 a1 = *reinterpret_cast<const float4*>(&As[buf][kk][TM / 2 + ty * 4]);
                    av[RM - 4] = a1.x; av[RM - 3] = a1.y; av[RM - 2] = a1.z; av[RM - 1] = a1.w;
                }
                float4 b0 = *reinterpret_cast<const float4*>(&Bs[buf][kk][tx * 4]);
                float4 b1 = *reinterpret_cast<const float4*>(&Bs[buf][kk][TN / 2 + tx * 4]);
                const float bv[8] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
#pragma unroll
                for (int i = 0; i < RM; i++) {
#pragma unroll
                    for (int j = 0; j < 8; j++) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
                }
            }
        }
        if (more) stash(buf ^ 1);
        __syncthreads();
    }

#pragma unroll
    for (int j = 0; j < 8; j++) {
        typename P::Out o = p.outCol(n0 + (j < 4 ? tx * 4 + j : TN / 2 + tx * 4 + j - 4));
#pragma unroll
        for (int i = 0; i < RM; i++) p.store(m0 + rowOf(i), o, acc[i][j]);
    }
}

}  // namespace nnc_sparse_conv

#define NNC_SC_GEO nnc_sparse_conv::geo(N, C, H, W, O, KH, KW, OH, OW, sh, sw, ph, pw, dh, dw)

// Structured kernels, named by tile TMxTN (RM rows per thread). Forward: grid (ceil(N*OH*OW / TN),
// ceil(nKeptOut / TM)), 128 threads; writes kept filters only: the launcher zeroes pruned filters
// with nnc_sparse_conv_zero_planes.
#define NNC_SC_STRUCTURED(TM, TN, RM)                                                                               \
    extern "C" __global__ void __launch_bounds__(128) nnc_sparse_conv_fwd_structured_##TM##x##TN(                   \
        const float* __restrict__ x, const float* __restrict__ w, const float* __restrict__ bias,                  \
        const uint8_t* __restrict__ mask, const int* __restrict__ keptOut, int nKeptOut,                           \
        const int* __restrict__ keptIn, int nKeptIn, float* __restrict__ y, NNC_SC_GEO_PARAMS) {                   \
        nnc_sparse_conv::Fwd p = {x, w, bias, mask, keptOut, keptIn, y, NNC_SC_GEO, nKeptOut, nKeptIn};            \
        nnc_sparse_conv::gemm_tile<TM, TN, RM>(p, 0, p.K(), mask != nullptr);                                           \
    }                                                                                                               \
    /* grid (ceil(N*H*W / TN), ceil(nKeptIn / TM)); channels not kept are zeroed by the launcher */                 \
    extern "C" __global__ void __launch_bounds__(128) nnc_sparse_conv_bwd_input_structured_##TM##x##TN(                   \
        const float* __restrict__ gy, const float* __restrict__ w, const uint8_t* __restrict__ mask,               \
        const int* __restrict__ keptOut, int nKeptOut, const int* __restrict__ keptIn, int nKeptIn,                \
        float* __restrict__ dx, NNC_SC_GEO_PARAMS) {                                                                \
        nnc_sparse_conv::Dx p = {gy, w, mask, keptOut, keptIn, dx, NNC_SC_GEO, nKeptOut, nKeptIn};                 \
        nnc_sparse_conv::gemm_tile<TM, TN, RM>(p, 0, p.K(), false);                                                     \
    }                                                                                                               \
    /* grid (ceil(nKeptIn*KH*KW / TN), ceil(nKeptOut / TM), splits); dw zero-filled before, added to */             \
    extern "C" __global__ void __launch_bounds__(128) nnc_sparse_conv_bwd_weight_structured_##TM##x##TN(                  \
        const float* __restrict__ x, const float* __restrict__ gy, const uint8_t* __restrict__ mask,               \
        const int* __restrict__ keptOut, int nKeptOut, const int* __restrict__ keptIn, int nKeptIn,                \
        float* __restrict__ dw_, int pixelsPerSplit, NNC_SC_GEO_PARAMS) {                                           \
        nnc_sparse_conv::Dw p = {x, gy, mask, keptOut, keptIn, dw_, NNC_SC_GEO, nKeptOut, nKeptIn};                \
        int k0 = blockIdx.z * pixelsPerSplit;                                                                       \
        nnc_sparse_conv::gemm_tile<TM, TN, RM>(p, k0, min(p.K(), k0 + pixelsPerSplit), false);                         \
    }

// Tile shapes by how many rows (kept filters or channels) there are: few rows take a wide pixel
// tile, so that each loaded pixel is used by every row; the half-size tiles (RM = 4) give twice the
// blocks when the 8x8 ones would leave SMs idle (e.g. 26 kept filters of a 28x28 layer).
NNC_SC_STRUCTURED(64, 128, 8)
NNC_SC_STRUCTURED(32, 256, 8)
NNC_SC_STRUCTURED(16, 512, 8)
NNC_SC_STRUCTURED(32, 128, 4)
NNC_SC_STRUCTURED(16, 256, 4)
#undef NNC_SC_STRUCTURED

// Grad bias: db[f] = sum of the unmasked gy of filter f (f = filters[i], or i without a list);
// grid (nFilters), 256 threads. Overwrites db[f]; the other entries are the caller's.
extern "C" __global__ void __launch_bounds__(256) nnc_sparse_conv_bwd_bias(
    const float* __restrict__ gy, const uint8_t* __restrict__ mask, const int* __restrict__ filters,
    float* __restrict__ db, int N, int O, int P) {
    __shared__ float part[256];
    const int f = filters != nullptr ? filters[blockIdx.x] : (int) blockIdx.x;
    float s = 0.f;
    for (int n = 0; n < N; n++) {
        const float* row = gy + ((long long) n * O + f) * P;
        for (int i = threadIdx.x; i < P; i += blockDim.x) {
            if (mask == nullptr || mask[(long long) n * P + i]) s += row[i];
        }
    }
    part[threadIdx.x] = s;
    __syncthreads();
    for (int half = blockDim.x / 2; half > 0; half >>= 1) {
        if ((int) threadIdx.x < half) part[threadIdx.x] += part[threadIdx.x + half];
        __syncthreads();
    }
    if (threadIdx.x == 0) db[f] = part[0];
}

// Zeroes whole planes t[n, planes[i], :] of an [N, channels, P] tensor: the pruned filters of the
// forward output, the unread input channels of grad input, the pruned entries of grad bias (N = P = 1).
// grid.y walks the planes (no per-element division), grid.x the positions of a plane; 256 threads.
extern "C" __global__ void __launch_bounds__(256) nnc_sparse_conv_zero_planes(float* __restrict__ t, const int* __restrict__ planes,
                                                                             int nPlanes, int N, int channels, long long P) {
    const int rows = N * nPlanes;  // < 2^31: the launcher bounds every tensor
    for (int r = blockIdx.y; r < rows; r += gridDim.y) {
        int n = r / nPlanes, pi = r - n * nPlanes;
        float* plane = t + ((long long) n * channels + planes[pi]) * P;
        for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < P; i += (long long) gridDim.x * blockDim.x) plane[i] = 0.f;
    }
}

#undef NNC_SC_GEO
#endif  // NNC_SPARSE_CONV_CU

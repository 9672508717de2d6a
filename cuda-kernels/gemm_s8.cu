// int8 GEMM ("TN", as torch._int_mm(A, B.t())) with a fused epilogue. Two implementations:
//   nnc_gemm_s8_mma       tensor cores, needs K % 16 == 0 and 16-byte aligned A and B (cp.async path)
//   nnc_gemm_s8_mma_anyk  tensor cores, any K (bytes gathered with bounds checks into the same tiles)
//   nnc_gemm_s8_dp4a      __dp4a on CUDA cores, any shape (fallback / cross-check)
// All three have the same signature and the same semantics, bit for bit, as the CPU twin
// dev.nncompress.backend.ref.ReferenceGemmS8:
//
//   A: M x K int8 row-major (activations); B: N x K int8 row-major (weights [out, in], PyTorch's
//   Linear layout). acc[m][n] = sum_k A[m,k] * B[n,k] in int32 (exact for K <= 131072; beyond, the
//   sum wraps modulo 2^32 exactly like Java int arithmetic, never saturates).
//   If zp_a != 0: acc -= zp_a * wsum[n], wsum[n] = sum_k B[n,k] (precomputed; may be null when zp_a == 0),
//   which turns the product into sum_k (A[m,k] - zp_a) * B[n,k] for asymmetric activations.
//   mode OUT_S32: C[m][n] = acc (int32).
//   mode OUT_F32: y = (float) acc * scale[n] (+ bias[n] when bias != null), then if relu: y = y < 0 ? 0 : y;
//                 C[m][n] = y (float). scale[n] = scaleA * scaleW[n] folded on the host (per tensor:
//                 all equal).
//   mode OUT_S8:  the same y, then q = clamp(rint(y / out_scale) + out_zp, -128, 127) with float
//                 division, rintf (half to even) and fminf/fmaxf, i.e. QuantArithmetic.quantizeS8;
//                 C[m][n] = q (int8).
//   C: M x N row-major. Every step is an explicitly rounded intrinsic (__int2float_rn, __fmul_rn,
//   __fadd_rn, __fdiv_rn) so that nvcc cannot contract a multiply and an add into an FMA: the Java
//   twin performs the same IEEE operations in the same order.
// Launch (the Java launcher GemmS8 and the harness use the constants below):
//   mma kernels:  grid (ceil(N/128), ceil(M/128)), block 128, dynamic shared memory 65536 bytes.
//   dp4a kernel:  grid (ceil(N/64), ceil(M/64)), block 256, no dynamic shared memory.
#ifndef NNC_GEMM_S8_CU
#define NNC_GEMM_S8_CU

#include <cstdint>

namespace nnc_gemm_s8 {

enum : int { OUT_S32 = 0, OUT_F32 = 1, OUT_S8 = 2 };

// ---- tensor-core tiling ------------------------------------------------------------------------
// Block tile 128 x 128 x 64 with 4 warps of 64 x 64 (2 x 2), 4 stages of cp.async, 64 KiB of shared
// memory. Why this and not 128 x 256 with 8 warps: the 64 x 64 warp tile is what sets the shared
// memory traffic per mma (8 ldmatrix.x4 = 4 KiB per 32 mma.m16n8k32, i.e. 128 B per mma, the SM's
// shared-memory bandwidth per clock), and it is the same in both; 128 x 128 with 64 KiB fits twice
// on an A100/H100 SM (2 x 4 warps = 8 warps per SM, like one 128 x 256 block) and once on sm_75,
// whose opt-in limit is exactly 64 KiB, so one configuration serves every architecture we build.
constexpr int BM = 128, BN = 128, BK = 64;  // BK in bytes = int8 elements
constexpr int STAGES = 4;
constexpr int WARPS_N = 2, THREADS = 128;
constexpr int WM = 64, WN = 64;             // warp tile
constexpr int MI = WM / 16, NI = WN / 8;    // m16n8k32 tiles per warp: 4 x 8
constexpr int CHUNKS = BK / 16;             // 16-byte chunks per tile row: 4
constexpr int A_STAGE_BYTES = BM * BK, B_STAGE_BYTES = BN * BK;
constexpr int STAGE_BYTES = A_STAGE_BYTES + B_STAGE_BYTES;
constexpr int SMEM_BYTES = STAGES * STAGE_BYTES;  // 65536
static_assert(SMEM_BYTES <= 64 * 1024, "sm_75's opt-in limit of dynamic shared memory per block");
constexpr int LOAD_ITERS = BM * CHUNKS / THREADS;  // 16-byte chunks per thread per operand: 4
static_assert(BM == BN, "the loader walks A and B tiles with the same map");
static_assert(BM * CHUNKS % THREADS == 0, "whole chunks per thread");
static_assert(THREADS / CHUNKS * LOAD_ITERS == BM, "loader covers the tile");

// Shared-memory layout of one operand tile: row r (an m of A or an n of B) holds its 64 K-bytes as
// 4 chunks of 16 bytes; chunk c is stored at chunk position c ^ ((r >> 1) & 3). Unswizzled, the 8
// rows one ldmatrix phase reads (same c, rows 8j..8j+7, 64-byte stride) would fall into 2 of the 8
// 16-byte bank groups (4-way conflict); swizzled, bank group = 4 * (r & 1) + (c ^ ((r >> 1) & 3)) takes
// all 8 values. The same holds for the loader's 16-byte stores (8 threads = rows r, r+1 x 4 chunks).
__host__ __device__ __forceinline__ int smem_offset(int row, int chunk) {
    return row * BK + ((chunk ^ ((row >> 1) & 3)) << 4);
}

// Loader map: thread t copies chunk (t & 3) of rows (t >> 2) + 32 * i, i < LOAD_ITERS, so 4
// consecutive threads read one row's 64 contiguous bytes from global memory. Rows 32 apart have the
// same swizzle, so iteration i's shared offset is iteration 0's plus i * LOAD_SMEM_STEP.
constexpr int LOAD_ROW_STEP = THREADS / CHUNKS, LOAD_SMEM_STEP = LOAD_ROW_STEP * BK;
static_assert(LOAD_ROW_STEP % 8 == 0, "the swizzle term (row >> 1) & 3 repeats every 8 rows");
__host__ __device__ __forceinline__ int load_row(int tid, int i) { return (tid >> 2) + LOAD_ROW_STEP * i; }
__host__ __device__ __forceinline__ int load_chunk(int tid) { return tid & 3; }

// ldmatrix.x4 address maps. ldmatrix delivers to lane l, from matrix j (8 rows x 16 bytes whose row
// addresses come from lanes 8j..8j+7), the 4 bytes at row l/4, bytes 4*(l%4)..+3: exactly one .b32
// register of an m16n8k32 fragment (PTX ISA, "Matrix Fragments for mma.m16n8k32").
//  A (16 rows x 32 k of one k-step ks): a0 = rows 0-7/k 0-15, a1 = rows 8-15/k 0-15,
//    a2 = rows 0-7/k 16-31, a3 = rows 8-15/k 16-31 -> matrix j: rows 8*(j&1).., chunk 2*ks + (j>>1).
//  B (two n8 tiles x 32 k): b0/b1 of tile 0 (n 0-7, k 0-15 / 16-31), then b0/b1 of tile 1 (n 8-15)
//    -> matrix j: rows 8*(j>>1).., chunk 2*ks + (j&1).
__host__ __device__ __forceinline__ int a_frag_row(int lane) { return ((lane >> 3) & 1) * 8 + (lane & 7); }
__host__ __device__ __forceinline__ int a_frag_chunk(int lane, int ks) { return 2 * ks + (lane >> 4); }
__host__ __device__ __forceinline__ int b_frag_row(int lane) { return (lane >> 4) * 8 + (lane & 7); }
__host__ __device__ __forceinline__ int b_frag_chunk(int lane, int ks) { return 2 * ks + ((lane >> 3) & 1); }

// Accumulator map of m16n8k32 (c0..c3): row (lane >> 2) + 8 * (r >> 1), column 2 * (lane & 3) + (r & 1).
__host__ __device__ __forceinline__ int acc_row(int lane, int r) { return (lane >> 2) + 8 * (r >> 1); }
__host__ __device__ __forceinline__ int acc_col(int lane, int r) { return 2 * (lane & 3) + (r & 1); }

// ---- epilogue (shared by all kernels) --------------------------------------------------------------
struct Epilogue {
    int mode;
    const float* scale;
    const float* bias;
    int relu;
    float out_scale;
    int out_zp;
    int zp_a;
    const int* wsum;
};

__device__ __forceinline__ int corrected(int acc, int n, const Epilogue& e) {
    // unsigned arithmetic: wraps like Java int instead of being undefined on overflow
    return e.zp_a == 0 ? acc : (int) ((unsigned) acc - (unsigned) e.zp_a * (unsigned) e.wsum[n]);
}

__device__ __forceinline__ float affine(int acc, int n, const Epilogue& e) {
    float y = __fmul_rn(__int2float_rn(acc), e.scale[n]);
    if (e.bias != nullptr) y = __fadd_rn(y, e.bias[n]);
    if (e.relu) y = y < 0.f ? 0.f : y;  // NaN stays NaN, -0 stays -0: the twin does the same
    return y;
}

__device__ __forceinline__ int8_t requantize(float y, const Epilogue& e) {
    float v = __fadd_rn(rintf(__fdiv_rn(y, e.out_scale)), (float) e.out_zp);
    return (int8_t) (int) fminf(127.f, fmaxf(-128.f, v));
}

// Writes the finished accumulators of columns n and n + 1 of row m (n even), checking bounds; the
// pair is stored as one vector when both are inside and N is even (then the address is aligned).
__device__ __forceinline__ void store_pair(void* C, int M, int N, int m, int n, int acc0, int acc1, const Epilogue& e) {
    if (m >= M || n >= N) return;
    const size_t idx = (size_t) m * N + n;
    const bool both = n + 1 < N, vec = both && (N & 1) == 0;
    int v0 = corrected(acc0, n, e), v1 = both ? corrected(acc1, n + 1, e) : 0;
    if (e.mode == OUT_S32) {
        int* c = static_cast<int*>(C) + idx;
        if (vec) *reinterpret_cast<int2*>(c) = make_int2(v0, v1);
        else { c[0] = v0; if (both) c[1] = v1; }
        return;
    }
    float y0 = affine(v0, n, e), y1 = both ? affine(v1, n + 1, e) : 0.f;
    if (e.mode == OUT_F32) {
        float* c = static_cast<float*>(C) + idx;
        if (vec) *reinterpret_cast<float2*>(c) = make_float2(y0, y1);
        else { c[0] = y0; if (both) c[1] = y1; }
    } else {
        int8_t* c = static_cast<int8_t*>(C) + idx;
        int8_t q0 = requantize(y0, e), q1 = both ? requantize(y1, e) : 0;
        if (vec) *reinterpret_cast<char2*>(c) = make_char2(q0, q1);
        else { c[0] = q0; if (both) c[1] = q1; }
    }
}

__device__ __forceinline__ void store_one(void* C, int N, int m, int n, int acc, const Epilogue& e) {
    const size_t idx = (size_t) m * N + n;
    int v = corrected(acc, n, e);
    if (e.mode == OUT_S32) static_cast<int*>(C)[idx] = v;
    else if (e.mode == OUT_F32) static_cast<float*>(C)[idx] = affine(v, n, e);
    else static_cast<int8_t*>(C)[idx] = requantize(affine(v, n, e), e);
}

// ---- PTX wrappers ---------------------------------------------------------------------------------
// Under the CPU emulation (NNC_EMULATE, cuda-kernels/emu/ptx_emu.h) each instruction is a warp-collective
// emulation from the PTX ISA's definition, and the sm_80 / sm_75 choice is made at run time
// (nnc_emu::ptx_target, the emulated device's 90 by default) so that one build checks both forms.
#if defined(NNC_EMULATE)
#define NNC_S8_SM80 (nnc_emu::ptx_target >= 80)
#elif defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
#define NNC_S8_SM80 true
#else
#define NNC_S8_SM80 false
#endif

__device__ __forceinline__ uint32_t smem_addr(const void* p) { return (uint32_t) __cvta_generic_to_shared(p); }

// 16-byte global -> shared copy, zero-filled when !valid (src is then not read). sm_80+: cp.async
// (L2 only, .cg: the tiles are reused through shared memory, not L1); sm_75: a plain synchronous copy,
// which the pipeline's barriers order just as well.
__device__ __forceinline__ void copy16(int8_t* dst, const int8_t* src, bool valid) {
    if (NNC_S8_SM80) {
#if defined(NNC_EMULATE)
        nnc_emu::ptx::cp_async_cg_16(dst, src, valid ? 16 : 0);
#elif defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
        asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smem_addr(dst)), "l"(src), "r"(valid ? 16 : 0)
                     : "memory");
#endif
        return;
    }
    uint4 v = valid ? *reinterpret_cast<const uint4*>(src) : make_uint4(0, 0, 0, 0);
    *reinterpret_cast<uint4*>(dst) = v;
}

// Any-K variant: the first `avail` (may be <= 0) of 16 bytes at src, zero beyond, gathered byte by
// byte (no alignment needed) and stored as one 16-byte chunk.
__device__ __forceinline__ void gather16(int8_t* dst, const int8_t* src, int avail) {
    uint32_t w[4] = {0, 0, 0, 0};
#pragma unroll
    for (int j = 0; j < 16; j++) {
        if (j < avail) w[j >> 2] |= (uint32_t) (uint8_t) src[j] << (8 * (j & 3));
    }
    *reinterpret_cast<uint4*>(dst) = make_uint4(w[0], w[1], w[2], w[3]);
}

__device__ __forceinline__ void cp_async_commit() {
    if (!NNC_S8_SM80) return;  // sm_75 copies synchronously
#if defined(NNC_EMULATE)
    nnc_emu::ptx::cp_async_commit_group();
#elif defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    asm volatile("cp.async.commit_group;\n" ::: "memory");
#endif
}

template <int N>
__device__ __forceinline__ void cp_async_wait() {
    if (!NNC_S8_SM80) return;
#if defined(NNC_EMULATE)
    nnc_emu::ptx::cp_async_wait_group(N);
#elif defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory");
#endif
}

__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], uint32_t addr) {
#if defined(NNC_EMULATE)
    nnc_emu::ptx::ldmatrix_x4_b16(r, addr);
#else
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(addr));
#endif
}

// sm_75's int8 mma: m8n8k16, fragments a = row lane/4, k 4*(lane%4)..+3; b = k 4*(lane%4)..+3,
// column lane/4; c = row lane/4, columns 2*(lane%4), +1.
__device__ __forceinline__ void mma_8816(int& d0, int& d1, uint32_t a, uint32_t b) {
#if defined(NNC_EMULATE)
    nnc_emu::ptx::mma_m8n8k16_s8(d0, d1, a, b);
#else
    asm volatile("mma.sync.aligned.m8n8k16.row.col.s32.s8.s8.s32 {%0, %1}, {%2}, {%3}, {%0, %1};\n"
                 : "+r"(d0), "+r"(d1)
                 : "r"(a), "r"(b));
#endif
}

// d += a * b for one m16n8k32 tile. On sm_75 the same fragments feed four m8n8k16: a0/a2 are rows
// 0-7 of k 0-15/16-31, a1/a3 rows 8-15, b0/b1 k 0-15/16-31, and d0,d1 / d2,d3 rows 0-7 / 8-15, which
// are exactly the m8n8k16 fragments (the harness checks this decomposition on the CPU).
__device__ __forceinline__ void mma_16832(int (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
    if (NNC_S8_SM80) {
#if defined(NNC_EMULATE)
        nnc_emu::ptx::mma_m16n8k32_s8(d, a, b);
#elif defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
        asm volatile("mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
                     "{%0, %1, %2, %3};\n"
                     : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3])
                     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
#endif
        return;
    }
    mma_8816(d[0], d[1], a[0], b[0]);
    mma_8816(d[0], d[1], a[2], b[1]);
    mma_8816(d[2], d[3], a[1], b[0]);
    mma_8816(d[2], d[3], a[3], b[1]);
}

// ---- tensor-core kernel body ----------------------------------------------------------------------
// Copies k-tiles of the block's A rows [bm, bm+128) and B rows [bn, bn+128) into a stage. Rows past M
// or N and K bytes past K become zeros, so they add nothing to the sums. Everything that does not
// change with the k-tile (row pointers, row validity, shared offsets) is computed once per thread:
// the loop then costs one compare, one select and one pointer add per 16-byte copy.
template <bool kAligned>
struct TileLoader {
    const int8_t* a;    // this thread's first chunk of A: row bm + load_row(tid, 0), byte load_chunk(tid) * 16
    const int8_t* b;
    const int8_t* a0;   // any valid address, for zero-filled copies (not read)
    const int8_t* b0;
    size_t row_step;    // LOAD_ROW_STEP rows of K bytes
    unsigned rows_a;    // bit i: row load_row(tid, i) is inside M (resp. N)
    unsigned rows_b;
    int k_chunk;        // load_chunk(tid) * 16
    int smem_off;       // smem_offset(load_row(tid, 0), load_chunk(tid)); iteration i adds i * LOAD_SMEM_STEP
    int K;

    __device__ __forceinline__ TileLoader(const int8_t* A, const int8_t* B, int M, int N, int K_, int bm, int bn, int tid) {
        const int r0 = load_row(tid, 0), chunk = load_chunk(tid);
        k_chunk = chunk * 16;
        K = K_;
        a0 = A;
        b0 = B;
        a = A + (size_t) (bm + r0) * K + k_chunk;
        b = B + (size_t) (bn + r0) * K + k_chunk;
        row_step = (size_t) LOAD_ROW_STEP * K;
        rows_a = rows_b = 0;
#pragma unroll
        for (int i = 0; i < LOAD_ITERS; i++) {
            rows_a |= (bm + load_row(tid, i) < M ? 1u : 0u) << i;
            rows_b |= (bn + load_row(tid, i) < N ? 1u : 0u) << i;
        }
        smem_off = smem_offset(r0, chunk);
    }

    __device__ __forceinline__ void load(int8_t* smem, int stage, int kt) const {
        int8_t* sA = smem + stage * STAGE_BYTES + smem_off;
        int8_t* sB = sA + A_STAGE_BYTES;
        const int k = kt * BK + k_chunk;
        const bool k_in = k < K;  // with K % 16 == 0 (kAligned) the whole chunk is then inside K
        const int8_t* pa = a + kt * BK;
        const int8_t* pb = b + kt * BK;
#pragma unroll
        for (int i = 0; i < LOAD_ITERS; i++) {
            const bool okA = k_in && ((rows_a >> i) & 1u), okB = k_in && ((rows_b >> i) & 1u);
            if (kAligned) {
                copy16(sA + i * LOAD_SMEM_STEP, okA ? pa : a0, okA);
                copy16(sB + i * LOAD_SMEM_STEP, okB ? pb : b0, okB);
            } else {
                gather16(sA + i * LOAD_SMEM_STEP, okA ? pa : a0, okA ? K - k : 0);
                gather16(sB + i * LOAD_SMEM_STEP, okB ? pb : b0, okB ? K - k : 0);
            }
            pa += row_step;
            pb += row_step;
        }
    }
};

template <bool kAligned>
__device__ __forceinline__ void mma_gemm(const int8_t* __restrict__ A, const int8_t* __restrict__ B, void* C, int M,
                                         int N, int K, const Epilogue& e) {
#ifdef NNC_EMULATE
    int8_t* smem = (int8_t*) nnc_emu::dynamic_shared();  // the launch's dynamic shared memory, per block
#else
    extern __shared__ __align__(128) int8_t nnc_gemm_s8_smem[];
    int8_t* smem = nnc_gemm_s8_smem;
#endif
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int wm = warp / WARPS_N, wn = warp % WARPS_N;
    const int bm = blockIdx.y * BM, bn = blockIdx.x * BN;
    const int ktiles = (K + BK - 1) / BK;
    const TileLoader<kAligned> loader(A, B, M, N, K, bm, bn, tid);

    int acc[MI][NI][4];
#pragma unroll
    for (int mi = 0; mi < MI; mi++)
#pragma unroll
        for (int ni = 0; ni < NI; ni++)
#pragma unroll
            for (int r = 0; r < 4; r++) acc[mi][ni][r] = 0;

    // Prologue: tiles 0..STAGES-2 in flight, one commit group each (empty groups keep the count
    // uniform, so that wait_group<STAGES-2> below always means "tile kt has landed").
#pragma unroll
    for (int s = 0; s < STAGES - 1; s++) {
        if (s < ktiles) loader.load(smem, s, s);
        cp_async_commit();
    }

    // Each lane's ldmatrix rows are 8-aligned row bases plus a_frag_row / b_frag_row, whose swizzle
    // term ((row >> 1) & 3) depends on the lane only; smem_offset is still used as is (the compiler
    // folds it) so that the harness's CPU emulation checks the very same function.
    const int a_row = wm * WM + a_frag_row(lane), b_row = wn * WN + b_frag_row(lane);

    for (int kt = 0; kt < ktiles; kt++) {
        cp_async_wait<STAGES - 2>();  // this thread's copies of tile kt are done...
        __syncthreads();              // ...and everyone's; everyone also finished computing tile kt-1
        // refill the stage computed in iteration kt-1 with tile kt + STAGES - 1
        const int next = kt + STAGES - 1;
        if (next < ktiles) loader.load(smem, next % STAGES, next);
        cp_async_commit();

        const int8_t* sA = smem + (kt % STAGES) * STAGE_BYTES;
        const uint32_t aBase = smem_addr(sA), bBase = smem_addr(sA + A_STAGE_BYTES);
#pragma unroll
        for (int ks = 0; ks < BK / 32; ks++) {
            uint32_t af[MI][4], bf[NI][2];
#pragma unroll
            for (int mi = 0; mi < MI; mi++) ldmatrix_x4(af[mi], aBase + smem_offset(a_row + mi * 16, a_frag_chunk(lane, ks)));
#pragma unroll
            for (int p = 0; p < NI / 2; p++) {
                uint32_t t[4];
                ldmatrix_x4(t, bBase + smem_offset(b_row + p * 16, b_frag_chunk(lane, ks)));
                bf[2 * p][0] = t[0];
                bf[2 * p][1] = t[1];
                bf[2 * p + 1][0] = t[2];
                bf[2 * p + 1][1] = t[3];
            }
#pragma unroll
            for (int mi = 0; mi < MI; mi++)
#pragma unroll
                for (int ni = 0; ni < NI; ni++) mma_16832(acc[mi][ni], af[mi], bf[ni]);
        }
    }
    cp_async_wait<0>();  // nothing useful is left in flight, but leave no copy pending at exit

#pragma unroll
    for (int mi = 0; mi < MI; mi++)
#pragma unroll
        for (int ni = 0; ni < NI; ni++)
#pragma unroll
            for (int h = 0; h < 2; h++) {  // rows g and g + 8 of the m16 tile
                const int m = bm + wm * WM + mi * 16 + acc_row(lane, 2 * h);
                const int n = bn + wn * WN + ni * 8 + acc_col(lane, 2 * h);
                store_pair(C, M, N, m, n, acc[mi][ni][2 * h], acc[mi][ni][2 * h + 1], e);
            }
}

// ---- dp4a kernel tiling -----------------------------------------------------------------------------
// 64 x 64 block tile, 32 K-bytes (8 words) per step, 16 x 16 threads with 4 x 4 outputs each (rows
// ty + 16i, columns tx + 16j, so a warp's 16 tx read 16 consecutive shared words and store 16
// consecutive outputs).
constexpr int D_BM = 64, D_BN = 64, D_BKW = 8, D_THREADS = 256;

// Word (4 K-bytes starting at k) of row `row`, zero past the matrix. With K % 4 == 0 (kvec) a word is
// entirely inside or outside K and is read at once (4-byte aligned), otherwise byte by byte.
__device__ __forceinline__ int load_word(const int8_t* P, int row, int rows, int k, int K, bool kvec) {
    if (row >= rows || k >= K) return 0;
    const int8_t* p = P + (size_t) row * K + k;
    if (kvec) return *reinterpret_cast<const int*>(p);
    uint32_t w = 0;
    for (int j = 0; j < 4 && k + j < K; j++) w |= (uint32_t) (uint8_t) p[j] << (8 * j);
    return (int) w;
}

}  // namespace nnc_gemm_s8

#define NNC_GEMM_S8_PARAMS                                                                                     \
    const int8_t *__restrict__ A, const int8_t *__restrict__ B, void *__restrict__ C, int M, int N, int K, int mode, \
        const float *__restrict__ scale, const float *__restrict__ bias, int relu, float out_scale, int out_zp,    \
        int zp_a, const int *__restrict__ wsum
#define NNC_GEMM_S8_EPILOGUE nnc_gemm_s8::Epilogue{mode, scale, bias, relu, out_scale, out_zp, zp_a, wsum}

// min 2 blocks per SM: caps registers at 256 per thread (ptxas: 211-223 used, no spills), so that two
// blocks (2 x 64 KiB of shared memory) share an A100/H100 SM
extern "C" __global__ void __launch_bounds__(nnc_gemm_s8::THREADS, 2) nnc_gemm_s8_mma(NNC_GEMM_S8_PARAMS) {
    nnc_gemm_s8::mma_gemm<true>(A, B, C, M, N, K, NNC_GEMM_S8_EPILOGUE);
}

extern "C" __global__ void __launch_bounds__(nnc_gemm_s8::THREADS, 2) nnc_gemm_s8_mma_anyk(NNC_GEMM_S8_PARAMS) {
    nnc_gemm_s8::mma_gemm<false>(A, B, C, M, N, K, NNC_GEMM_S8_EPILOGUE);
}

extern "C" __global__ void __launch_bounds__(nnc_gemm_s8::D_THREADS) nnc_gemm_s8_dp4a(NNC_GEMM_S8_PARAMS) {
    using namespace nnc_gemm_s8;
    // +1 word of padding: the loader writes column `row` of 8 word-rows; without it the 4 rows x 8 words
    // a warp stores would hit 4 banks 8 times each
    __shared__ int As[D_BKW][D_BM + 1];
    __shared__ int Bs[D_BKW][D_BN + 1];
    const Epilogue e = NNC_GEMM_S8_EPILOGUE;
    const int tid = threadIdx.x, tx = tid & 15, ty = tid >> 4;
    const int bm = blockIdx.y * D_BM, bn = blockIdx.x * D_BN;
    const bool kvec = (K & 3) == 0;
    int acc[4][4];
#pragma unroll
    for (int i = 0; i < 4; i++)
#pragma unroll
        for (int j = 0; j < 4; j++) acc[i][j] = 0;

    for (int k0 = 0; k0 < K; k0 += 4 * D_BKW) {
#pragma unroll
        for (int r = 0; r < D_BM * D_BKW / D_THREADS; r++) {  // 2 words per thread and operand
            const int idx = tid + D_THREADS * r, row = idx / D_BKW, kw = idx % D_BKW;
            As[kw][row] = load_word(A, bm + row, M, k0 + 4 * kw, K, kvec);
            Bs[kw][row] = load_word(B, bn + row, N, k0 + 4 * kw, K, kvec);
        }
        __syncthreads();
#pragma unroll
        for (int kw = 0; kw < D_BKW; kw++) {
            int a[4], b[4];
#pragma unroll
            for (int i = 0; i < 4; i++) a[i] = As[kw][ty + 16 * i];
#pragma unroll
            for (int j = 0; j < 4; j++) b[j] = Bs[kw][tx + 16 * j];
#pragma unroll
            for (int i = 0; i < 4; i++)
#pragma unroll
                for (int j = 0; j < 4; j++) acc[i][j] = __dp4a(a[i], b[j], acc[i][j]);
        }
        __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < 4; i++)
#pragma unroll
        for (int j = 0; j < 4; j++) {
            const int m = bm + ty + 16 * i, n = bn + tx + 16 * j;
            if (m < M && n < N) store_one(C, N, m, n, acc[i][j], e);
        }
}

#undef NNC_GEMM_S8_PARAMS
#undef NNC_GEMM_S8_EPILOGUE
#undef NNC_S8_SM80

#endif  // NNC_GEMM_S8_CU

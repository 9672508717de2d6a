// Tiled single-precision GEMM, row-major, batched over gridDim.z:
//   C[z] = alpha * op(A[z]) x op(B[z]) + beta * C[z]   (beta == 0: C is not read, so it may hold garbage)
// op(A) is [M, K]: stored [M, K] with row pitch lda, or (transA) stored [K, M]; op(B) is [K, N]:
// stored [K, N] with pitch ldb, or (transB) stored [N, K]. Matrix z starts at X + offX + z * strideX
// (strideX = 0 broadcasts one matrix over the batch, e.g. conv weights).
// CPU twin: ReferenceBackend.matmul (RefMath.matmul, double accumulation); this kernel sums in float
// in k order, so it agrees with the twin to a relative error of a few 1e-7 * sqrt(K).
//
// Tiling (the classic register-blocked SGEMM): a 256-thread block computes a 128x128 tile of C,
// stepping through K 8 at a time. The A and B tiles are staged in shared memory k-major (As[k][m],
// Bs[k][n]) with a row pitch of 132 floats: 528 bytes keeps float4 reads 16-byte aligned and spreads
// the transposing stores of the non-contiguous operand over all 32 banks. Thread (ty, tx) = (tid/16,
// tid%16) owns rows {ty*4..+3, 64+ty*4..+3} and columns {tx*4..+3, 64+tx*4..+3}: per k, two float4
// of A (broadcast within a half warp) and two float4 of B (16 consecutive float4 per half warp,
// conflict-free), then 64 FMAs into an 8x8 accumulator. The next K tile is loaded from global memory
// into registers while the current one is multiplied. Edges: loads outside [M, K] / [K, N] read 0,
// stores outside [M, N] are skipped, so every size is correct (no alignment is assumed: scalar
// global loads).
#ifndef NNC_GEMM_F32_CU
#define NNC_GEMM_F32_CU

namespace nnc_gemm {
constexpr int BM = 128, BN = 128, BK = 8, THREADS = 256, PITCH = 132;

// Tile coordinates of element e (0..1023) of a staged tile. The mapping makes consecutive threads
// read consecutive addresses in global memory for both storage orders. Recomputed where needed
// (a few integer ops) rather than kept in registers, which spilled on sm_75/80 under the 128 cap.
__device__ __forceinline__ void a_coords(int e, int trans, int& mm, int& kk) {
    if (trans) { mm = e & (BM - 1); kk = e >> 7; } else { kk = e & (BK - 1); mm = e >> 3; }
}

__device__ __forceinline__ void b_coords(int e, int trans, int& kk, int& nn) {
    if (trans) { kk = e & (BK - 1); nn = e >> 3; } else { nn = e & (BN - 1); kk = e >> 7; }
}

// Element e of the A tile at (m0, k0), 0 outside op(A).
__device__ __forceinline__ float load_a(const float* A, int lda, int trans, int M, int K, int m0, int k0, int e) {
    int mm, kk;
    a_coords(e, trans, mm, kk);
    int m = m0 + mm, k = k0 + kk;
    if (m >= M || k >= K) return 0.f;
    return trans ? A[(long long) k * lda + m] : A[(long long) m * lda + k];
}

__device__ __forceinline__ float load_b(const float* B, int ldb, int trans, int K, int N, int k0, int n0, int e) {
    int kk, nn;
    b_coords(e, trans, kk, nn);
    int k = k0 + kk, n = n0 + nn;
    if (k >= K || n >= N) return 0.f;
    return trans ? B[(long long) n * ldb + k] : B[(long long) k * ldb + n];
}
}  // namespace nnc_gemm

extern "C" __global__ void __launch_bounds__(256, 2)
nnc_gemm_f32(const float* __restrict__ A, long long offA, long long strideA, int lda, int transA,
             const float* __restrict__ B, long long offB, long long strideB, int ldb, int transB,
             float* __restrict__ C, long long offC, long long strideC, int ldc,
             int M, int N, int K, float alpha, float beta) {
    using namespace nnc_gemm;
    __shared__ __align__(16) float As[BK][PITCH];
    __shared__ __align__(16) float Bs[BK][PITCH];
    const int tid = threadIdx.x;
    const int tx = tid & 15, ty = tid >> 4;
    const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
    A += offA + blockIdx.z * strideA;
    B += offB + blockIdx.z * strideB;
    C += offC + blockIdx.z * strideC;

    float acc[8][8];
#pragma unroll
    for (int i = 0; i < 8; i++) {
#pragma unroll
        for (int j = 0; j < 8; j++) acc[i][j] = 0.f;
    }
    float ra[4], rb[4];
#pragma unroll
    for (int i = 0; i < 4; i++) {
        ra[i] = load_a(A, lda, transA, M, K, m0, 0, tid + i * THREADS);
        rb[i] = load_b(B, ldb, transB, K, N, 0, n0, tid + i * THREADS);
    }
    for (int k0 = 0; k0 < K; k0 += BK) {
#pragma unroll
        for (int i = 0; i < 4; i++) {
            int mm, kk, nn;
            a_coords(tid + i * THREADS, transA, mm, kk);
            As[kk][mm] = ra[i];
            b_coords(tid + i * THREADS, transB, kk, nn);
            Bs[kk][nn] = rb[i];
        }
        __syncthreads();
        if (k0 + BK < K) {  // next tile's global loads overlap this tile's FMAs
#pragma unroll
            for (int i = 0; i < 4; i++) {
                ra[i] = load_a(A, lda, transA, M, K, m0, k0 + BK, tid + i * THREADS);
                rb[i] = load_b(B, ldb, transB, K, N, k0 + BK, n0, tid + i * THREADS);
            }
        }
#pragma unroll
        for (int kk = 0; kk < BK; kk++) {
            float4 a0 = *reinterpret_cast<const float4*>(&As[kk][ty * 4]);
            float4 a1 = *reinterpret_cast<const float4*>(&As[kk][64 + ty * 4]);
            float4 b0 = *reinterpret_cast<const float4*>(&Bs[kk][tx * 4]);
            float4 b1 = *reinterpret_cast<const float4*>(&Bs[kk][64 + tx * 4]);
            float a[8] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
            float b[8] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
#pragma unroll
            for (int i = 0; i < 8; i++) {
#pragma unroll
                for (int j = 0; j < 8; j++) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
            }
        }
        __syncthreads();  // everyone is done reading before the next tile overwrites As/Bs
    }
#pragma unroll
    for (int i = 0; i < 8; i++) {
        int m = m0 + (i < 4 ? ty * 4 + i : 64 + ty * 4 + i - 4);
        if (m >= M) continue;
#pragma unroll
        for (int j = 0; j < 8; j++) {
            int n = n0 + (j < 4 ? tx * 4 + j : 64 + tx * 4 + j - 4);
            if (n >= N) continue;
            float* c = C + (long long) m * ldc + n;
            *c = beta == 0.f ? alpha * acc[i][j] : alpha * acc[i][j] + beta * *c;
        }
    }
}
#endif  // NNC_GEMM_F32_CU

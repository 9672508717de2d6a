// CPU emulations of the inline-PTX instructions the int8 tensor-core GEMM (cuda-kernels/gemm_s8.cu)
// uses, for cuda_emu.h (which includes this at its end):
//   mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32   (sm_80+)
//   mma.sync.aligned.m8n8k16.row.col.s32.s8.s8.s32    (sm_75's form)
//   ldmatrix.sync.aligned.m8n8.x4.shared.b16
//   cp.async.cg.shared.global [dst], [src], 16, src-size; cp.async.commit_group; cp.async.wait_group N
//   __cvta_generic_to_shared (for the block's dynamic shared memory, the only shared memory these use)
// The fragment maps are the PTX ISA's tables ("Matrix Fragments for mma.m16n8k32", "... mma.m8n8k16",
// "ldmatrix"), written here once, from the ISA, not from the kernel: a kernel whose lanes hold the wrong
// elements gets wrong sums here as it would on a GPU; nothing is adapted to what the kernel expects.
// The warp-level instructions are collective: every lane publishes its operands (a barrier per warp,
// as the shuffles in cuda_emu.h), then each lane computes its own results from all 32. All 32 lanes
// must reach the same instruction (.sync.aligned): a lane that exited or is at another one aborts.
// cp.async is deferred, not immediate: a copy is performed when a wait_group retires its group (the
// latest moment the ISA allows), so a kernel that reads a stage before waiting for it reads what was
// there before, i.e. the poison the emulation fills dynamic shared memory with at each block's start.
#pragma once

namespace nnc_emu {

// The architecture whose instruction forms the emulated kernels take where device code branches on
// __CUDA_ARCH__ (gemm_s8.cu: cp.async and m16n8k32 from 80 on, else a plain copy and 4 x m8n8k16).
// 90: the emulated device's compute capability; the gemm_s8 harness also runs 75.
inline int ptx_target = 90;

[[noreturn]] inline void ptx_fail(const char* what) {
    std::fprintf(stderr, "emulator: block (%u,%u,%u) thread %u: %s\n", blockIdx.x, blockIdx.y, blockIdx.z, threadIdx.x, what);
    std::abort();
}

// The launch's dynamic shared memory (extern __shared__) of the block being run.
inline unsigned char* dynamic_shared() {
    if (block->dynamicShared.empty()) ptx_fail("the kernel uses dynamic shared memory, the launch gave it none");
    return block->dynamicShared.data();
}

}  // namespace nnc_emu

// A shared-space address (an offset into the block's dynamic shared memory) of a generic pointer.
inline size_t __cvta_generic_to_shared(const void* p) {
    auto& s = nnc_emu::block->dynamicShared;
    const auto* c = static_cast<const unsigned char*>(p);
    if (s.empty() || c < s.data() || c >= s.data() + s.size()) nnc_emu::ptx_fail("__cvta_generic_to_shared of a pointer outside shared memory");
    return (size_t) (c - s.data());
}

namespace nnc_emu::ptx {

// ---- fragment maps (PTX ISA), g = groupID = lane >> 2, t = threadID_in_group = lane % 4 ----------
struct Elem { int row, col; };
// m16n8k32 .s8: A = 4 .b32 registers of 4 elements a0..a15 (register i/4, byte i%4, low to high).
inline Elem a_m16n8k32(int lane, int i) {
    const int g = lane >> 2, t = lane & 3;
    return {(i < 4 || (i >= 8 && i < 12)) ? g : g + 8, t * 4 + (i & 3) + (i >= 8 ? 16 : 0)};
}
// B = 2 registers, b0..b7 (row = k, col = n).
inline Elem b_m16n8k32(int lane, int i) { return {(lane & 3) * 4 + (i & 3) + (i >= 4 ? 16 : 0), lane >> 2}; }
// C/D = 4 .s32 registers c0..c3.
inline Elem c_m16n8k32(int lane, int i) { return {i < 2 ? lane >> 2 : (lane >> 2) + 8, (lane & 3) * 2 + (i & 1)}; }
// m8n8k16 .s8: A = 1 register a0..a3, B = 1 register b0..b3, C/D = 2 registers c0, c1.
inline Elem a_m8n8k16(int lane, int i) { return {lane >> 2, (lane & 3) * 4 + i}; }
inline Elem b_m8n8k16(int lane, int i) { return {(lane & 3) * 4 + i, lane >> 2}; }
inline Elem c_m8n8k16(int lane, int i) { return {lane >> 2, (lane & 3) * 2 + i}; }

// One mma shape: its sizes, register counts and maps. inverse(): for each matrix element, the lane,
// register and byte that hold it, built from the forward maps (and checked to be one-to-one) so that a
// lane reads only the rows and columns of its own outputs.
template <int M_, int N_, int K_, int AR, int BR, int CR, Elem (*AMap)(int, int), Elem (*BMap)(int, int), Elem (*CMap)(int, int)>
struct MmaShape {
    static constexpr int M = M_, N = N_, K = K_, A_REGS = AR, B_REGS = BR, C_REGS = CR;
    struct Where { unsigned char lane = 255, reg = 0, byte = 0; };
    struct Inverse { Where a[M][K], b[K][N]; };
    static const Inverse& inverse() {
        static const Inverse inv = [] {
            Inverse v;
            for (int l = 0; l < 32; l++) {
                for (int i = 0; i < 4 * AR; i++) put(v.a[AMap(l, i).row][AMap(l, i).col], l, i);
                for (int i = 0; i < 4 * BR; i++) put(v.b[BMap(l, i).row][BMap(l, i).col], l, i);
            }
            for (auto& r : v.a) for (auto& w : r) if (w.lane == 255) std::abort();  // a map leaves an element out
            for (auto& r : v.b) for (auto& w : r) if (w.lane == 255) std::abort();
            return v;
        }();
        return inv;
    }
    static void put(Where& w, int lane, int i) {
        if (w.lane != 255) std::abort();  // two lanes would hold one element: the map is wrong
        w = {(unsigned char) lane, (unsigned char) (i / 4), (unsigned char) (i % 4)};
    }
    static Elem c(int lane, int i) { return CMap(lane, i); }
};
using M16N8K32 = MmaShape<16, 8, 32, 4, 2, 4, a_m16n8k32, b_m16n8k32, c_m16n8k32>;
using M8N8K16 = MmaShape<8, 8, 16, 1, 1, 2, a_m8n8k16, b_m8n8k16, c_m8n8k16>;

// ---- the warp exchange ----------------------------------------------------------------------------
enum Kind : uint32_t { KIND_MMA_16832 = 1, KIND_MMA_8816, KIND_LDMATRIX_X4 };

// Every lane of the warp publishes n (<= 6) words and then calls use(view), view(lane) giving that
// lane's words; checks that all 32 lanes are at the same collective instruction. One barrier per
// instruction: a lane has two slots and alternates between them, and a lane that has passed this
// instruction's barrier knows that every lane finished reading the previous instruction's slots (each
// had arrived here), so rewriting the slots of the one before is safe.
template <class F> void exchange(Kind kind, const uint32_t* words, int n, F use) {
    Block* b = block;
    const unsigned t = threadIdx.x, base = t & ~31u;
    if (base + 32 > blockDim.x) ptx_fail("a warp-collective instruction in a warp of fewer than 32 threads");
    const uint32_t seq = ++b->lanes[t].count;
    Block::Lane& me = b->lanes[t].slot[seq & 1];
    me.kind = kind;
    me.seq = seq;
    std::memcpy(me.words, words, (size_t) n * 4);
    NNC_EMU_WARP_BARRIER(b, t);
    for (unsigned l = base; l < base + 32; l++)
        if (b->lanes[l].slot[seq & 1].kind != kind || b->lanes[l].slot[seq & 1].seq != seq)
            ptx_fail("lanes of the warp are not all at the same .sync.aligned instruction (one exited or diverged)");
    use([&](int lane) -> const uint32_t* { return b->lanes[base + lane].slot[seq & 1].words; });
}

inline int8_t byte_of(uint32_t w, int b) { return (int8_t) (uint8_t) (w >> (8 * b)); }

// d += A * B with this lane's C registers; int32 sums wrap (no .satfinite), as on the device.
template <class S> void mma_s8(int* d, const uint32_t* a, const uint32_t* b, Kind kind) {
    uint32_t mine[S::A_REGS + S::B_REGS];
    std::memcpy(mine, a, sizeof(uint32_t) * S::A_REGS);
    std::memcpy(mine + S::A_REGS, b, sizeof(uint32_t) * S::B_REGS);
    const auto& inv = S::inverse();
    const int lane = (int) (threadIdx.x & 31u);
    exchange(kind, mine, S::A_REGS + S::B_REGS, [&](auto regs) {
        for (int r = 0; r < S::C_REGS; r++) {
            const Elem e = S::c(lane, r);
            unsigned s = (unsigned) d[r];
            for (int k = 0; k < S::K; k++) {
                const auto& wa = inv.a[e.row][k];
                const auto& wb = inv.b[k][e.col];
                s += (unsigned) ((int) byte_of(regs(wa.lane)[wa.reg], wa.byte) * (int) byte_of(regs(wb.lane)[S::A_REGS + wb.reg], wb.byte));
            }
            d[r] = (int) s;
        }
    });
}

inline void mma_m16n8k32_s8(int (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) { mma_s8<M16N8K32>(d, a, b, KIND_MMA_16832); }
inline void mma_m8n8k16_s8(int& d0, int& d1, uint32_t a, uint32_t b) {
    int d[2] = {d0, d1};
    mma_s8<M8N8K16>(d, &a, &b, KIND_MMA_8816);
    d0 = d[0];
    d1 = d[1];
}

// The 16 bytes of shared memory at a shared-space address, which must be 16-byte aligned and inside.
inline const unsigned char* shared_row(uint32_t addr) {
    auto& s = block->dynamicShared;
    if (addr % 16 != 0) ptx_fail("ldmatrix row address not 16-byte aligned");
    if ((size_t) addr + 16 > s.size()) ptx_fail("ldmatrix row outside the block's shared memory");
    return s.data() + addr;
}

// ldmatrix .m8n8 .x4 .b16: lanes 8j..8j+7 give the row addresses of matrix j (8 rows of 16 bytes);
// lane l receives in register j row l/4 of matrix j, elements 2(l%4) and 2(l%4)+1, i.e. bytes 4(l%4)..+3.
inline void ldmatrix_x4_b16(uint32_t (&r)[4], uint32_t addr) {
    const int lane = (int) (threadIdx.x & 31u);
    exchange(KIND_LDMATRIX_X4, &addr, 1, [&](auto regs) {
        for (int j = 0; j < 4; j++) std::memcpy(&r[j], shared_row(regs(8 * j + lane / 4)[0]) + 4 * (lane % 4), 4);
    });
}

// ---- cp.async (per thread: the copies not yet performed, and where each committed group ends) ----
// cp.async.cg.shared.global [dst], [src], 16, src_size: copies src_size bytes, zero-fills the rest of
// the 16; dst (shared) and src (global) 16-byte aligned. Performed at the wait that retires its group.
inline void cp_async_cg_16(void* dst, const void* src, int src_size) {
    if (src_size < 0 || src_size > 16) ptx_fail("cp.async src-size outside 0..16");
    const size_t at = __cvta_generic_to_shared(dst);
    if (at % 16 != 0 || at + 16 > block->dynamicShared.size()) ptx_fail("cp.async destination not a 16-byte aligned chunk of shared memory");
    if (src_size > 0 && (uintptr_t) src % 16 != 0) ptx_fail("cp.async source not 16-byte aligned (misaligned address on the device)");
    block->cpAsync[threadIdx.x].pending.push_back({(unsigned char*) dst, (const unsigned char*) src, src_size});
}

inline void cp_async_commit_group() {
    auto& q = block->cpAsync[threadIdx.x];
    q.groupEnds.push_back(q.pending.size());
}

// Retires this thread's oldest committed groups until at most n are pending (their copies happen now).
inline void cp_async_wait_group(int n) {
    auto& q = block->cpAsync[threadIdx.x];
    while ((int) q.groupEnds.size() > n) {
        const size_t end = q.groupEnds.front();
        for (size_t i = q.done; i < end; i++) {
            const auto& c = q.pending[i];
            std::memcpy(c.dst, c.src, (size_t) c.srcSize);
            std::memset(c.dst + c.srcSize, 0, (size_t) (16 - c.srcSize));
        }
        q.done = end;
        q.groupEnds.erase(q.groupEnds.begin());
    }
}

}  // namespace nnc_emu::ptx

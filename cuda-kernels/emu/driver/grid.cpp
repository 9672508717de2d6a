// Runs a kernel's grid on the calling thread: blocks one after another, each block's threads as
// fibers that switch only at __syncthreads and warp shuffles (cuda_emu.h built with
// NNC_EMU_FIBERS). The harness emulation (scripts/emulate-kernels.sh) runs threads as OS threads so
// that ThreadSanitizer can see races; here thousands of launches per JVM test made that minutes of
// context switches on 2 cores, so the driver trades race detection for speed. Barrier order is still
// checked: threads that wait at barriers nobody else reaches (a __syncthreads inside a branch some
// threads skip, a shuffle only part of a warp makes) end the launch with CUDA_ERROR_LAUNCH_FAILED.
// Launches are serialised (the fiber state and cuda_emu.h's grid state are global).
#include "../cuda_emu.h"
#include "driver_state.h"
#include "kernel_table.h"

#include <sys/mman.h>

#include <cstdint>

#include <mutex>
#include <vector>

// A fiber switch without system calls (swapcontext saves the signal mask with one, and a launch of
// 6,000 blocks x 256 threads made 3 million of them): saves the callee-saved registers, MXCSR and the
// x87 control word on the current stack, stores its pointer in *save, and continues on `next`'s stack.
extern "C" void nnc_fiber_switch(void** save, void* next);
asm(R"(
    .text
    .globl nnc_fiber_switch
    .hidden nnc_fiber_switch
    .type nnc_fiber_switch, @function
nnc_fiber_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size nnc_fiber_switch, .-nnc_fiber_switch
)");

namespace nnc_drv {
namespace {
constexpr std::size_t STACK_BYTES = 256 * 1024;  // per fiber; the kernels' locals are tile-sized arrays at most

struct Fiber {
    void* sp = nullptr;  // saved stack pointer while switched out
    char* stack = nullptr;
    bool done = false;
};

struct Scheduler {
    std::vector<Fiber> fibers;  // grown to the largest block seen; stacks kept between launches
    void* main = nullptr;
    unsigned current = 0, threads = 0, live = 0;
    const KernelEntry* entry = nullptr;
    void** params = nullptr;
    // one barrier for the block, one per warp of 32: arrivals this generation, and the generation
    unsigned blockArrived = 0, blockGeneration = 0;
    std::vector<unsigned> warpLive, warpArrived, warpGeneration;
    unsigned long long progress = 0;  // bumped by every arrival and exit: a round without it is a deadlock
    bool exitedInsideBarrier = false;
};
Scheduler s;

void yield() { nnc_fiber_switch(&s.fibers[s.current].sp, s.main); }

void release_if_complete() {
    if (s.blockArrived > 0 && s.blockArrived == s.live) { s.blockArrived = 0; s.blockGeneration++; }
}

void release_warp_if_complete(unsigned w) {
    if (s.warpArrived[w] > 0 && s.warpArrived[w] == s.warpLive[w]) { s.warpArrived[w] = 0; s.warpGeneration[w]++; }
}

// Where a fresh fiber starts (the first switch to it "returns" here); it never returns itself.
[[noreturn]] void fiber_main() {
    const unsigned t = s.current;
    s.entry->run(s.params);
    // an exited thread no longer counts at barriers (as on Volta and newer); waiting on it would hang
    s.fibers[t].done = true;
    s.live--;
    s.warpLive[t >> 5]--;
    if (s.blockArrived > 0 || s.warpArrived[t >> 5] > 0) s.exitedInsideBarrier = true;
    release_if_complete();
    release_warp_if_complete(t >> 5);
    s.progress++;
    void* dead;
    nnc_fiber_switch(&dead, s.main);
    __builtin_unreachable();
}

// Lays out a fresh fiber's stack as nnc_fiber_switch expects to find it: control words, six
// registers, then fiber_main as the return address (16-byte aligned as at a call).
void* fresh_stack(char* stack) {
    auto* top = (std::uint64_t*) (((std::uintptr_t) (stack + STACK_BYTES)) & ~(std::uintptr_t) 15);
    top[-1] = 0;                                   // fiber_main's own (never used) return address
    top[-2] = (std::uint64_t) (void*) &fiber_main;
    for (int r = 3; r <= 8; r++) top[-r] = 0;      // rbp, rbx, r12..r15
    std::uint32_t control[2];
    asm volatile("stmxcsr %0\n\tfnstcw %1" : "=m"(control[0]), "=m"(control[1]));
    std::uint32_t mxcsr = control[0], fpucw = control[1] & 0xffff;
    top[-9] = (std::uint64_t) mxcsr | ((std::uint64_t) fpucw << 32);
    return &top[-9];
}

// One block: false when its threads deadlocked at barriers.
bool run_block(unsigned bx) {
    s.threads = bx;
    s.live = bx;
    s.blockArrived = 0;
    const unsigned warps = (bx + 31) / 32;
    s.warpLive.assign(warps, 0);
    s.warpArrived.assign(warps, 0);
    s.warpGeneration.assign(warps, 0);
    for (unsigned t = 0; t < bx; t++) s.warpLive[t >> 5]++;
    for (unsigned t = 0; t < bx; t++) {
        s.fibers[t].done = false;
        s.fibers[t].sp = fresh_stack(s.fibers[t].stack);
    }
    while (s.live > 0) {
        const unsigned long long before = s.progress;
        for (unsigned t = 0; t < bx; t++) {
            if (s.fibers[t].done) continue;
            s.current = t;
            threadIdx = dim3(t, 0, 0);
            nnc_fiber_switch(&s.main, s.fibers[t].sp);
        }
        if (s.progress == before) return false;
    }
    return true;
}
}  // namespace

int run_grid(const KernelEntry& entry, void** params, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned sharedBytes) {
    static std::mutex one_launch;
    std::lock_guard<std::mutex> lock(one_launch);
    while (s.fibers.size() < bx) {
        Fiber f;
        f.stack = (char*) mmap(nullptr, STACK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        if ((void*) f.stack == MAP_FAILED) return OUT_OF_MEMORY;
        s.fibers.push_back(f);
    }
    s.entry = &entry;
    s.params = params;
    s.exitedInsideBarrier = false;
    gridDim = dim3(gx, gy, gz);
    blockDim = dim3(bx, 1, 1);
    // shuffle and warp-collective slots, __syncthreads_or's flag, cp.async queues and the dynamic shared
    // memory (its std::barriers go unused)
    nnc_emu::Block block((int) bx, sharedBytes);
    nnc_emu::block = &block;
    CUresult result = SUCCESS;
    for (unsigned z = 0; z < gz && result == SUCCESS; z++)
        for (unsigned y = 0; y < gy && result == SUCCESS; y++)
            for (unsigned x = 0; x < gx && result == SUCCESS; x++) {
                blockIdx = dim3(x, y, z);
                block.start();  // poisoned shared memory, no copy pending, as a fresh block finds it
                if (!run_block(bx)) {
                    note("%s: block (%u,%u,%u): threads wait at barriers the others never reach; launch failed", entry.name, x, y, z);
                    result = LAUNCH_FAILED;
                }
            }
    if (s.exitedInsideBarrier) note("%s: a thread exited while others waited at a barrier (undefined on older GPUs)", entry.name);
    nnc_emu::block = nullptr;
    return result;
}

}  // namespace nnc_drv

namespace nnc_emu {

void fiber_block_barrier() {
    using nnc_drv::s;
    const unsigned generation = s.blockGeneration;
    s.progress++;
    if (++s.blockArrived == s.live) {
        s.blockArrived = 0;
        s.blockGeneration++;
        return;
    }
    while (s.blockGeneration == generation) nnc_drv::yield();
}

void fiber_warp_barrier() {
    using nnc_drv::s;
    const unsigned w = s.current >> 5;
    const unsigned generation = s.warpGeneration[w];
    s.progress++;
    if (++s.warpArrived[w] == s.warpLive[w]) {
        s.warpArrived[w] = 0;
        s.warpGeneration[w]++;
        return;
    }
    while (s.warpGeneration[w] == generation) nnc_drv::yield();
}

}  // namespace nnc_emu

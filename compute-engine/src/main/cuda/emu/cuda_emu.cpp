// libcudaemu.so: a CPU emulator of the slice of the CUDA driver API that Hearth's FFM binding (CudaLibrary) binds,
// running Hearth's own kernels (the .cu files one directory up, compiled as host C++) instead of PTX.
//
// Why: there is no GPU in CI, and the parity tests (CudaLocalTrainer against the CPU engine) exercise the whole
// path above the driver — the Java launch sequence, every kernel's arithmetic, offsets, strides and launch
// shapes — so running them against this library in CI catches most mistakes before a card is at hand. It cannot
// catch what only hardware shows: PTX JIT failures, real concurrency between blocks, timing, memory limits.
//
// Model: device memory is host memory (a device pointer is a host address); every call is synchronous; a launch
// runs its blocks one after another, each block's threads as cooperative fibers switched at __syncthreads and at
// each warp shuffle, so barriers and shuffles have CUDA's semantics (kernels with neither run their threads as a
// plain loop). One launch at a time.
// HEARTH_CUDA_EMU_MEMORY=<bytes> caps allocations (cuMemAlloc then answers CUDA_ERROR_OUT_OF_MEMORY).
//
// Build: build-emu.sh (g++ -std=c++17 -O2 -ffp-contract=off -shared). Test tooling only: nothing here ships.
#include <ucontext.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "emu_prelude.h"

// The kernels, compiled as host code.
#include "../gpt.cu"
#include "../optim.cu"
#include "../sgemm.cu"

namespace emu {

ThreadState* current = nullptr;
dim3 gBlockIdx;
dim3 gBlockDim;
dim3 gGridDim;

namespace {

constexpr int kWarp = 32;
constexpr size_t kStackBytes = 64 * 1024;  // a kernel thread's locals are a few hundred bytes (and libm's)

enum class State { Runnable, AtBlockBarrier, AtWarpBarrier, Done };

using Thunk = void (*)(void**);

Thunk launchThunk = nullptr;
void** launchParams = nullptr;
std::vector<float> shuffleSlots;  // one per thread of the block

#if defined(__x86_64__) && !defined(HEARTH_EMU_UCONTEXT)
// A context switch of our own: glibc's swapcontext makes a sigprocmask system call each time, and a launch of
// 65536 threads with 9 barriers each would spend seconds in the kernel. This saves the callee-saved registers on
// the current stack, stores the stack pointer in *save and resumes `next`. MXCSR and the x87 control word are
// not switched: no kernel changes a rounding mode, so every fiber runs with the caller's.
extern "C" void emu_switch(void** save, void* next);
asm(R"(
.text
.globl emu_switch
.type emu_switch,@function
emu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
.size emu_switch, .-emu_switch
)");

struct Fiber {
    ThreadState ts;
    void* sp = nullptr;
    State state = State::Done;
    std::vector<char> stack;
};

std::vector<Fiber> fibers;
void* schedulerSp = nullptr;
Fiber* running = nullptr;

void switchToFiber(Fiber& f) { emu_switch(&schedulerSp, f.sp); }
void switchToScheduler() { emu_switch(&running->sp, schedulerSp); }

[[noreturn]] void fiberEntry() {
    launchThunk(launchParams);
    running->state = State::Done;
    switchToScheduler();  // never resumed
    __builtin_unreachable();
}

void startFiber(Fiber& f) {
    // The stack as emu_switch leaves it: [r15 r14 r13 r12 rbx rbp][return address = fiberEntry], the return
    // address 16-byte aligned so fiberEntry starts with the stack of a normal call.
    uintptr_t top = (uintptr_t)(f.stack.data() + f.stack.size()) & ~(uintptr_t)15;
    uintptr_t* ret = (uintptr_t*)(top - 16);
    *ret = (uintptr_t)&fiberEntry;
    uintptr_t* regs = ret - 6;
    for (int i = 0; i < 6; i++) regs[i] = 0;
    f.sp = regs;
}
#else
// Elsewhere, ucontext (correct, slower: a system call per switch).
struct Fiber {
    ThreadState ts;
    ucontext_t ctx;
    State state = State::Done;
    std::vector<char> stack;
};

std::vector<Fiber> fibers;
ucontext_t scheduler;
Fiber* running = nullptr;

void switchToFiber(Fiber& f) { swapcontext(&scheduler, &f.ctx); }
void switchToScheduler() { swapcontext(&running->ctx, &scheduler); }

void fiberEntry() {
    launchThunk(launchParams);
    running->state = State::Done;
}

void startFiber(Fiber& f) {
    getcontext(&f.ctx);
    f.ctx.uc_stack.ss_sp = f.stack.data();
    f.ctx.uc_stack.ss_size = f.stack.size();
    f.ctx.uc_link = &scheduler;
    makecontext(&f.ctx, fiberEntry, 0);
}
#endif

void yieldToScheduler(State s) {
    if (running == nullptr) {
        std::fprintf(stderr, "cuda-emu: a kernel marked barrier-free called __syncthreads or a warp shuffle\n");
        std::abort();
    }
    running->state = s;
    switchToScheduler();
}

dim3 threadOf(unsigned t) {
    return dim3{t % gBlockDim.x, (t / gBlockDim.x) % gBlockDim.y, t / (gBlockDim.x * gBlockDim.y)};
}

// A kernel with no barrier and no shuffle: its threads run one after another on the caller's stack.
void runBlockDirect(unsigned threads) {
    static ThreadState ts;
    running = nullptr;
    current = &ts;
    for (unsigned t = 0; t < threads; t++) {
        ts.tid = threadOf(t);
        launchThunk(launchParams);
    }
}

// Runs one block to completion; false on a deadlock (a barrier some live threads never reach).
bool runBlock(unsigned threads) {
    if (fibers.size() < threads) fibers.resize(threads);
    shuffleSlots.assign(threads, 0.0f);
    for (unsigned t = 0; t < threads; t++) {
        Fiber& f = fibers[t];
        if (f.stack.empty()) f.stack.resize(kStackBytes);
        f.ts.tid = threadOf(t);
        startFiber(f);
        f.state = State::Runnable;
    }
    for (;;) {
        bool ran = false;
        for (unsigned t = 0; t < threads; t++) {
            Fiber& f = fibers[t];
            if (f.state != State::Runnable) continue;
            running = &f;
            current = &f.ts;
            switchToFiber(f);
            ran = true;
        }
        running = nullptr;
        if (ran) continue;
        // Nobody runnable: release a warp whose live lanes all wait at a shuffle, else the block's barrier.
        bool released = false;
        for (unsigned w = 0; w * kWarp < threads; w++) {
            unsigned end = std::min<unsigned>(threads, (w + 1) * kWarp);
            bool any = false, all = true;
            for (unsigned t = w * kWarp; t < end; t++) {
                if (fibers[t].state == State::Done) continue;
                any = true;
                if (fibers[t].state != State::AtWarpBarrier) all = false;
            }
            if (any && all) {
                for (unsigned t = w * kWarp; t < end; t++) {
                    if (fibers[t].state == State::AtWarpBarrier) fibers[t].state = State::Runnable;
                }
                released = true;
            }
        }
        if (released) continue;
        bool anyLive = false, allAtBlock = true;
        for (unsigned t = 0; t < threads; t++) {
            if (fibers[t].state == State::Done) continue;
            anyLive = true;
            if (fibers[t].state != State::AtBlockBarrier) allAtBlock = false;
        }
        if (!anyLive) return true;
        if (!allAtBlock) return false;
        for (unsigned t = 0; t < threads; t++) {
            if (fibers[t].state == State::AtBlockBarrier) fibers[t].state = State::Runnable;
        }
    }
}

unsigned linearThread() {
    const dim3& t = current->tid;
    return t.x + t.y * gBlockDim.x + t.z * gBlockDim.x * gBlockDim.y;
}

}  // namespace

void syncthreads() { yieldToScheduler(State::AtBlockBarrier); }

float shflXor(float v, int laneMask) {
    unsigned me = linearThread();
    unsigned warpBase = me / kWarp * kWarp;
    shuffleSlots[me] = v;
    yieldToScheduler(State::AtWarpBarrier);  // every lane has written
    float r = shuffleSlots[warpBase + ((me - warpBase) ^ (unsigned)laneMask)];
    yieldToScheduler(State::AtWarpBarrier);  // every lane has read before any writes again
    return r;
}

// ---------------------------------------------------------------------------------------------- kernel table

template <typename... A, size_t... I>
void call(void (*f)(A...), void** p, std::index_sequence<I...>) {
    f(*static_cast<A*>(p[I])...);
}

template <typename... A>
void callAll(void (*f)(A...), void** p) {
    call(f, p, std::index_sequence_for<A...>{});
}

template <auto F>
void thunk(void** p) {
    callAll(F, p);
}

struct Kernel {
    Thunk thunk;
    /// Uses __syncthreads or a warp shuffle, so its threads need fibers; the others run as a plain loop
    /// (and abort if they ever reach a barrier).
    bool barriers;
};

const std::map<std::string, Kernel>& kernels() {
    static const std::map<std::string, Kernel> table = {
        {"encoder_forward", {&thunk<encoder_forward>, false}},
        {"encoder_backward_wte", {&thunk<encoder_backward_wte>, true}},
        {"encoder_backward_wpe", {&thunk<encoder_backward_wpe>, false}},
        {"layernorm_forward", {&thunk<layernorm_forward>, true}},
        {"layernorm_backward", {&thunk<layernorm_backward>, true}},
        {"layernorm_backward_params_partial", {&thunk<layernorm_backward_params_partial>, false}},
        {"column_sum_partial", {&thunk<column_sum_partial>, false}},
        {"column_reduce", {&thunk<column_reduce>, false}},
        {"softmax_causal_forward", {&thunk<softmax_causal_forward>, true}},
        {"softmax_causal_backward", {&thunk<softmax_causal_backward>, true}},
        {"gelu_forward", {&thunk<gelu_forward>, false}},
        {"gelu_backward", {&thunk<gelu_backward>, false}},
        {"residual_forward", {&thunk<residual_forward>, false}},
        {"softmax_xent_forward", {&thunk<softmax_xent_forward>, true}},
        {"softmax_xent_backward", {&thunk<softmax_xent_backward>, false}},
        {"sgemm", {&thunk<sgemm>, true}},
        {"sgemm_128", {&thunk<sgemm_128>, true}},
        {"adamw", {&thunk<adamw>, false}},
        {"accumulate", {&thunk<accumulate>, false}},
        {"pseudo_gradient", {&thunk<pseudo_gradient>, false}},
        {"zero_fill", {&thunk<zero_fill>, false}},
        {"sum_partials", {&thunk<sum_partials>, true}},
        {"sum_final", {&thunk<sum_final>, true}},
    };
    return table;
}

}  // namespace emu

// ---------------------------------------------------------------------------------------------- driver API

namespace {
constexpr int CUDA_SUCCESS = 0;
constexpr int CUDA_ERROR_INVALID_VALUE = 1;
constexpr int CUDA_ERROR_OUT_OF_MEMORY = 2;
constexpr int CUDA_ERROR_INVALID_IMAGE = 200;
constexpr int CUDA_ERROR_NOT_FOUND = 500;
constexpr int CUDA_ERROR_LAUNCH_FAILED = 719;

std::mutex lock;
std::map<void*, size_t> allocations;
size_t allocated = 0;
int dummyHandle[4];

size_t memoryLimit() {
    const char* s = std::getenv("HEARTH_CUDA_EMU_MEMORY");
    return s ? std::strtoull(s, nullptr, 10) : (size_t)4 << 30;  // 4 GiB: what the emulated card reports
}

const char* name(int code) {
    switch (code) {
        case CUDA_SUCCESS: return "CUDA_SUCCESS";
        case CUDA_ERROR_INVALID_VALUE: return "CUDA_ERROR_INVALID_VALUE";
        case CUDA_ERROR_OUT_OF_MEMORY: return "CUDA_ERROR_OUT_OF_MEMORY";
        case CUDA_ERROR_INVALID_IMAGE: return "CUDA_ERROR_INVALID_IMAGE";
        case CUDA_ERROR_NOT_FOUND: return "CUDA_ERROR_NOT_FOUND";
        case CUDA_ERROR_LAUNCH_FAILED: return "CUDA_ERROR_LAUNCH_FAILED";
        default: return nullptr;
    }
}
}  // namespace

extern "C" {

int cuGetErrorName(int code, const char** out) {
    const char* n = name(code);
    if (!n) return CUDA_ERROR_INVALID_VALUE;
    *out = n;
    return CUDA_SUCCESS;
}
int cuGetErrorString(int code, const char** out) {
    const char* n = name(code);
    if (!n) return CUDA_ERROR_INVALID_VALUE;
    *out = code == CUDA_ERROR_OUT_OF_MEMORY ? "out of memory (emulator)" : "emulated CUDA error";
    return CUDA_SUCCESS;
}
int cuInit(unsigned) { return CUDA_SUCCESS; }
int cuDriverGetVersion(int* v) { *v = 12020; return CUDA_SUCCESS; }
int cuDeviceGetCount(int* n) { *n = 1; return CUDA_SUCCESS; }
int cuDeviceGet(int* dev, int ordinal) {
    if (ordinal != 0) return CUDA_ERROR_INVALID_VALUE;
    *dev = 0;
    return CUDA_SUCCESS;
}
int cuDeviceGetName(char* out, int len, int) {
    std::snprintf(out, len, "Hearth CUDA emulator (CPU)");
    return CUDA_SUCCESS;
}
int cuDeviceGetAttribute(int* v, int attribute, int) {
    switch (attribute) {
        case 75: *v = 7; break;        // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR: as sm_75, the PTX target
        case 76: *v = 5; break;        // ..._MINOR
        case 16: *v = 1; break;        // MULTIPROCESSOR_COUNT
        case 97: *v = 65536; break;    // MAX_SHARED_MEMORY_PER_BLOCK_OPTIN (Turing's 64 KiB)
        case 8: *v = 49152; break;     // MAX_SHARED_MEMORY_PER_BLOCK
        case 1: *v = 1024; break;      // MAX_THREADS_PER_BLOCK
        case 10: *v = 32; break;       // WARP_SIZE
        default: *v = 0; break;
    }
    return CUDA_SUCCESS;
}
int cuDeviceTotalMem_v2(size_t* bytes, int) { *bytes = memoryLimit(); return CUDA_SUCCESS; }
int cuDevicePrimaryCtxRetain(void** ctx, int) { *ctx = &dummyHandle[0]; return CUDA_SUCCESS; }
int cuDevicePrimaryCtxRelease_v2(int) { return CUDA_SUCCESS; }
int cuCtxSetCurrent(void*) { return CUDA_SUCCESS; }
int cuCtxSynchronize() { return CUDA_SUCCESS; }

int cuMemAlloc_v2(unsigned long long* ptr, size_t bytes) {
    std::lock_guard<std::mutex> g(lock);
    if (bytes == 0) return CUDA_ERROR_INVALID_VALUE;
    if (allocated + bytes > memoryLimit()) return CUDA_ERROR_OUT_OF_MEMORY;
    void* p = std::aligned_alloc(256, (bytes + 255) / 256 * 256);
    if (!p) return CUDA_ERROR_OUT_OF_MEMORY;
    // All bits set: every float is a NaN, so a kernel that reads what nothing wrote (a buffer never initialised,
    // the padding past a slot's end) poisons its result and the parity tests fail, instead of reading zeros.
    std::memset(p, 0xFF, bytes);
    allocations[p] = bytes;
    allocated += bytes;
    *ptr = (unsigned long long)(uintptr_t)p;
    return CUDA_SUCCESS;
}
int cuMemFree_v2(unsigned long long ptr) {
    std::lock_guard<std::mutex> g(lock);
    auto it = allocations.find((void*)(uintptr_t)ptr);
    if (it == allocations.end()) return CUDA_ERROR_INVALID_VALUE;
    allocated -= it->second;
    allocations.erase(it);
    std::free((void*)(uintptr_t)ptr);
    return CUDA_SUCCESS;
}
int cuMemAllocHost_v2(void** p, size_t bytes) {
    *p = std::malloc(bytes);
    return *p ? CUDA_SUCCESS : CUDA_ERROR_OUT_OF_MEMORY;
}
int cuMemFreeHost(void* p) { std::free(p); return CUDA_SUCCESS; }
int cuMemcpyHtoD_v2(unsigned long long dst, const void* src, size_t n) {
    std::memcpy((void*)(uintptr_t)dst, src, n);
    return CUDA_SUCCESS;
}
int cuMemcpyDtoH_v2(void* dst, unsigned long long src, size_t n) {
    std::memcpy(dst, (const void*)(uintptr_t)src, n);
    return CUDA_SUCCESS;
}
int cuMemcpyHtoDAsync_v2(unsigned long long dst, const void* src, size_t n, void*) {
    return cuMemcpyHtoD_v2(dst, src, n);
}
int cuMemcpyDtoHAsync_v2(void* dst, unsigned long long src, size_t n, void*) {
    return cuMemcpyDtoH_v2(dst, src, n);
}
int cuMemsetD8_v2(unsigned long long p, unsigned char v, size_t n) {
    std::memset((void*)(uintptr_t)p, v, n);
    return CUDA_SUCCESS;
}
int cuMemsetD32_v2(unsigned long long p, unsigned v, size_t n) {
    unsigned* q = (unsigned*)(uintptr_t)p;
    for (size_t i = 0; i < n; i++) q[i] = v;
    return CUDA_SUCCESS;
}
int cuMemGetInfo_v2(size_t* freeBytes, size_t* total) {
    std::lock_guard<std::mutex> g(lock);
    *total = memoryLimit();
    *freeBytes = *total - allocated;
    return CUDA_SUCCESS;
}
int cuModuleLoadDataEx(void** module, const void* image, unsigned, void*, void*) {
    // The PTX itself is not compiled (the kernels are already host code); check it is Hearth's PTX text.
    const char* text = (const char*)image;
    if (!std::strstr(text, ".version") || !std::strstr(text, ".entry")) return CUDA_ERROR_INVALID_IMAGE;
    *module = &dummyHandle[1];
    return CUDA_SUCCESS;
}
int cuModuleGetFunction(void** fn, void*, const char* name) {
    auto it = emu::kernels().find(name);
    if (it == emu::kernels().end()) return CUDA_ERROR_NOT_FOUND;
    *fn = (void*)&it->second;
    return CUDA_SUCCESS;
}
int cuModuleUnload(void*) { return CUDA_SUCCESS; }
int cuFuncSetAttribute(void*, int, int) { return CUDA_SUCCESS; }
int cuLaunchKernel(void* fn, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                   unsigned shared, void*, void** params, void** extra) {
    std::lock_guard<std::mutex> g(lock);
    unsigned threads = bx * by * bz;
    if (!fn || threads == 0 || threads > 1024 || gx == 0 || gy == 0 || gz == 0 || gy > 65535 || gz > 65535
        || shared != 0 || extra != nullptr) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    const emu::Kernel* kernel = static_cast<const emu::Kernel*>(fn);
    emu::launchThunk = kernel->thunk;
    emu::launchParams = params;
    emu::gBlockDim = dim3{bx, by, bz};
    emu::gGridDim = dim3{gx, gy, gz};
    for (unsigned z = 0; z < gz; z++)
        for (unsigned y = 0; y < gy; y++)
            for (unsigned x = 0; x < gx; x++) {
                emu::gBlockIdx = dim3{x, y, z};
                if (!kernel->barriers) {
                    emu::runBlockDirect(threads);
                } else if (!emu::runBlock(threads)) {
                    std::fprintf(stderr, "cuda-emu: deadlock in block (%u,%u,%u): a barrier not all threads reach\n",
                                 x, y, z);
                    return CUDA_ERROR_LAUNCH_FAILED;
                }
            }
    return CUDA_SUCCESS;
}
int cuStreamCreate(void** s, unsigned) { *s = &dummyHandle[2]; return CUDA_SUCCESS; }
int cuStreamSynchronize(void*) { return CUDA_SUCCESS; }
int cuStreamDestroy_v2(void*) { return CUDA_SUCCESS; }
int cuEventCreate(void** e, unsigned) { *e = &dummyHandle[3]; return CUDA_SUCCESS; }
int cuEventRecord(void*, void*) { return CUDA_SUCCESS; }
int cuEventSynchronize(void*) { return CUDA_SUCCESS; }
int cuEventElapsedTime(float* ms, void*, void*) { *ms = 0.0f; return CUDA_SUCCESS; }
int cuEventDestroy_v2(void*) { return CUDA_SUCCESS; }

}  // extern "C"

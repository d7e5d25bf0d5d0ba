// Prelude that lets Hearth's .cu kernels compile as host C++ for the CPU emulator (libcudaemu.so): the CUDA
// keywords become plain C++, and threadIdx / blockIdx / __syncthreads / __shfl_xor_sync go to the emulator's
// cooperative scheduler (one fiber per CUDA thread, see cuda_emu.cpp). Test tooling only: nothing here ships.
#pragma once
#include <cfloat>
#include <cmath>
#include <cstddef>
#include <cstdint>

struct dim3 {
    unsigned x, y, z;
};

namespace emu {
struct ThreadState {
    dim3 tid;
};
extern ThreadState* current;
extern dim3 gBlockIdx;
extern dim3 gBlockDim;
extern dim3 gGridDim;
void syncthreads();
float shflXor(float v, int laneMask);
}  // namespace emu

#define __global__
#define __device__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static
#define threadIdx (emu::current->tid)
#define blockIdx (emu::gBlockIdx)
#define blockDim (emu::gBlockDim)
#define gridDim (emu::gGridDim)

inline void __syncthreads() { emu::syncthreads(); }
inline float __shfl_xor_sync(unsigned, float v, int laneMask) { return emu::shflXor(v, laneMask); }
inline unsigned min(unsigned a, unsigned b) { return a < b ? a : b; }
// Correctly rounded single operations (the emulator is built with -ffp-contract=off, so no fma either way).
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fsqrt_rn(float a) { return std::sqrt(a); }

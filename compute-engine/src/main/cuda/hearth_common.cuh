// Shared device helpers for Hearth's kernels (included by every .cu file here; not a kernel module itself).
//
// Determinism: every reduction below is a fixed tree (warp butterfly or shared-memory halving), never an
// atomic, so two runs of the same launch give the same bits. The butterfly gives every lane the same value
// because IEEE addition is commutative (lane l computes v_l + v_(l^o), lane l^o computes v_(l^o) + v_l).
#pragma once

#define HEARTH_WARP 32
#define HEARTH_FULL_MASK 0xffffffffu

__device__ __forceinline__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(HEARTH_FULL_MASK, v, o);
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(HEARTH_FULL_MASK, v, o));
    return v;
}

// Beyond this |x|, float tanh is +-1 to the last bit (Eigen's ptanh_float clamp).
#define HEARTH_TANH_CLAMP 7.90531110763549805f

// tanh(x) as the 13/6 rational approximation of Eigen's ptanh_float: the same function as the CPU engine's
// FastMath.tanh (dev.hearth.engine.model), so the GPU's GELU is the CPU's GELU and not a different approximation.
__device__ __forceinline__ float hearth_tanh(float x) {
    float c = fmaxf(-HEARTH_TANH_CLAMP, fminf(HEARTH_TANH_CLAMP, x));
    float x2 = c * c;
    float p = -2.76076847742355e-16f;
    p = p * x2 + 2.00018790482477e-13f;
    p = p * x2 + -8.60467152213735e-11f;
    p = p * x2 + 5.12229709037114e-08f;
    p = p * x2 + 1.48572235717979e-05f;
    p = p * x2 + 6.37261928875436e-04f;
    p = p * x2 + 4.89352455891786e-03f;
    p = p * c;
    float q = 1.19825839466702e-06f;
    q = q * x2 + 1.18534705686654e-04f;
    q = q * x2 + 2.26843463243900e-03f;
    q = q * x2 + 4.89352518554385e-03f;
    return p / q;
}

// GPT-2's gelu (tanh form): sqrt(2/pi) and the cubic coefficient, as GptCpuBackend.
#define HEARTH_GELU_SCALE 0.7978845608028654f
#define HEARTH_GELU_CUBIC 0.044715f
// Layer norm epsilon, GPT-2 / PyTorch's default (GptCpuBackend.LN_EPS).
#define HEARTH_LN_EPS 1e-5f

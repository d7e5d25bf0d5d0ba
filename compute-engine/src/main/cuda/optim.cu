// The local round's vector kernels: inner AdamW, gradient accumulation, the pseudo-gradient, and sums
// (the loss, the gradient's squared norm). Thread per element unless said otherwise; n counts floats.
//
// AdamW, accumulate and pseudo_gradient round every product and sum on its own (__fmul_rn, __fadd_rn, ...:
// no fused multiply-add), so given the same inputs they give the same bits as the CPU's plain-Java loops
// (AdamW.step, HostLocalTrainer); Java evaluates float expressions left to right with no contraction.

// One inner AdamW step over a run of n parameters that share a decay decision (PyTorch's rule, AdamW.java):
//   m = beta1*m + (1 - beta1)*g;  v = beta2*v + (1 - beta2)*g*g
//   p = p*decay - stepSize*m / (sqrt(v)/bc2Sqrt + eps)
// with stepSize = lr / (1 - beta1^t), bc2Sqrt = sqrt(1 - beta2^t) and decay = 1 - lr*weightDecay for matrices
// and embeddings, 1 for biases and layer norms: all computed on the host once per step, as AdamW.java does.
extern "C" __global__ void adamw(float* __restrict__ params, const float* __restrict__ grad,
                                float* __restrict__ m, float* __restrict__ v, unsigned n,
                                float beta1, float beta2, float eps, float stepSize, float bc2Sqrt, float decay) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    float g = grad[i];
    float mi = __fadd_rn(__fmul_rn(beta1, m[i]), __fmul_rn(1.0f - beta1, g));
    float vi = __fadd_rn(__fmul_rn(beta2, v[i]), __fmul_rn(__fmul_rn(1.0f - beta2, g), g));
    m[i] = mi;
    v[i] = vi;
    float denom = __fadd_rn(__fdiv_rn(__fsqrt_rn(vi), bc2Sqrt), eps);
    params[i] = __fsub_rn(__fmul_rn(params[i], decay), __fdiv_rn(__fmul_rn(stepSize, mi), denom));
}

// g (n) += w * gmb (n): a micro-batch's mean gradient into the round's accumulated gradient.
extern "C" __global__ void accumulate(float* __restrict__ g, const float* __restrict__ gmb, unsigned n, float w) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    g[i] = __fadd_rn(g[i], __fmul_rn(w, gmb[i]));
}

// out (n) = start (n) - working (n): the round's pseudo-gradient theta_start - theta_local.
extern "C" __global__ void pseudo_gradient(float* __restrict__ out, const float* __restrict__ start,
                                          const float* __restrict__ working, unsigned n) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    out[i] = __fsub_rn(start[i], working[i]);
}

// x (n) = 0 as a launch on the stream: a cuMemsetD32 would be ordered too (Hearth's stream is a blocking one) but
// is synchronous, a host round trip per zeroing.
extern "C" __global__ void zero_fill(float* __restrict__ x, unsigned n) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    x[i] = 0.0f;
}

// Block size of the two sum kernels (a power of two for the halving tree).
#define SUM_THREADS 256

// partial (gridDim.x) = per block, the sum in double of x (n) (square != 0: of x*x) over the elements
// i = blockIdx.x*256 + threadIdx.x + k*gridDim.x*256. Block 256 threads; the grid size must be the same on
// every call for the same bits (the caller fixes it), the block's threads are summed as a fixed tree.
// Double because a 124M-element sum of squares in float loses the small gradients (GradientClip.norm sums in
// double too); on consumer cards' 1/64-rate fp64 this is still memory-bound.
extern "C" __global__ void __launch_bounds__(SUM_THREADS)
sum_partials(double* __restrict__ partial, const float* __restrict__ x, unsigned n, unsigned square) {
    __shared__ double s[SUM_THREADS];
    double acc = 0.0;
    for (size_t i = (size_t)blockIdx.x * SUM_THREADS + threadIdx.x; i < n; i += (size_t)gridDim.x * SUM_THREADS) {
        double xi = x[i];
        acc += square ? xi * xi : xi;
    }
    s[threadIdx.x] = acc;
    __syncthreads();
    for (unsigned h = SUM_THREADS / 2; h > 0; h >>= 1) {
        if (threadIdx.x < h) s[threadIdx.x] += s[threadIdx.x + h];
        __syncthreads();
    }
    if (threadIdx.x == 0) partial[blockIdx.x] = s[0];
}

// out[0] (one double) = sum of partial (count), a fixed tree. One block of 256 threads.
extern "C" __global__ void __launch_bounds__(SUM_THREADS)
sum_final(double* __restrict__ out, const double* __restrict__ partial, unsigned count) {
    __shared__ double s[SUM_THREADS];
    double acc = 0.0;
    for (unsigned i = threadIdx.x; i < count; i += SUM_THREADS) acc += partial[i];
    s[threadIdx.x] = acc;
    __syncthreads();
    for (unsigned h = SUM_THREADS / 2; h > 0; h >>= 1) {
        if (threadIdx.x < h) s[threadIdx.x] += s[threadIdx.x + h];
        __syncthreads();
    }
    if (threadIdx.x == 0) out[0] = s[0];
}

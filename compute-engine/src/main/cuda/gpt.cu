// GPT-2 layer kernels (everything but the matrix multiplies, see sgemm.cu, and the optimizer, see optim.cu).
//
// The same function as dev.hearth.engine.model.GptCpuBackend, in the style of llm.c's train_gpt2_fp32.cu:
// activations are row-major (N = B*T rows); parameters are slices of the flat vector of ParameterLayout.gpt.
// fp32 throughout. No atomics: every sum is a fixed-order loop or tree, so results are bitwise reproducible.
// Every gradient kernel here that produces a parameter gradient overwrites it (the micro-batch gradient is
// written once per element and then accumulated by optim.cu's `accumulate`).
//
// Launch shapes are given per kernel: "thread per element" kernels take a 1-D grid of ceil(count / block)
// blocks; "warp per row" kernels take blocks of 128 threads (4 rows each) and ceil(rows / 4) blocks.
#include <cfloat>
#include "hearth_common.cuh"

// ------------------------------------------------------------------------------------------------ embeddings

// out (N, C) = wte[tokens[i]] (V, C) + wpe[i % T] (T, C), N = B*T. Thread per element of out.
extern "C" __global__ void encoder_forward(float* __restrict__ out, const int* __restrict__ tokens,
                                          const float* __restrict__ wte, const float* __restrict__ wpe,
                                          unsigned N, unsigned T, unsigned C) {
    size_t idx = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= (size_t)N * C) return;
    unsigned i = (unsigned)(idx / C);
    unsigned k = (unsigned)(idx % C);
    out[idx] = wte[(size_t)tokens[i] * C + k] + wpe[(size_t)(i % T) * C + k];
}

// Tokens staged in shared memory per pass of encoder_backward_wte: 4 KiB.
#define ENC_TOKEN_TILE 1024

// dwte (V, C) = sum over rows i with tokens[i] == v of dout (N, C); every row of dwte written (0 when unused).
// Grid (ceil(C / blockDim.x), V); thread per (v, k) walks the N rows in order (the CPU engine's order), the
// tokens staged in shared memory. Deterministic: no atomics, one writer per element.
extern "C" __global__ void encoder_backward_wte(float* __restrict__ dwte, const float* __restrict__ dout,
                                               const int* __restrict__ tokens, unsigned N, unsigned C) {
    __shared__ int tile[ENC_TOKEN_TILE];
    unsigned k = blockIdx.x * blockDim.x + threadIdx.x;
    int v = (int)blockIdx.y;
    float sum = 0.0f;
    for (unsigned i0 = 0; i0 < N; i0 += ENC_TOKEN_TILE) {
        unsigned count = min(ENC_TOKEN_TILE, N - i0);
        for (unsigned j = threadIdx.x; j < count; j += blockDim.x) tile[j] = tokens[i0 + j];
        __syncthreads();
        if (k < C) {
            for (unsigned j = 0; j < count; j++) {
                if (tile[j] == v) sum += dout[(size_t)(i0 + j) * C + k];
            }
        }
        __syncthreads();
    }
    if (k < C) dwte[(size_t)v * C + k] = sum;
}

// dwpe (Tmax, C): row t < T is the sum over b of dout (B, T, C) at (b, t); rows t >= T are 0 (a batch shorter
// than the model's context). Thread per element of dwpe, summing over b in order.
extern "C" __global__ void encoder_backward_wpe(float* __restrict__ dwpe, const float* __restrict__ dout,
                                               unsigned B, unsigned T, unsigned Tmax, unsigned C) {
    size_t idx = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= (size_t)Tmax * C) return;
    unsigned t = (unsigned)(idx / C);
    unsigned k = (unsigned)(idx % C);
    float sum = 0.0f;
    if (t < T) {
        for (unsigned b = 0; b < B; b++) sum += dout[((size_t)b * T + t) * C + k];
    }
    dwpe[idx] = sum;
}

// ------------------------------------------------------------------------------------------------ layer norm

// out (N, C) = (inp - mean) * rstd * weight (C) + bias (C); mean, rstd (N) kept for the backward pass.
// Warp per row, two passes over the row (mean, then variance) as the CPU engine.
extern "C" __global__ void layernorm_forward(float* __restrict__ out, float* __restrict__ mean,
                                            float* __restrict__ rstd, const float* __restrict__ inp,
                                            const float* __restrict__ weight, const float* __restrict__ bias,
                                            unsigned N, unsigned C) {
    unsigned lane = threadIdx.x % HEARTH_WARP;
    unsigned row = blockIdx.x * (blockDim.x / HEARTH_WARP) + threadIdx.x / HEARTH_WARP;
    if (row >= N) return;
    const float* x = inp + (size_t)row * C;
    float s = 0.0f;
    for (unsigned k = lane; k < C; k += HEARTH_WARP) s += x[k];
    float m = warp_sum(s) / C;
    float var = 0.0f;
    for (unsigned k = lane; k < C; k += HEARTH_WARP) {
        float d = x[k] - m;
        var += d * d;
    }
    var = warp_sum(var) / C;
    float r = 1.0f / sqrtf(var + HEARTH_LN_EPS);
    float* o = out + (size_t)row * C;
    for (unsigned k = lane; k < C; k += HEARTH_WARP) o[k] = (x[k] - m) * r * weight[k] + bias[k];
    if (lane == 0) {
        mean[row] = m;
        rstd[row] = r;
    }
}

// dinp (N, C) (+)= (weight * dout - mean(weight * dout) - norm * mean(weight * dout * norm)) * rstd, the input
// gradient of layernorm_forward; `accumulate` != 0 adds to dinp (the residual stream's gradient), 0 overwrites.
// Warp per row. The weight and bias gradients are layernorm_backward_params_partial's.
extern "C" __global__ void layernorm_backward(float* __restrict__ dinp, const float* __restrict__ dout,
                                             const float* __restrict__ inp, const float* __restrict__ mean,
                                             const float* __restrict__ rstd, const float* __restrict__ weight,
                                             unsigned N, unsigned C, unsigned accumulate) {
    unsigned lane = threadIdx.x % HEARTH_WARP;
    unsigned row = blockIdx.x * (blockDim.x / HEARTH_WARP) + threadIdx.x / HEARTH_WARP;
    if (row >= N) return;
    const float* x = inp + (size_t)row * C;
    const float* d = dout + (size_t)row * C;
    float* di = dinp + (size_t)row * C;
    float m = mean[row];
    float s = rstd[row];
    float dnormMean = 0.0f;
    float dnormNormMean = 0.0f;
    for (unsigned k = lane; k < C; k += HEARTH_WARP) {
        float norm = (x[k] - m) * s;
        float dnorm = weight[k] * d[k];
        dnormMean += dnorm;
        dnormNormMean += dnorm * norm;
    }
    dnormMean = warp_sum(dnormMean) / C;
    dnormNormMean = warp_sum(dnormNormMean) / C;
    for (unsigned k = lane; k < C; k += HEARTH_WARP) {
        float norm = (x[k] - m) * s;
        float val = (weight[k] * d[k] - dnormMean - norm * dnormNormMean) * s;
        di[k] = accumulate ? di[k] + val : val;
    }
}

// partial (chunks, 2C): for the rows [chunk * rowsPerChunk, +rowsPerChunk) of chunk = blockIdx.y,
// columns [0, C) hold sum(norm * dout) (the weight gradient's share) and [C, 2C) sum(dout) (the bias's).
// Grid (ceil(C / blockDim.x), ceil(N / rowsPerChunk)); thread per (chunk, column). column_reduce then sums
// the chunks in order into the layer norm's weight and bias, which are adjacent in the parameter layout.
extern "C" __global__ void layernorm_backward_params_partial(float* __restrict__ partial,
                                                            const float* __restrict__ dout,
                                                            const float* __restrict__ inp,
                                                            const float* __restrict__ mean,
                                                            const float* __restrict__ rstd,
                                                            unsigned N, unsigned C, unsigned rowsPerChunk) {
    unsigned k = blockIdx.x * blockDim.x + threadIdx.x;
    if (k >= C) return;
    unsigned r0 = blockIdx.y * rowsPerChunk;
    unsigned r1 = min(N, r0 + rowsPerChunk);
    float dw = 0.0f;
    float db = 0.0f;
    for (unsigned i = r0; i < r1; i++) {
        float d = dout[(size_t)i * C + k];
        float norm = (inp[(size_t)i * C + k] - mean[i]) * rstd[i];
        dw += norm * d;
        db += d;
    }
    partial[(size_t)blockIdx.y * 2 * C + k] = dw;
    partial[(size_t)blockIdx.y * 2 * C + C + k] = db;
}

// ------------------------------------------------------------------------------------------------ column sums

// partial (chunks, width) = per chunk of rowsPerChunk rows, the column sums of x (N, width) (a linear layer's
// bias gradient: the sum of dout's rows). Grid (ceil(width / blockDim.x), ceil(N / rowsPerChunk)).
extern "C" __global__ void column_sum_partial(float* __restrict__ partial, const float* __restrict__ x,
                                             unsigned N, unsigned width, unsigned rowsPerChunk) {
    unsigned k = blockIdx.x * blockDim.x + threadIdx.x;
    if (k >= width) return;
    unsigned r0 = blockIdx.y * rowsPerChunk;
    unsigned r1 = min(N, r0 + rowsPerChunk);
    float s = 0.0f;
    for (unsigned i = r0; i < r1; i++) s += x[(size_t)i * width + k];
    partial[(size_t)blockIdx.y * width + k] = s;
}

// dst (width) = sum over chunks, in order, of partial (chunks, width); overwrites dst. Thread per column.
extern "C" __global__ void column_reduce(float* __restrict__ dst, const float* __restrict__ partial,
                                        unsigned chunks, unsigned width) {
    unsigned k = blockIdx.x * blockDim.x + threadIdx.x;
    if (k >= width) return;
    float s = 0.0f;
    for (unsigned c = 0; c < chunks; c++) s += partial[(size_t)c * width + k];
    dst[k] = s;
}

// ------------------------------------------------------------------------------------------------ attention

// In place over att (rows, T) with rows = B*nh*T and row r = query position i = r % T of head r / T:
// the scores (already scaled by 1/sqrt(hs) in the GEMM) become the causal softmax over j <= i, and j > i
// become 0. Warp per row.
extern "C" __global__ void softmax_causal_forward(float* __restrict__ att, unsigned rows, unsigned T) {
    unsigned lane = threadIdx.x % HEARTH_WARP;
    unsigned row = blockIdx.x * (blockDim.x / HEARTH_WARP) + threadIdx.x / HEARTH_WARP;
    if (row >= rows) return;
    unsigned i = row % T;
    float* a = att + (size_t)row * T;
    float mx = -INFINITY;
    for (unsigned j = lane; j <= i; j += HEARTH_WARP) mx = fmaxf(mx, a[j]);
    mx = warp_max(mx);
    float sum = 0.0f;
    for (unsigned j = lane; j <= i; j += HEARTH_WARP) {
        float e = expf(a[j] - mx);
        a[j] = e;
        sum += e;
    }
    float inv = 1.0f / warp_sum(sum);
    for (unsigned j = lane; j <= i; j += HEARTH_WARP) a[j] *= inv;
    for (unsigned j = i + 1 + lane; j < T; j += HEARTH_WARP) a[j] = 0.0f;
}

// In place over datt (rows, T), the gradient of the probabilities att (rows, T): becomes the gradient of the
// scaled scores, dS = att * (datt - sum_j(att * datt)) * scale for j <= i, 0 for j > i. Warp per row.
extern "C" __global__ void softmax_causal_backward(float* __restrict__ datt, const float* __restrict__ att,
                                                  unsigned rows, unsigned T, float scale) {
    unsigned lane = threadIdx.x % HEARTH_WARP;
    unsigned row = blockIdx.x * (blockDim.x / HEARTH_WARP) + threadIdx.x / HEARTH_WARP;
    if (row >= rows) return;
    unsigned i = row % T;
    float* d = datt + (size_t)row * T;
    const float* p = att + (size_t)row * T;
    float dot = 0.0f;
    for (unsigned j = lane; j <= i; j += HEARTH_WARP) dot += p[j] * d[j];
    dot = warp_sum(dot);
    for (unsigned j = lane; j <= i; j += HEARTH_WARP) d[j] = p[j] * (d[j] - dot) * scale;
    for (unsigned j = i + 1 + lane; j < T; j += HEARTH_WARP) d[j] = 0.0f;
}

// ------------------------------------------------------------------------------------------------ GELU, residual

// out (n) = gelu(inp (n)), GPT-2's tanh form. Thread per element.
extern "C" __global__ void gelu_forward(float* __restrict__ out, const float* __restrict__ inp, unsigned n) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    float x = inp[i];
    float th = hearth_tanh(HEARTH_GELU_SCALE * (x + HEARTH_GELU_CUBIC * x * x * x));
    out[i] = 0.5f * x * (1.0f + th);
}

// In place: d (n) *= gelu'(inp (n)), carrying d(gelu(x)) back to d(x). Thread per element.
extern "C" __global__ void gelu_backward(float* __restrict__ d, const float* __restrict__ inp, unsigned n) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    float x = inp[i];
    float u = HEARTH_GELU_SCALE * (x + HEARTH_GELU_CUBIC * x * x * x);
    float th = hearth_tanh(u);
    float du = HEARTH_GELU_SCALE * (1.0f + 3.0f * HEARTH_GELU_CUBIC * x * x);
    d[i] *= 0.5f * (1.0f + th) + 0.5f * x * (1.0f - th * th) * du;
}

// out (n) = a (n) + b (n); out may be a (the residual connection added in place). Thread per element.
extern "C" __global__ void residual_forward(float* out, const float* a, const float* b, unsigned n) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    out[i] = a[i] + b[i];
}

// ------------------------------------------------------------------------------------------------ classifier

// In place over logits (N, V): each row becomes its softmax; losses (N) = -log(max(p[target], FLT_MIN)), the
// row's cross-entropy (the CPU engine's guard against log 0). Warp per row (V = 256: 8 values a lane).
extern "C" __global__ void softmax_xent_forward(float* __restrict__ logits, float* __restrict__ losses,
                                               const int* __restrict__ targets, unsigned N, unsigned V) {
    unsigned lane = threadIdx.x % HEARTH_WARP;
    unsigned row = blockIdx.x * (blockDim.x / HEARTH_WARP) + threadIdx.x / HEARTH_WARP;
    if (row >= N) return;
    float* x = logits + (size_t)row * V;
    unsigned target = (unsigned)targets[row];
    float mx = -INFINITY;
    for (unsigned k = lane; k < V; k += HEARTH_WARP) mx = fmaxf(mx, x[k]);
    mx = warp_max(mx);
    float sum = 0.0f;
    for (unsigned k = lane; k < V; k += HEARTH_WARP) {
        float e = expf(x[k] - mx);
        x[k] = e;
        sum += e;
    }
    float inv = 1.0f / warp_sum(sum);
    for (unsigned k = lane; k < V; k += HEARTH_WARP) {
        float p = x[k] * inv;
        x[k] = p;
        if (k == target) losses[row] = -logf(fmaxf(p, FLT_MIN)); // one lane owns the target's column
    }
}

// In place over probs (N, V) from softmax_xent_forward: d(mean loss)/d(logits) = (probs - onehot(target)) / N,
// computed as probs * invN, then - invN at the target (the CPU engine's order of operations). Thread per element.
extern "C" __global__ void softmax_xent_backward(float* __restrict__ probs, const int* __restrict__ targets,
                                                unsigned N, unsigned V, float invN) {
    size_t idx = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= (size_t)N * V) return;
    unsigned row = (unsigned)(idx / V);
    unsigned k = (unsigned)(idx % V);
    float d = __fmul_rn(probs[idx], invN); // no fma contraction: the CPU rounds the product first
    if (k == (unsigned)targets[row]) d -= invN;
    probs[idx] = d;
}

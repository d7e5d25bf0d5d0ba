// Tiled fp32 SGEMM, row-major, with transpose flags, strided batches and a bias epilogue: every matrix multiply
// of GPT-2's forward and backward (linear layers; attention's scores and values per (batch, head)).
//
//   C[z] (M, N) = alpha * op(A[z]) (M, K) * op(B[z]) (K, N) + beta * C[z] + bias (N)      (see `causal` below)
//
// op(A) is A (M, K) with row stride lda when transA == 0, and A stored (K, M) with row stride lda, read
// transposed, when transA != 0; likewise B: (K, N) or stored (N, K). beta == 0 never reads C (it may hold
// garbage); bias == 0 (a null pointer) adds none.
//
// Batches: blockIdx.z = z walks batchOuter * batchInner matrices; matrix z starts at
//   X + (z / batchInner) * strideOuterX + (z % batchInner) * strideInnerX   (in floats)
// for each of A, B, C. Two levels let attention address head h of batch b inside the (B, T, 3C) qkv buffer
// (outer stride T*3C, inner stride hs) with no permute kernel; a plain GEMM passes batchInner = 1, strides 0.
//
// Launch: block 256 threads, no dynamic shared memory; two tile shapes (below), same arguments. Each block computes
// one tile of C through k-tiles of A and B in shared memory; each thread a register tile at rows ty + 16i,
// columns tx + 16j (so a warp's shared reads are broadcasts or conflict-free and its global writes are 16
// consecutive floats). Deterministic: each element of C is one thread's sum over k = 0, 1, ..., K-1 in that order
// whatever the tile shape, so the two kernels give the same bits.

// causal: attention's (T, T) products, where half of each square is zero or unused (0 for every other product).
//   SG_CAUSAL_LOWER_C       only C's entries with column <= row are used (scores, and their gradient before the
//                           softmax backward): tiles wholly above the diagonal are skipped, left unwritten.
//   SG_CAUSAL_A_UPPER_ZERO  op(A)[m][k] == 0 for k > m (A = probabilities or their score gradient, (T, T)):
//                           k runs to the tile's last row only.
//   SG_CAUSAL_A_UPPER_ZERO_T op(A)[m][k] == 0 for k < m (A the same matrix read transposed): k starts at the
//                           tile's first row.
// The skipped terms are exact zeros, so the result has the same bits as the full product.
#define SG_CAUSAL_NONE 0
#define SG_CAUSAL_LOWER_C 1
#define SG_CAUSAL_A_UPPER_ZERO 2
#define SG_CAUSAL_A_UPPER_ZERO_T 3

// Both tile shapes use 256 threads as a 16 x 16 grid; thread (tx, ty) owns rows ty + 16i and columns tx + 16j of
// the block's tile.
#define SG_THREADS 256
// One float of padding per shared row: the transposed stores of a (row, k) load hit different banks.
#define SG_PAD 1

template <int BM, int BN, int BK>
__device__ __forceinline__ void sgemm_tile(
        unsigned transA, unsigned transB, unsigned M, unsigned N, unsigned K, float alpha,
        const float* __restrict__ A, unsigned lda, unsigned long long strideOuterA, unsigned long long strideInnerA,
        const float* __restrict__ B, unsigned ldb, unsigned long long strideOuterB, unsigned long long strideInnerB,
        float beta,
        float* __restrict__ C, unsigned ldc, unsigned long long strideOuterC, unsigned long long strideInnerC,
        const float* __restrict__ bias, unsigned batchInner, unsigned causal) {
    constexpr int TM = BM / 16;
    constexpr int TN = BN / 16;
    __shared__ float As[BK][BM + SG_PAD];
    __shared__ float Bs[BK][BN + SG_PAD];

    unsigned z = blockIdx.z;
    unsigned zo = z / batchInner;
    unsigned zi = z % batchInner;
    A += zo * strideOuterA + zi * strideInnerA;
    B += zo * strideOuterB + zi * strideInnerB;
    C += zo * strideOuterC + zi * strideInnerC;

    unsigned tid = threadIdx.x;
    unsigned tx = tid % 16;
    unsigned ty = tid / 16;
    unsigned row0 = blockIdx.y * BM;
    unsigned col0 = blockIdx.x * BN;
    // Causal attention's products skip what is known to be zero or never read (see SG_CAUSAL_* above).
    if (causal == SG_CAUSAL_LOWER_C && col0 > row0 + BM - 1) return; // the whole tile has j > i: masked anyway
    unsigned kBegin = causal == SG_CAUSAL_A_UPPER_ZERO_T ? row0 : 0;
    unsigned kEnd = causal == SG_CAUSAL_A_UPPER_ZERO ? min(K, row0 + BM) : K;

    float acc[TM][TN];
#pragma unroll
    for (int i = 0; i < TM; i++)
#pragma unroll
        for (int j = 0; j < TN; j++) acc[i][j] = 0.0f;

    for (unsigned k0 = kBegin; k0 < kEnd; k0 += BK) {
        // Each thread loads (BM*BK)/256 elements of A and (BN*BK)/256 of B; the index order follows the
        // operand's storage so that consecutive threads read consecutive addresses.
#pragma unroll
        for (int r = 0; r < (BM * BK) / SG_THREADS; r++) {
            unsigned idx = tid + r * SG_THREADS;
            unsigned m, k;
            if (transA) { k = idx / BM; m = idx % BM; } else { m = idx / BK; k = idx % BK; }
            unsigned gm = row0 + m;
            unsigned gk = k0 + k;
            float a = 0.0f;
            if (gm < M && gk < K) a = transA ? A[(size_t)gk * lda + gm] : A[(size_t)gm * lda + gk];
            As[k][m] = a;
        }
#pragma unroll
        for (int r = 0; r < (BN * BK) / SG_THREADS; r++) {
            unsigned idx = tid + r * SG_THREADS;
            unsigned n, k;
            if (transB) { n = idx / BK; k = idx % BK; } else { k = idx / BN; n = idx % BN; }
            unsigned gn = col0 + n;
            unsigned gk = k0 + k;
            float b = 0.0f;
            if (gn < N && gk < K) b = transB ? B[(size_t)gn * ldb + gk] : B[(size_t)gk * ldb + gn];
            Bs[k][n] = b;
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < BK; kk++) {
            float a[TM];
            float b[TN];
#pragma unroll
            for (int i = 0; i < TM; i++) a[i] = As[kk][ty + 16 * i];
#pragma unroll
            for (int j = 0; j < TN; j++) b[j] = Bs[kk][tx + 16 * j];
#pragma unroll
            for (int i = 0; i < TM; i++)
#pragma unroll
                for (int j = 0; j < TN; j++) acc[i][j] += a[i] * b[j];
        }
        __syncthreads();
    }

#pragma unroll
    for (int i = 0; i < TM; i++) {
        unsigned r = row0 + ty + 16 * i;
        if (r >= M) continue;
#pragma unroll
        for (int j = 0; j < TN; j++) {
            unsigned c = col0 + tx + 16 * j;
            if (c >= N) continue;
            float v = alpha * acc[i][j];
            size_t o = (size_t)r * ldc + c;
            if (beta != 0.0f) v += beta * C[o];
            if (bias != 0) v += bias[c];
            C[o] = v;
        }
    }
}

// 64 x 64 tiles, 16 deep, a 4 x 4 register tile per thread (8.3 KiB shared): for the small and thin products
// (attention's per-head matrices, small models) where 128-wide tiles would leave most of the card idle.
// Grid (ceil(N / 64), ceil(M / 64), batchOuter * batchInner).
extern "C" __global__ void __launch_bounds__(SG_THREADS)
sgemm(unsigned transA, unsigned transB, unsigned M, unsigned N, unsigned K, float alpha,
      const float* __restrict__ A, unsigned lda, unsigned long long strideOuterA, unsigned long long strideInnerA,
      const float* __restrict__ B, unsigned ldb, unsigned long long strideOuterB, unsigned long long strideInnerB,
      float beta,
      float* __restrict__ C, unsigned ldc, unsigned long long strideOuterC, unsigned long long strideInnerC,
      const float* __restrict__ bias, unsigned batchInner, unsigned causal) {
    sgemm_tile<64, 64, 16>(transA, transB, M, N, K, alpha, A, lda, strideOuterA, strideInnerA,
                           B, ldb, strideOuterB, strideInnerB, beta, C, ldc, strideOuterC, strideInnerC, bias,
                           batchInner, causal);
}

// 128 x 128 tiles, 8 deep, an 8 x 8 register tile per thread (8.3 KiB shared): twice the multiply-adds per
// shared-memory load of the 64 x 64 kernel, for the large linear layers. Same arguments and results;
// grid (ceil(N / 128), ceil(M / 128), batchOuter * batchInner).
extern "C" __global__ void __launch_bounds__(SG_THREADS)
sgemm_128(unsigned transA, unsigned transB, unsigned M, unsigned N, unsigned K, float alpha,
          const float* __restrict__ A, unsigned lda, unsigned long long strideOuterA,
          unsigned long long strideInnerA,
          const float* __restrict__ B, unsigned ldb, unsigned long long strideOuterB,
          unsigned long long strideInnerB,
          float beta,
          float* __restrict__ C, unsigned ldc, unsigned long long strideOuterC, unsigned long long strideInnerC,
          const float* __restrict__ bias, unsigned batchInner, unsigned causal) {
    sgemm_tile<128, 128, 8>(transA, transB, M, N, K, alpha, A, lda, strideOuterA, strideInnerA,
                            B, ldb, strideOuterB, strideInnerB, beta, C, ldc, strideOuterC, strideInnerC, bias,
                            batchInner, causal);
}

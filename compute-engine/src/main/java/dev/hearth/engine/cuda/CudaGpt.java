package dev.hearth.engine.cuda;

import dev.hearth.engine.model.ModelConfig;
import dev.hearth.engine.model.ParameterLayout;

/// GPT-2 forward and backward as a sequence of launches of Hearth's kernels, the same function as
/// {@link dev.hearth.engine.model.GptCpuBackend} step for step (same layout, same order of operations, the same
/// GELU and layer norm), on device memory: parameters and gradients are addresses into the flat vector of
/// {@link ParameterLayout#gpt}, activations slices of one allocation made for a (B, T) capacity.
///
/// Every activation the backward pass needs is kept per layer, as llm.c's `train_gpt2_fp32.cu` does; attention
/// keeps its (B, nh, T, T) probabilities. The micro-batch gradient is written, not accumulated: every parameter's
/// gradient element has exactly one writer (the untied `lm_head.w` included), so it needs no zeroing.
///
/// Not thread-safe; launches go to the context's one stream in order, so nothing here waits for the device
/// except {@link #downloadSum} (the loss).
final class CudaGpt implements AutoCloseable {

    /// Rows summed per chunk by the column-sum kernels (bias and layer-norm parameter gradients): 64 rows keep a
    /// thread's loop short, and N/64 chunks give the card enough blocks; the chunks are then summed in order.
    static final int ROWS_PER_CHUNK = 64;
    /// Blocks of the two-stage sum (loss, gradient norm): fixed, so the sum's tree and its bits never change.
    static final int SUM_BLOCKS = 256;

    private final KernelLauncher k;
    private final int layers;
    private final int c;
    private final int nh;
    private final int hs;
    private final int v;
    private final int tMax;
    /// The card's streaming multiprocessors (the SGEMM's tile choice).
    private final int multiprocessors;

    // Offsets (floats) of every tensor in the flat parameter vector.
    private final int wte;
    private final int wpe;
    private final int lnfW;
    private final int lmW;
    private final int[] ln1W;
    private final int[] qkvW;
    private final int[] qkvB;
    private final int[] projW;
    private final int[] projB;
    private final int[] ln2W;
    private final int[] fcW;
    private final int[] fcB;
    private final int[] fcProjW;
    private final int[] fcProjB;

    private final ActivationPlan s;
    private final DeviceBuffer memory;
    private final long base;

    CudaGpt(CudaContext context, KernelLauncher launcher, ModelConfig cfg, ParameterLayout layout, int bCap,
            int multiprocessors) {
        this.k = launcher;
        this.multiprocessors = multiprocessors;
        this.layers = cfg.layers();
        this.c = cfg.dModel();
        this.nh = cfg.heads();
        this.hs = cfg.headSize();
        this.v = cfg.vocab();
        this.tMax = cfg.context();
        wte = layout.tensor("wte").offset();
        wpe = layout.tensor("wpe").offset();
        lnfW = adjacentNorm(layout, "lnf");
        lmW = layout.tensor("lm_head.w").offset();
        ln1W = new int[layers];
        qkvW = new int[layers];
        qkvB = new int[layers];
        projW = new int[layers];
        projB = new int[layers];
        ln2W = new int[layers];
        fcW = new int[layers];
        fcB = new int[layers];
        fcProjW = new int[layers];
        fcProjB = new int[layers];
        for (int l = 0; l < layers; l++) {
            String p = "h." + l + ".";
            ln1W[l] = adjacentNorm(layout, p + "ln1");
            qkvW[l] = layout.tensor(p + "attn.qkv.w").offset();
            qkvB[l] = layout.tensor(p + "attn.qkv.b").offset();
            projW[l] = layout.tensor(p + "attn.proj.w").offset();
            projB[l] = layout.tensor(p + "attn.proj.b").offset();
            ln2W[l] = adjacentNorm(layout, p + "ln2");
            fcW[l] = layout.tensor(p + "mlp.fc.w").offset();
            fcB[l] = layout.tensor(p + "mlp.fc.b").offset();
            fcProjW[l] = layout.tensor(p + "mlp.proj.w").offset();
            fcProjB[l] = layout.tensor(p + "mlp.proj.b").offset();
        }

        this.s = new ActivationPlan(cfg, bCap);
        memory = context.alloc(s.bytes());
        base = memory.address();
    }

    /// The layer norm's weight offset, checking its bias follows it (the parameter-gradient kernel writes both).
    private static int adjacentNorm(ParameterLayout layout, String prefix) {
        var w = layout.tensor(prefix + ".w");
        var b = layout.tensor(prefix + ".b");
        if (b.offset() != w.offset() + w.size()) {
            throw new IllegalStateException(prefix + ".b does not follow " + prefix + ".w in the parameter layout");
        }
        return w.offset();
    }

    int capacity() {
        return s.bCap;
    }

    /// Device address of the activation slot at `slotFloats` (an offset from the plan).
    private long addr(long slotFloats) {
        return base + slotFloats * Float.BYTES;
    }

    private static long at(long address, long floats) {
        return address + floats * Float.BYTES;
    }

    /// Copies one batch's tokens to the device (synchronous: waits for the kernels before it, which may still be
    /// reading the previous batch's tokens).
    void uploadTokens(int[] in, int[] tgt) {
        memory.upload(in, 0, s.inputs, in.length);
        memory.upload(tgt, 0, s.targets, tgt.length);
    }

    // ------------------------------------------------------------------------------------------ forward

    /// Queues the forward pass of `b` windows of `t` tokens at parameters `p` (a device address); leaves the
    /// probabilities in `logits` and each position's cross-entropy in `losses`.
    void forward(long p, int b, int t) {
        int n = b * t;
        k.elementwise(Kernels.ENCODER_FORWARD, (long) n * c, addr(s.encoded), addr(s.inputs), at(p, wte), at(p, wpe),
                n, t, c);
        for (int l = 0; l < layers; l++) {
            long res = l == 0 ? addr(s.encoded) : addr(s.res3[l - 1]);
            layerNorm(addr(s.ln1[l]), addr(s.ln1Mean[l]), addr(s.ln1Rstd[l]), res, p, ln1W[l], n);
            linear(addr(s.qkv[l]), addr(s.ln1[l]), at(p, qkvW[l]), at(p, qkvB[l]), n, c, 3 * c);
            attentionForward(l, b, t);
            linear(addr(s.res2[l]), addr(s.atty[l]), at(p, projW[l]), at(p, projB[l]), n, c, c);
            k.elementwise(Kernels.RESIDUAL_FORWARD, (long) n * c, addr(s.res2[l]), addr(s.res2[l]), res, n * c);
            layerNorm(addr(s.ln2[l]), addr(s.ln2Mean[l]), addr(s.ln2Rstd[l]), addr(s.res2[l]), p, ln2W[l], n);
            linear(addr(s.fch[l]), addr(s.ln2[l]), at(p, fcW[l]), at(p, fcB[l]), n, c, 4 * c);
            k.elementwise(Kernels.GELU_FORWARD, (long) n * 4 * c, addr(s.fchGelu[l]), addr(s.fch[l]), n * 4 * c);
            linear(addr(s.res3[l]), addr(s.fchGelu[l]), at(p, fcProjW[l]), at(p, fcProjB[l]), n, 4 * c, c);
            k.elementwise(Kernels.RESIDUAL_FORWARD, (long) n * c, addr(s.res3[l]), addr(s.res3[l]), addr(s.res2[l]),
                    n * c);
        }
        layerNorm(addr(s.lnf), addr(s.lnfMean), addr(s.lnfRstd), addr(s.res3[layers - 1]), p, lnfW, n);
        linear(addr(s.logits), addr(s.lnf), at(p, lmW), 0L, n, c, v);
        k.warpRows(Kernels.SOFTMAX_XENT_FORWARD, n, addr(s.logits), addr(s.losses), addr(s.targets), n, v);
    }

    private void layerNorm(long out, long mean, long rstd, long inp, long p, int w, int n) {
        k.warpRows(Kernels.LAYERNORM_FORWARD, n, out, mean, rstd, inp, at(p, w), at(p, w + c), n, c);
    }

    /// out (n, oc) = inp (n, ic) · W (ic, oc) + bias (oc); bias 0 = none.
    private void linear(long out, long inp, long w, long bias, int n, int ic, int oc) {
        gemm(false, false, n, oc, ic, 1f, inp, ic, w, oc, 0f, out, oc, bias);
    }

    private void attentionForward(int l, int b, int t) {
        float scale = (float) (1.0 / Math.sqrt(hs)); // the CPU engine's score scale
        long q = addr(s.qkv[l]);
        long kk = at(q, c);
        long vv = at(q, 2L * c);
        long headQkv = (long) t * 3 * c; // one window of qkv (T, 3C); head h starts hs columns further
        long headAtt = (long) t * t;
        // scores (T, T) = scale · q (T, hs) · kᵀ, per (b, h); all of the square, the softmax masks j > i
        gemmBatched(false, true, t, t, hs, scale, q, 3 * c, headQkv, hs, kk, 3 * c, headQkv, hs,
                0f, addr(s.att[l]), t, nh * headAtt, headAtt, 0L, b, nh, CAUSAL_LOWER_C);
        k.warpRows(Kernels.SOFTMAX_CAUSAL_FORWARD, b * nh * t, addr(s.att[l]), b * nh * t, t);
        // y (T, hs) = att (T, T) · v (T, hs), into head h's columns of atty (B, T, C)
        gemmBatched(false, false, t, hs, t, 1f, addr(s.att[l]), t, nh * headAtt, headAtt, vv, 3 * c, headQkv, hs,
                0f, addr(s.atty[l]), c, (long) t * c, hs, 0L, b, nh, CAUSAL_A_UPPER_ZERO);
    }

    /// Queues the sum of `losses` (n rows) into the double at `sumOut`.
    void queueLossSum(int n) {
        sum(addr(s.losses), n, false);
    }

    /// Queues the sum of squares of `count` floats at `x` into the double at `sumOut`.
    void queueSumOfSquares(long x, int count) {
        sum(x, count, true);
    }

    private void sum(long x, int count, boolean square) {
        k.launch(Kernels.SUM_PARTIALS, SUM_BLOCKS, 1, 1, KernelLauncher.BLOCK, addr(s.sumPartial), x, count,
                square ? 1 : 0);
        k.launch(Kernels.SUM_FINAL, 1, 1, 1, KernelLauncher.BLOCK, addr(s.sumOut), addr(s.sumPartial), SUM_BLOCKS);
    }

    /// Waits for the stream and reads the double the last queued sum wrote.
    double downloadSum() {
        k.stream().synchronize();
        int[] words = new int[2];
        memory.download(s.sumOut, words, 0, 2); // little-endian: the low word first
        return Double.longBitsToDouble(((long) words[1] << 32) | (words[0] & 0xffff_ffffL));
    }

    // ------------------------------------------------------------------------------------------ backward

    /// Queues the backward pass of the last {@link #forward} (same `p`, `b`, `t`), writing d(mean loss)/d(θ) into
    /// the gradient vector at device address `g` (every element overwritten).
    void backward(long p, long g, int b, int t) {
        int n = b * t;
        // d(loss)/d(logits) = (probs − onehot) / N, in place over the probabilities
        k.elementwise(Kernels.SOFTMAX_XENT_BACKWARD, (long) n * v, addr(s.logits), addr(s.targets), n, v, 1f / n);
        long dlogits = addr(s.logits);
        // lm_head (no bias): dlnf (N, C) = dlogits · Wᵀ; dW (C, V) = lnfᵀ · dlogits
        gemm(false, true, n, c, v, 1f, dlogits, v, at(p, lmW), v, 0f, addr(s.dln), c, 0L);
        gemm(true, false, c, v, n, 1f, addr(s.lnf), c, dlogits, v, 0f, at(g, lmW), v, 0L);
        layerNormBackward(addr(s.dres), addr(s.dln), addr(s.res3[layers - 1]), addr(s.lnfMean), addr(s.lnfRstd),
                p, g, lnfW, n, false);
        for (int l = layers - 1; l >= 0; l--) {
            long res = l == 0 ? addr(s.encoded) : addr(s.res3[l - 1]);
            // residual: d(res2) gets d(res3) unchanged (dres carries it); the MLP branch sees it too
            linearBackward(addr(s.dfch), addr(s.dres), addr(s.fchGelu[l]), p, g, fcProjW[l], fcProjB[l], n, 4 * c, c);
            k.elementwise(Kernels.GELU_BACKWARD, (long) n * 4 * c, addr(s.dfch), addr(s.fch[l]), n * 4 * c);
            linearBackward(addr(s.dln), addr(s.dfch), addr(s.ln2[l]), p, g, fcW[l], fcB[l], n, c, 4 * c);
            layerNormBackward(addr(s.dres), addr(s.dln), addr(s.res2[l]), addr(s.ln2Mean[l]), addr(s.ln2Rstd[l]), p, g,
                    ln2W[l], n, true);
            linearBackward(addr(s.datty), addr(s.dres), addr(s.atty[l]), p, g, projW[l], projB[l], n, c, c);
            attentionBackward(l, b, t);
            linearBackward(addr(s.dln), addr(s.dqkv), addr(s.ln1[l]), p, g, qkvW[l], qkvB[l], n, c, 3 * c);
            layerNormBackward(addr(s.dres), addr(s.dln), res, addr(s.ln1Mean[l]), addr(s.ln1Rstd[l]), p, g, ln1W[l],
                    n, true);
        }
        k.launch(Kernels.ENCODER_BACKWARD_WTE, (int) KernelLauncher.ceilDiv(c, KernelLauncher.COLUMN_BLOCK), v, 1,
                KernelLauncher.COLUMN_BLOCK, at(g, wte), addr(s.dres), addr(s.inputs), n, c);
        k.elementwise(Kernels.ENCODER_BACKWARD_WPE, (long) tMax * c, at(g, wpe), addr(s.dres), b, t, tMax, c);
    }

    /// Backward of `out = inp·W + b`: dinp (n, ic) = dout · Wᵀ (overwritten); dW (ic, oc) = inpᵀ · dout;
    /// db (oc) = the column sums of dout.
    private void linearBackward(long dinp, long dout, long inp, long p, long g, int w, int bias, int n, int ic,
                                int oc) {
        gemm(false, true, n, ic, oc, 1f, dout, oc, at(p, w), oc, 0f, dinp, ic, 0L);
        gemm(true, false, ic, oc, n, 1f, inp, ic, dout, oc, 0f, at(g, w), oc, 0L);
        int chunks = (int) KernelLauncher.ceilDiv(n, ROWS_PER_CHUNK);
        k.columns(Kernels.COLUMN_SUM_PARTIAL, oc, chunks, addr(s.partial), dout, n, oc, ROWS_PER_CHUNK);
        k.elementwise(Kernels.COLUMN_REDUCE, oc, at(g, bias), addr(s.partial), chunks, oc);
    }

    /// dinp (+)= the layer norm's input gradient; its weight and bias gradients (adjacent at `w`) overwritten.
    private void layerNormBackward(long dinp, long dout, long inp, long mean, long rstd, long p, long g, int w, int n,
                                   boolean accumulate) {
        k.warpRows(Kernels.LAYERNORM_BACKWARD, n, dinp, dout, inp, mean, rstd, at(p, w), n, c, accumulate ? 1 : 0);
        int chunks = (int) KernelLauncher.ceilDiv(n, ROWS_PER_CHUNK);
        k.columns(Kernels.LAYERNORM_BACKWARD_PARAMS_PARTIAL, c, chunks, addr(s.partial), dout, inp, mean, rstd, n, c,
                ROWS_PER_CHUNK);
        k.elementwise(Kernels.COLUMN_REDUCE, 2L * c, at(g, w), addr(s.partial), chunks, 2 * c);
    }

    private void attentionBackward(int l, int b, int t) {
        float scale = (float) (1.0 / Math.sqrt(hs));
        long q = addr(s.qkv[l]);
        long kk = at(q, c);
        long vv = at(q, 2L * c);
        long dq = addr(s.dqkv);
        long dk = at(dq, c);
        long dv = at(dq, 2L * c);
        long dy = addr(s.datty);
        long headQkv = (long) t * 3 * c;
        long headY = (long) t * c;
        long headAtt = (long) t * t;
        long probs = addr(s.att[l]);
        // dAtt (T, T) = dy (T, hs) · vᵀ ; dv (T, hs) = attᵀ · dy
        gemmBatched(false, true, t, t, hs, 1f, dy, c, headY, hs, vv, 3 * c, headQkv, hs,
                0f, addr(s.dAtt), t, nh * headAtt, headAtt, 0L, b, nh, CAUSAL_LOWER_C);
        gemmBatched(true, false, t, hs, t, 1f, probs, t, nh * headAtt, headAtt, dy, c, headY, hs,
                0f, dv, 3 * c, headQkv, hs, 0L, b, nh, CAUSAL_A_UPPER_ZERO_T);
        // softmax backward, causal, times the score scale
        k.warpRows(Kernels.SOFTMAX_CAUSAL_BACKWARD, b * nh * t, addr(s.dAtt), probs, b * nh * t, t, scale);
        // dq = dS · k ; dk = dSᵀ · q
        gemmBatched(false, false, t, hs, t, 1f, addr(s.dAtt), t, nh * headAtt, headAtt, kk, 3 * c, headQkv, hs,
                0f, dq, 3 * c, headQkv, hs, 0L, b, nh, CAUSAL_A_UPPER_ZERO);
        gemmBatched(true, false, t, hs, t, 1f, addr(s.dAtt), t, nh * headAtt, headAtt, q, 3 * c, headQkv, hs,
                0f, dk, 3 * c, headQkv, hs, 0L, b, nh, CAUSAL_A_UPPER_ZERO_T);
    }

    // ------------------------------------------------------------------------------------------ GEMM

    /// sgemm.cu's `causal` modes: none; only C's lower triangle used; op(A) zero above its diagonal; op(A) zero
    /// below it (the same matrix read transposed). Skipped terms are exact zeros: the same bits, half the work.
    private static final int CAUSAL_NONE = 0;
    private static final int CAUSAL_LOWER_C = 1;
    private static final int CAUSAL_A_UPPER_ZERO = 2;
    private static final int CAUSAL_A_UPPER_ZERO_T = 3;

    /// Tiles of C one block of `sgemm` / `sgemm_128` computes.
    private static final int GEMM_TILE = 64;
    private static final int GEMM_TILE_LARGE = 128;

    private void gemm(boolean ta, boolean tb, int m, int n, int kDim, float alpha, long a, int lda, long bm, int ldb,
                      float beta, long cm, int ldc, long bias) {
        gemmBatched(ta, tb, m, n, kDim, alpha, a, lda, 0L, 0L, bm, ldb, 0L, 0L, beta, cm, ldc, 0L, 0L, bias, 1, 1,
                CAUSAL_NONE);
    }

    private void gemmBatched(boolean ta, boolean tb, int m, int n, int kDim, float alpha,
                             long a, int lda, long aOuter, long aInner,
                             long bm, int ldb, long bOuter, long bInner,
                             float beta, long cm, int ldc, long cOuter, long cInner,
                             long bias, int batchOuter, int batchInner, int causal) {
        // 128-wide tiles do twice the work per shared-memory load, but only pay when there are enough of them to
        // fill every multiprocessor once; otherwise 64-wide tiles spread the product over 4× the blocks.
        int batch = batchOuter * batchInner;
        long largeBlocks = KernelLauncher.ceilDiv(n, GEMM_TILE_LARGE) * KernelLauncher.ceilDiv(m, GEMM_TILE_LARGE)
                * batch;
        boolean large = m >= GEMM_TILE_LARGE && n >= GEMM_TILE_LARGE && largeBlocks >= multiprocessors;
        int tile = large ? GEMM_TILE_LARGE : GEMM_TILE;
        k.launch(large ? Kernels.SGEMM_128 : Kernels.SGEMM, (int) KernelLauncher.ceilDiv(n, tile),
                (int) KernelLauncher.ceilDiv(m, tile), batch, KernelLauncher.BLOCK,
                ta ? 1 : 0, tb ? 1 : 0, m, n, kDim, alpha,
                a, lda, aOuter, aInner,
                bm, ldb, bOuter, bInner,
                beta, cm, ldc, cOuter, cInner,
                bias, batchInner, causal);
    }

    @Override
    public void close() {
        memory.close();
    }
}

package dev.hearth.engine.model;

import dev.hearth.engine.data.Batch;
import java.util.Arrays;

/// GPT-2 forward and backward on the CPU, written out by hand in the style of Karpathy's llm.c
/// (`train_gpt2.c`): every activation and gradient buffer is a plain `float[]` allocated once per
/// batch shape and reused every step; the matrix multiplies go to OpenBLAS through {@link Sgemm}
/// (in place, on offsets into those arrays); everything else (layer norm, GELU, causal softmax,
/// residual adds, fused softmax + cross-entropy) is a Java loop the JIT vectorizes.
///
/// Parameters and gradients are the flat vector of {@link ParameterLayout#gpt(ModelConfig)} used directly,
/// with no copy: matrices are `[in, out]` row-major and a linear layer is `y = x·W + b`.
///
/// Not thread-safe: one instance per training thread (its buffers are the state).
/// {@link ReferenceGpt} computes the same function with plain double-precision loops; tests hold them together.
public final class GptCpuBackend implements TrainingBackend {

    /// Layer norm epsilon, as in GPT-2 / PyTorch's default.
    static final float LN_EPS = 1e-5f;
    /// sqrt(2/π), the GELU tanh approximation's constant (GPT-2's `gelu`).
    static final float GELU_SCALE = 0.7978845608028654f;
    static final float GELU_CUBIC = 0.044715f;

    private final ModelConfig cfg;
    private final ParameterLayout layout;
    private final Sgemm blas;
    private final String description;
    private final int nLayers;
    private final int c;
    private final int nh;
    private final int hs;
    private final int v;

    // Offsets of every tensor in the flat parameter (and gradient) vector.
    private final int wte;
    private final int wpe;
    private final int lnfW;
    private final int lnfB;
    private final int lmW;
    private final int[] ln1W;
    private final int[] ln1B;
    private final int[] qkvW;
    private final int[] qkvB;
    private final int[] projW;
    private final int[] projB;
    private final int[] ln2W;
    private final int[] ln2B;
    private final int[] fcW;
    private final int[] fcB;
    private final int[] fcProjW;
    private final int[] fcProjB;

    private final Parallel par;
    private Buffers buf;

    /// A backend using every available processor.
    public GptCpuBackend(ModelConfig config, Sgemm blas, String description) {
        this(config, blas, Runtime.getRuntime().availableProcessors(), description);
    }

    /// @param threads Java threads for the kernels; the native BLAS is held to one thread per call while the
    ///                model runs, so the two never oversubscribe the cores.
    public GptCpuBackend(ModelConfig config, Sgemm blas, int threads, String description) {
        this.par = new Parallel(threads);
        this.cfg = config;
        this.layout = ParameterLayout.gpt(config);
        this.blas = blas;
        this.description = description;
        this.nLayers = config.layers();
        this.c = config.dModel();
        this.nh = config.heads();
        this.hs = config.headSize();
        this.v = config.vocab();
        wte = off("wte");
        wpe = off("wpe");
        lnfW = off("lnf.w");
        lnfB = off("lnf.b");
        lmW = off("lm_head.w");
        ln1W = offs("ln1.w");
        ln1B = offs("ln1.b");
        qkvW = offs("attn.qkv.w");
        qkvB = offs("attn.qkv.b");
        projW = offs("attn.proj.w");
        projB = offs("attn.proj.b");
        ln2W = offs("ln2.w");
        ln2B = offs("ln2.b");
        fcW = offs("mlp.fc.w");
        fcB = offs("mlp.fc.b");
        fcProjW = offs("mlp.proj.w");
        fcProjB = offs("mlp.proj.b");
    }

    private int off(String name) {
        return layout.tensor(name).offset();
    }

    private int[] offs(String suffix) {
        int[] o = new int[nLayers];
        for (int l = 0; l < nLayers; l++) {
            o[l] = off("h." + l + "." + suffix);
        }
        return o;
    }

    @Override
    public ModelConfig config() {
        return cfg;
    }

    @Override
    public ParameterLayout layout() {
        return layout;
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public float loss(float[] params, Batch batch) {
        checkArgs(params, batch);
        int nativeThreads = holdNativeThreads();
        try {
            return (float) forward(params, batch);
        } finally {
            restoreNativeThreads(nativeThreads);
        }
    }

    /// Runs the forward pass on one window (the context, zero-padded to T: causal attention keeps the padding
    /// from reaching the positions before it) and returns the softmax at the context's last position.
    @Override
    public float[] nextTokenProbabilities(float[] params, int[] context) {
        int t = cfg.context();
        if (context.length < 1 || context.length > t) {
            throw new IllegalArgumentException("context of " + context.length + " tokens; the model takes 1.." + t);
        }
        int[] in = java.util.Arrays.copyOf(context, t);
        Batch one = new Batch(1, t, in, new int[t]);
        checkArgs(params, one);
        int nativeThreads = holdNativeThreads();
        try {
            forward(params, one); // leaves the probabilities in buf.logits
        } finally {
            restoreNativeThreads(nativeThreads);
        }
        int pos = context.length - 1;
        return java.util.Arrays.copyOfRange(buf.logits, pos * v, (pos + 1) * v);
    }

    private int holdNativeThreads() {
        int previous = blas.nativeThreads();
        if (par.threads() > 1 && previous != 1) {
            blas.setNativeThreads(1);
        }
        return previous;
    }

    private void restoreNativeThreads(int previous) {
        if (par.threads() > 1 && previous != 1) {
            blas.setNativeThreads(previous);
        }
    }

    @Override
    public float lossAndGradient(float[] params, Batch batch, float[] gradOut) {
        checkArgs(params, batch);
        if (gradOut.length != layout.size()) {
            throw new IllegalArgumentException("gradient vector has " + gradOut.length + " floats, layout needs "
                    + layout.size());
        }
        int nativeThreads = holdNativeThreads();
        try {
            double loss = forward(params, batch);
            backward(params, batch, gradOut);
            return (float) loss;
        } finally {
            restoreNativeThreads(nativeThreads);
        }
    }

    private void checkArgs(float[] params, Batch batch) {
        if (params.length != layout.size()) {
            throw new IllegalArgumentException("parameter vector has " + params.length + " floats, model "
                    + cfg.name() + " needs " + layout.size());
        }
        if (batch.context() > cfg.context()) {
            throw new IllegalArgumentException("batch context " + batch.context() + " exceeds model context "
                    + cfg.context());
        }
        for (int i = 0; i < batch.inputs().length; i++) {
            int x = batch.inputs()[i];
            int y = batch.targets()[i];
            if (x < 0 || x >= v || y < 0 || y >= v) {
                throw new IllegalArgumentException("token out of vocabulary [0," + v + ") at position " + i);
            }
        }
        if (buf == null || buf.b != batch.size() || buf.t != batch.context()) {
            buf = null; // let the old buffers go before allocating the new ones
            buf = new Buffers(batch.size(), batch.context());
        }
    }

    /// Every activation kept for the backward pass, plus gradient scratch, for one (B, T).
    private final class Buffers {
        final int b;
        final int t;
        final int n;
        final float[] encoded;
        final float[][] ln1;
        final float[][] ln1Mean;
        final float[][] ln1Rstd;
        final float[][] qkv;
        final float[][] att;
        final float[][] atty;
        final float[][] res2;
        final float[][] ln2;
        final float[][] ln2Mean;
        final float[][] ln2Rstd;
        final float[][] fch;
        final float[][] fchGelu;
        final float[][] res3;
        final float[] lnf;
        final float[] lnfMean;
        final float[] lnfRstd;
        final float[] logits;
        final float[] dres;
        final float[] dln;
        final float[] datty;
        final float[] dqkv;
        final float[] dfch;
        final float[][] dAtt;       // per thread (T, T)
        final float[][] lnPartial;  // per thread d(weight), d(bias) of a layer norm
        final double[] lossPartial; // per thread

        Buffers(int b, int t) {
            this.b = b;
            this.t = t;
            this.n = b * t;
            encoded = new float[n * c];
            ln1 = new float[nLayers][n * c];
            ln1Mean = new float[nLayers][n];
            ln1Rstd = new float[nLayers][n];
            qkv = new float[nLayers][n * 3 * c];
            att = new float[nLayers][b * nh * t * t];
            atty = new float[nLayers][n * c];
            res2 = new float[nLayers][n * c];
            ln2 = new float[nLayers][n * c];
            ln2Mean = new float[nLayers][n];
            ln2Rstd = new float[nLayers][n];
            fch = new float[nLayers][n * 4 * c];
            fchGelu = new float[nLayers][n * 4 * c];
            res3 = new float[nLayers][n * c];
            lnf = new float[n * c];
            lnfMean = new float[n];
            lnfRstd = new float[n];
            logits = new float[n * v];
            dres = new float[n * c];
            dln = new float[n * c];
            datty = new float[n * c];
            dqkv = new float[n * 3 * c];
            dfch = new float[n * 4 * c];
            dAtt = new float[par.threads()][t * t];
            lnPartial = new float[par.threads()][2 * c];
            lossPartial = new double[par.threads()];
        }
    }

    // ---------------------------------------------------------------- forward

    private double forward(float[] p, Batch batch) {
        Buffers a = buf;
        int n = a.n;
        int t = a.t;
        int[] in = batch.inputs();
        par.forRange(n, (r0, r1, w) -> {
            for (int i = r0; i < r1; i++) { // token + position embedding, (B*T, C)
                int te = wte + in[i] * c;
                int pe = wpe + (i % t) * c;
                int o = i * c;
                for (int k = 0; k < c; k++) {
                    a.encoded[o + k] = p[te + k] + p[pe + k];
                }
            }
        });
        for (int l = 0; l < nLayers; l++) {
            float[] res = l == 0 ? a.encoded : a.res3[l - 1];
            layerNorm(a.ln1[l], a.ln1Mean[l], a.ln1Rstd[l], res, p, ln1W[l], ln1B[l], n);
            linear(a.qkv[l], a.ln1[l], p, qkvW[l], qkvB[l], n, c, 3 * c, Epilogue.NONE, null);
            attention(a.atty[l], a.att[l], a.qkv[l], a.b, t);
            linear(a.res2[l], a.atty[l], p, projW[l], projB[l], n, c, c, Epilogue.ADD, res);
            layerNorm(a.ln2[l], a.ln2Mean[l], a.ln2Rstd[l], a.res2[l], p, ln2W[l], ln2B[l], n);
            linear(a.fch[l], a.ln2[l], p, fcW[l], fcB[l], n, c, 4 * c, Epilogue.GELU, a.fchGelu[l]);
            linear(a.res3[l], a.fchGelu[l], p, fcProjW[l], fcProjB[l], n, 4 * c, c, Epilogue.ADD, a.res2[l]);
        }
        layerNorm(a.lnf, a.lnfMean, a.lnfRstd, a.res3[nLayers - 1], p, lnfW, lnfB, n);
        linear(a.logits, a.lnf, p, lmW, -1, n, c, v, Epilogue.NONE, null);
        return softmaxCrossEntropy(a.logits, batch.targets(), n, a.lossPartial);
    }

    /// out (N, OC) = inp (N, IC) · W (IC, OC) + b; `bias < 0` means no bias.
    /// What a linear layer does to its own rows right after the multiply, fused into the same parallel region.
    private enum Epilogue {
        NONE,
        /// out += extra (the residual connection)
        ADD,
        /// extra = gelu(out) (the MLP activation; out keeps the pre-activation for the backward pass)
        GELU
    }

    private void linear(float[] out, float[] inp, float[] p, int w, int bias, int n, int ic, int oc,
                        Epilogue epilogue, float[] extra) {
        par.forRange(n, (r0, r1, t) -> { // rows split across threads
            if (bias >= 0) {
                for (int i = r0; i < r1; i++) {
                    System.arraycopy(p, bias, out, i * oc, oc);
                }
            }
            blas.sgemm(false, false, r1 - r0, oc, ic, 1f, inp, r0 * ic, ic, p, w, oc, bias >= 0 ? 1f : 0f,
                    out, r0 * oc, oc);
            switch (epilogue) {
                case NONE -> { }
                case ADD -> add(out, extra, r0 * oc, r1 * oc);
                case GELU -> gelu(extra, out, r0 * oc, r1 * oc);
            }
        });
    }

    private void layerNorm(float[] out, float[] mean, float[] rstd, float[] inp, float[] p, int w, int bias, int n) {
        par.forRange(n, (r0, r1, t) -> layerNormRows(out, mean, rstd, inp, p, w, bias, r0, r1));
    }

    private void layerNormRows(float[] out, float[] mean, float[] rstd, float[] inp, float[] p, int w, int bias,
                               int r0, int r1) {
        for (int i = r0; i < r1; i++) {
            int o = i * c;
            float m = 0f;
            for (int k = 0; k < c; k++) {
                m += inp[o + k];
            }
            m /= c;
            float var = 0f;
            for (int k = 0; k < c; k++) {
                float d = inp[o + k] - m;
                var += d * d;
            }
            var /= c;
            float s = (float) (1.0 / Math.sqrt(var + LN_EPS));
            for (int k = 0; k < c; k++) {
                out[o + k] = (inp[o + k] - m) * s * p[w + k] + p[bias + k];
            }
            mean[i] = m;
            rstd[i] = s;
        }
    }

    /// Causal multi-head self-attention. `qkv` is (B, T, 3C) with q, k, v side by side and head h in
    /// columns `[h·hs, (h+1)·hs)` of each; `att` keeps the probabilities (B, nh, T, T) for the backward pass.
    private void attention(float[] out, float[] att, float[] qkv, int b, int t) {
        par.forRange(b * nh, (h0, h1, w) -> attentionHeads(out, att, qkv, t, h0, h1));
    }

    private void attentionHeads(float[] out, float[] att, float[] qkv, int t, int h0, int h1) {
        int c3 = 3 * c;
        float scale = (float) (1.0 / Math.sqrt(hs));
        for (int bh = h0; bh < h1; bh++) {
            int bi = bh / nh;
            int h = bh % nh;
            {
                int q = bi * t * c3 + h * hs;
                int k = q + c;
                int vv = q + 2 * c;
                int ao = (bi * nh + h) * t * t;
                // scores (T, T) = scale · q (T, hs) · kᵀ (hs, T); only j <= i is used
                blas.sgemm(false, true, t, t, hs, scale, qkv, q, c3, qkv, k, c3, 0f, att, ao, t);
                for (int i = 0; i < t; i++) {
                    int row = ao + i * t;
                    float max = Float.NEGATIVE_INFINITY;
                    for (int j = 0; j <= i; j++) {
                        max = Math.max(max, att[row + j]);
                    }
                    float sum = 0f;
                    for (int j = 0; j <= i; j++) {
                        float e = (float) Math.exp(att[row + j] - max);
                        att[row + j] = e;
                        sum += e;
                    }
                    float inv = 1f / sum;
                    for (int j = 0; j <= i; j++) {
                        att[row + j] *= inv;
                    }
                    Arrays.fill(att, row + i + 1, row + t, 0f);
                }
                // y (T, hs) = att (T, T) · v (T, hs), written into head h's columns of out (B, T, C)
                blas.sgemm(false, false, t, hs, t, 1f, att, ao, t, qkv, vv, c3, 0f, out, bi * t * c + h * hs, c);
            }
        }
    }

    private static void gelu(float[] out, float[] inp, int i0, int i1) {
        for (int i = i0; i < i1; i++) {
            float x = inp[i];
            float th = FastMath.tanh(GELU_SCALE * (x + GELU_CUBIC * x * x * x));
            out[i] = 0.5f * x * (1f + th);
        }
    }

    private static void add(float[] acc, float[] x, int i0, int i1) {
        for (int i = i0; i < i1; i++) {
            acc[i] += x[i];
        }
    }

    /// Softmax over each row of logits in place (they become probabilities); returns the mean
    /// cross-entropy against `targets`.
    private double softmaxCrossEntropy(float[] logits, int[] targets, int n, double[] partial) {
        par.forRange(n, (r0, r1, w) -> partial[w] += softmaxCrossEntropyRows(logits, targets, r0, r1));
        double loss = 0;
        for (int w = 0; w < par.threads(); w++) {
            loss += partial[w];
            partial[w] = 0;
        }
        return loss / n;
    }

    private double softmaxCrossEntropyRows(float[] logits, int[] targets, int r0, int r1) {
        double loss = 0;
        for (int i = r0; i < r1; i++) {
            int o = i * v;
            float max = Float.NEGATIVE_INFINITY;
            for (int k = 0; k < v; k++) {
                max = Math.max(max, logits[o + k]);
            }
            float sum = 0f;
            for (int k = 0; k < v; k++) {
                float e = (float) Math.exp(logits[o + k] - max);
                logits[o + k] = e;
                sum += e;
            }
            float inv = 1f / sum;
            for (int k = 0; k < v; k++) {
                logits[o + k] *= inv;
            }
            loss -= Math.log(Math.max(logits[o + targets[i]], Float.MIN_NORMAL));
        }
        return loss;
    }

    // ---------------------------------------------------------------- backward

    private void backward(float[] p, Batch batch, float[] g) {
        Buffers a = buf;
        int n = a.n;
        int t = a.t;
        Arrays.fill(g, 0f);
        // d(loss)/d(logits) = (probs − onehot) / N, in place over the probabilities
        float invN = 1f / n;
        int[] targets = batch.targets();
        par.forRange(n, (r0, r1, w) -> {
            for (int i = r0; i < r1; i++) {
                int o = i * v;
                for (int k = 0; k < v; k++) {
                    a.logits[o + k] *= invN;
                }
                a.logits[o + targets[i]] -= invN;
            }
        });
        float[] dlogits = a.logits;
        // lm_head: dW (C, V) = lnfᵀ · dlogits; dlnf (N, C) = dlogits · Wᵀ
        linearBackward(a.dln, g, dlogits, a.lnf, p, lmW, -1, n, c, v, null);
        Arrays.fill(a.dres, 0f);
        layerNormBackward(a.dres, g, a.dln, a.res3[nLayers - 1], a.lnfMean, a.lnfRstd, p, lnfW, lnfB, n);

        for (int l = nLayers - 1; l >= 0; l--) {
            float[] res = l == 0 ? a.encoded : a.res3[l - 1];
            // residual: d(res2) gets d(res3) unchanged; the MLP branch sees it too
            linearBackward(a.dfch, g, a.dres, a.fchGelu[l], p, fcProjW[l], fcProjB[l], n, 4 * c, c, a.fch[l]);
            linearBackward(a.dln, g, a.dfch, a.ln2[l], p, fcW[l], fcB[l], n, c, 4 * c, null);
            layerNormBackward(a.dres, g, a.dln, a.res2[l], a.ln2Mean[l], a.ln2Rstd[l], p, ln2W[l], ln2B[l], n);
            linearBackward(a.datty, g, a.dres, a.atty[l], p, projW[l], projB[l], n, c, c, null);
            attentionBackward(a.dqkv, a.datty, a.att[l], a.qkv[l], a.dAtt, a.b, t);
            linearBackward(a.dln, g, a.dqkv, a.ln1[l], p, qkvW[l], qkvB[l], n, c, 3 * c, null);
            layerNormBackward(a.dres, g, a.dln, res, a.ln1Mean[l], a.ln1Rstd[l], p, ln1W[l], ln1B[l], n);
        }
        int[] in = batch.inputs();
        for (int i = 0; i < n; i++) {
            int te = wte + in[i] * c;
            int pe = wpe + (i % t) * c;
            int o = i * c;
            for (int k = 0; k < c; k++) {
                float d = a.dres[o + k];
                g[te + k] += d;
                g[pe + k] += d;
            }
        }
    }

    /// Backward of `out = inp·W + b`: dinp (N, IC) = dout · Wᵀ (overwritten); dW = inpᵀ · dout; db = Σ rows of dout.
    /// `geluInput` non-null: `inp` was gelu(geluInput), and dinp is carried on through the GELU to d(geluInput)
    /// in the same region.
    private void linearBackward(float[] dinp, float[] g, float[] dout, float[] inp, float[] p, int w, int bias,
                                int n, int ic, int oc, float[] geluInput) {
        par.forRange(n, (r0, r1, t) -> { // rows of dinp
            blas.sgemm(false, true, r1 - r0, ic, oc, 1f, dout, r0 * oc, oc, p, w, oc, 0f, dinp, r0 * ic, ic);
            if (geluInput != null) {
                geluBackward(dinp, geluInput, r0 * ic, r1 * ic);
            }
        });
        par.forRange(oc, (c0, c1, t) -> { // columns of dW and db
            blas.sgemm(true, false, ic, c1 - c0, n, 1f, inp, 0, ic, dout, c0, oc, 1f, g, w + c0, oc);
            if (bias >= 0) {
                for (int i = 0; i < n; i++) {
                    int o = i * oc;
                    for (int k = c0; k < c1; k++) {
                        g[bias + k] += dout[o + k];
                    }
                }
            }
        });
    }

    /// Accumulates into dinp (the residual stream's gradient) and into the norm's weight and bias gradients.
    private void layerNormBackward(float[] dinp, float[] g, float[] dout, float[] inp, float[] mean, float[] rstd,
                                   float[] p, int w, int bias, int n) {
        float[][] partial = buf.lnPartial;
        par.forRange(n, (r0, r1, t) -> {
            float[] dwb = partial[t]; // zero on entry: cleared after every reduction below
            layerNormBackwardRows(dinp, dwb, dout, inp, mean, rstd, p, w, r0, r1);
        });
        for (float[] dwb : partial) { // weight and bias gradients: sum the threads' partial sums
            for (int k = 0; k < c; k++) {
                g[w + k] += dwb[k];
                g[bias + k] += dwb[c + k];
            }
            Arrays.fill(dwb, 0f);
        }
    }

    private void layerNormBackwardRows(float[] dinp, float[] dwb, float[] dout, float[] inp, float[] mean,
                                       float[] rstd, float[] p, int w, int r0, int r1) {
        for (int i = r0; i < r1; i++) {
            int o = i * c;
            float m = mean[i];
            float s = rstd[i];
            float dnormMean = 0f;
            float dnormNormMean = 0f;
            for (int k = 0; k < c; k++) {
                float norm = (inp[o + k] - m) * s;
                float dnorm = p[w + k] * dout[o + k];
                dnormMean += dnorm;
                dnormNormMean += dnorm * norm;
            }
            dnormMean /= c;
            dnormNormMean /= c;
            for (int k = 0; k < c; k++) {
                float norm = (inp[o + k] - m) * s;
                float d = dout[o + k];
                dwb[c + k] += d;
                dwb[k] += norm * d;
                dinp[o + k] += (p[w + k] * d - dnormMean - norm * dnormNormMean) * s;
            }
        }
    }

    /// In place: d(fch) = d(gelu(fch)) · gelu'(fch).
    private static void geluBackward(float[] d, float[] x, int i0, int i1) {
        for (int i = i0; i < i1; i++) {
            float xi = x[i];
            float u = GELU_SCALE * (xi + GELU_CUBIC * xi * xi * xi);
            float th = FastMath.tanh(u);
            float du = GELU_SCALE * (1f + 3f * GELU_CUBIC * xi * xi);
            d[i] *= 0.5f * (1f + th) + 0.5f * xi * (1f - th * th) * du;
        }
    }

    private void attentionBackward(float[] dqkv, float[] dout, float[] att, float[] qkv, float[][] dAtt, int b,
                                   int t) {
        par.forRange(b * nh, (h0, h1, w) -> attentionBackwardHeads(dqkv, dout, att, qkv, dAtt[w], t, h0, h1));
    }

    private void attentionBackwardHeads(float[] dqkv, float[] dout, float[] att, float[] qkv, float[] dAtt, int t,
                                        int h0, int h1) {
        int c3 = 3 * c;
        float scale = (float) (1.0 / Math.sqrt(hs));
        for (int bh = h0; bh < h1; bh++) {
            int bi = bh / nh;
            int h = bh % nh;
            {
                int q = bi * t * c3 + h * hs;
                int k = q + c;
                int vv = q + 2 * c;
                int ao = (bi * nh + h) * t * t;
                int dy = bi * t * c + h * hs;
                // dAtt (T, T) = dy (T, hs) · vᵀ ; dv (T, hs) = attᵀ · dy
                blas.sgemm(false, true, t, t, hs, 1f, dout, dy, c, qkv, vv, c3, 0f, dAtt, 0, t);
                blas.sgemm(true, false, t, hs, t, 1f, att, ao, t, dout, dy, c, 0f, dqkv, vv, c3);
                // softmax backward, causal: dS = P ∘ (dP − rowsum(P ∘ dP)), times the score scale
                for (int i = 0; i < t; i++) {
                    int row = i * t;
                    int prow = ao + i * t;
                    float dot = 0f;
                    for (int j = 0; j <= i; j++) {
                        dot += att[prow + j] * dAtt[row + j];
                    }
                    for (int j = 0; j <= i; j++) {
                        dAtt[row + j] = att[prow + j] * (dAtt[row + j] - dot) * scale;
                    }
                    Arrays.fill(dAtt, row + i + 1, row + t, 0f);
                }
                // dq = dS · k ; dk = dSᵀ · q
                blas.sgemm(false, false, t, hs, t, 1f, dAtt, 0, t, qkv, k, c3, 0f, dqkv, q, c3);
                blas.sgemm(true, false, t, hs, t, 1f, dAtt, 0, t, qkv, q, c3, 0f, dqkv, k, c3);
            }
        }
    }

    @Override
    public void close() {
        buf = null;
        par.close();
    }
}

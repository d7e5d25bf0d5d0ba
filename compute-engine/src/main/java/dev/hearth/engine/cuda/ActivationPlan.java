package dev.hearth.engine.cuda;

import dev.hearth.engine.model.ModelConfig;

/// Where each activation of {@link CudaGpt} lives inside its one device allocation, for up to `bCap` windows of
/// the model's context: offsets in floats (token slots hold ints of the same size), each slot rounded up to
/// {@link #ALIGN_FLOATS}. Pure arithmetic, so the layout (no overlap, the total a fit check needs) is tested
/// without a GPU.
///
/// Per layer it keeps what the backward pass reads, except three things it rebuilds bit for bit from what is
/// kept: the attention probabilities (B, nh, T, T), from the scores GEMM again and each row's max and 1/sum
/// ({@link #attMax}, {@link #attInvSum}: (B, nh, T) each); the GELU output (B, T, 4C), from its input `fch`; and
/// both layer norms' outputs (B, T, C), from their inputs (the residual stream, kept). Each is rebuilt into one
/// slot shared by every layer ({@link #att}, {@link #fchGelu}, {@link #ln}), which the forward pass also writes
/// layer after layer. At the GPT-2-small shape and B = 8 this drops 11 of 12 (B, nh, T, T) squares
/// (4.1 GiB), 11 of 12 GELU outputs (1.0 GiB) and 23 of 24 layer-norm outputs (0.5 GiB) for 9 MiB of row
/// statistics: 9.7 GiB of activations become 4.0.
/// PyTorch's fused attention (SDPA) keeps no square at all; the two left here are the probabilities and their
/// gradient {@link #dAtt}, which the backward needs at once.
final class ActivationPlan {

    /// Every slot starts on a 256-byte boundary (coalesced rows; the sums' doubles need 8).
    static final long ALIGN_FLOATS = 64;

    final int bCap;
    final long inputs;
    final long targets;
    final long encoded;
    /// A layer norm's output (B, T, C): one slot for ln1 and ln2 of all layers (rebuilt by the backward).
    final long ln;
    final long[] ln1Mean;
    final long[] ln1Rstd;
    final long[] qkv;
    /// The attention probabilities (B, nh, T, T), one slot for all layers (rebuilt per layer by the backward).
    final long att;
    final long[] attMax;
    final long[] attInvSum;
    final long[] atty;
    final long[] res2;
    final long[] ln2Mean;
    final long[] ln2Rstd;
    final long[] fch;
    /// gelu(fch) (B, T, 4C), one slot for all layers (rebuilt per layer by the backward).
    final long fchGelu;
    final long[] res3;
    final long lnf;
    final long lnfMean;
    final long lnfRstd;
    final long logits;
    final long losses;
    final long dres;
    final long dln;
    final long datty;
    final long dqkv;
    final long dfch;
    final long dAtt;
    final long partial;
    final long sumPartial;
    final long sumOut;
    /// Floats of the whole allocation.
    final long totalFloats;
    /// Every slot as {offset, floats}, in carving order (for the layout test).
    final java.util.List<long[]> slots = new java.util.ArrayList<>();
    private long used;

    ActivationPlan(ModelConfig cfg, int bCap) {
        if (bCap < 1) {
            throw new IllegalArgumentException("micro-batch of " + bCap + " windows; at least 1");
        }
        this.bCap = bCap;
        int layers = cfg.layers();
        int c = cfg.dModel();
        long n = (long) bCap * cfg.context();
        long nc = n * c;
        long attRows = (long) bCap * cfg.heads() * cfg.context();
        long attSize = attRows * cfg.context();
        long chunks = KernelLauncher.ceilDiv(n, CudaGpt.ROWS_PER_CHUNK);
        requireU32("B·T·4C", n * 4 * c);
        requireU32("B·T·V", n * cfg.vocab());
        requireU32("B·nh·T·T", attSize);
        inputs = carve(n);
        targets = carve(n);
        encoded = carve(nc);
        ln1Mean = new long[layers];
        ln1Rstd = new long[layers];
        qkv = new long[layers];
        attMax = new long[layers];
        attInvSum = new long[layers];
        atty = new long[layers];
        res2 = new long[layers];
        ln2Mean = new long[layers];
        ln2Rstd = new long[layers];
        fch = new long[layers];
        res3 = new long[layers];
        for (int l = 0; l < layers; l++) {
            ln1Mean[l] = carve(n);
            ln1Rstd[l] = carve(n);
            qkv[l] = carve(3 * nc);
            attMax[l] = carve(attRows);
            attInvSum[l] = carve(attRows);
            atty[l] = carve(nc);
            res2[l] = carve(nc);
            ln2Mean[l] = carve(n);
            ln2Rstd[l] = carve(n);
            fch[l] = carve(4 * nc);
            res3[l] = carve(nc);
        }
        att = carve(attSize);
        fchGelu = carve(4 * nc);
        ln = carve(nc);
        lnf = carve(nc);
        lnfMean = carve(n);
        lnfRstd = carve(n);
        logits = carve(n * cfg.vocab());
        losses = carve(n);
        dres = carve(nc);
        dln = carve(nc);
        datty = carve(nc);
        dqkv = carve(3 * nc);
        dfch = carve(4 * nc);
        dAtt = carve(attSize);
        partial = carve(chunks * 4 * c);           // the widest column sum: the MLP's 4C bias (layer norms: 2C)
        sumPartial = carve(2L * CudaGpt.SUM_BLOCKS); // doubles
        sumOut = carve(2);                           // one double
        totalFloats = used;
    }

    long bytes() {
        return totalFloats * Float.BYTES;
    }

    private long carve(long floats) {
        long at = used;
        slots.add(new long[] {at, floats});
        used += (floats + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
        return at;
    }

    private static void requireU32(String what, long count) {
        if (count > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(what + " = " + count + " elements exceeds the kernels' 32-bit counts; "
                    + "use a smaller micro-batch");
        }
    }
}

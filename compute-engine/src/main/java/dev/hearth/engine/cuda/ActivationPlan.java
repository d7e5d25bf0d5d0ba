package dev.hearth.engine.cuda;

import dev.hearth.engine.model.ModelConfig;

/// Where each activation of {@link CudaGpt} lives inside its one device allocation, for up to `bCap` windows of
/// the model's context: offsets in floats (token slots hold ints of the same size), each slot rounded up to
/// {@link #ALIGN_FLOATS}. Pure arithmetic, so the layout (no overlap, the total a fit check needs) is tested
/// without a GPU.
final class ActivationPlan {

    /// Every slot starts on a 256-byte boundary (coalesced rows; the sums' doubles need 8).
    static final long ALIGN_FLOATS = 64;

    final int bCap;
    final long inputs;
    final long targets;
    final long encoded;
    final long[] ln1;
    final long[] ln1Mean;
    final long[] ln1Rstd;
    final long[] qkv;
    final long[] att;
    final long[] atty;
    final long[] res2;
    final long[] ln2;
    final long[] ln2Mean;
    final long[] ln2Rstd;
    final long[] fch;
    final long[] fchGelu;
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
        long attSize = (long) bCap * cfg.heads() * cfg.context() * cfg.context();
        long chunks = KernelLauncher.ceilDiv(n, CudaGpt.ROWS_PER_CHUNK);
        requireU32("B·T·4C", n * 4 * c);
        requireU32("B·T·V", n * cfg.vocab());
        requireU32("B·nh·T·T", attSize);
        inputs = carve(n);
        targets = carve(n);
        encoded = carve(nc);
        ln1 = new long[layers];
        ln1Mean = new long[layers];
        ln1Rstd = new long[layers];
        qkv = new long[layers];
        att = new long[layers];
        atty = new long[layers];
        res2 = new long[layers];
        ln2 = new long[layers];
        ln2Mean = new long[layers];
        ln2Rstd = new long[layers];
        fch = new long[layers];
        fchGelu = new long[layers];
        res3 = new long[layers];
        for (int l = 0; l < layers; l++) {
            ln1[l] = carve(nc);
            ln1Mean[l] = carve(n);
            ln1Rstd[l] = carve(n);
            qkv[l] = carve(3 * nc);
            att[l] = carve(attSize);
            atty[l] = carve(nc);
            res2[l] = carve(nc);
            ln2[l] = carve(nc);
            ln2Mean[l] = carve(n);
            ln2Rstd[l] = carve(n);
            fch[l] = carve(4 * nc);
            fchGelu[l] = carve(4 * nc);
            res3[l] = carve(nc);
        }
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

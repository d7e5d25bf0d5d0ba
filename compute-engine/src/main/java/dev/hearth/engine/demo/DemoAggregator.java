package dev.hearth.engine.demo;

import dev.hearth.engine.model.ParameterLayout;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/// The receiving half of DeMo on the coordinator: the reference's `batch_decompress` + `decode` — at each DCT
/// coefficient the token-weighted mean of the updates that sent it (`scatter_reduce(..., "mean",
/// include_self=False)`, weighted by tokens here), then the inverse DCT per block, giving a dense direction in
/// parameter space. The sign step ({@link SignStep}) takes its sign.
///
/// Deterministic: every coefficient sums its contributions in the order of the update list and every tile is
/// transformed on its own, so the result is bit-identical whatever the thread count.
public final class DemoAggregator {

    /// Most updates one aggregation takes: the trimmed mean packs the update's position into 16 bits of a sort key.
    public static final int MAX_UPDATES = 65_535;

    private DemoAggregator() {
    }

    /// The aggregated direction `IDCT(mean of q)` in parameter space (a fresh array).
    ///
    /// @param updates      decoded updates, all made with `config` for `layout`
    /// @param tokenWeights tokens each update was trained on (its weight in the mean), positive
    /// @throws IllegalArgumentException on an empty list, mismatched lengths, non-positive weights, an update made
    ///                                  for another layout or blocking, or a non-finite value
    public static float[] aggregate(ParameterLayout layout, DemoConfig config, List<SparseUpdate> updates,
                                    long[] tokenWeights, RobustMode mode) {
        return aggregate(new DemoBlocking(layout, config), updates, tokenWeights, mode);
    }

    /// As {@link #aggregate(ParameterLayout, DemoConfig, List, long[], RobustMode)}, for the run's blocking.
    public static float[] aggregate(DemoBlocking blocking, List<SparseUpdate> updates, long[] tokenWeights,
                                    RobustMode mode) {
        ParameterLayout layout = blocking.layout();
        float[] weight = shares(blocking, updates, tokenWeights);
        float[] scale = clipScales(updates, mode);
        float[] direction = new float[layout.size()];
        List<DemoBlocking.Tile> tiles = blocking.tiles();
        int slab = blocking.maxSlabFloats();
        ThreadLocal<float[][]> scratch = ThreadLocal.withInitial(() -> new float[][] {
                new float[slab], new float[slab]});
        ThreadLocal<TransformDct.Workspace> workspace = ThreadLocal.withInitial(blocking::newWorkspace);
        IntStream.range(0, tiles.size()).parallel().forEach(i -> {
            float[][] s = scratch.get();
            DemoBlocking.Tile tile = tiles.get(i);
            if (mode instanceof RobustMode.TrimmedMean tm) {
                trimmedMeanTile(tile, updates, weight, tm.fraction(), s[0]);
            } else {
                meanTile(tile, updates, weight, scale, s[0], 0, s[1]);
            }
            DemoBlocking.TensorBlocks t = tile.tensor();
            TransformDct.inverseTile(s[0], 0, t.blockRows(), t.blockCols(), tile.blocks(), direction, tile.offset(),
                    t.cols(), workspace.get());
        });
        return direction;
    }

    /// Checks a round's updates and weights and returns each update's share of the round's tokens.
    ///
    /// @throws IllegalArgumentException on an empty list, mismatched lengths, non-positive weights, an update made
    ///                                  for another layout or blocking, or a non-finite value
    static float[] shares(DemoBlocking blocking, List<SparseUpdate> updates, long[] tokenWeights) {
        int n = updates.size();
        if (n == 0 || n > MAX_UPDATES) {
            throw new IllegalArgumentException("aggregation takes 1.." + MAX_UPDATES + " updates, got " + n);
        }
        if (tokenWeights.length != n) {
            throw new IllegalArgumentException(n + " updates but " + tokenWeights.length + " token weights");
        }
        long total = 0;
        for (int u = 0; u < n; u++) {
            if (tokenWeights[u] <= 0) {
                throw new IllegalArgumentException("token weight of update " + u + " must be positive, got "
                        + tokenWeights[u]);
            }
            total = Math.addExact(total, tokenWeights[u]);
            SparseUpdate up = updates.get(u);
            if (!up.blocking().sameAs(blocking)) {
                throw new IllegalArgumentException("update " + u + " was made for another layout or blocking");
            }
            if (!up.isFinite()) {
                throw new IllegalArgumentException("update " + u + " holds a non-finite value");
            }
        }
        // Weights as shares of the round's tokens: float sums stay well inside range whatever the batch sizes.
        float[] weight = new float[n];
        for (int u = 0; u < n; u++) {
            weight[u] = (float) ((double) tokenWeights[u] / total);
        }
        return weight;
    }

    /// Per-update factor `min(1, median / norm)` for NORM_CLIP, all ones otherwise. The median of an even count
    /// is the lower middle one (a fixed rule keeps it deterministic).
    static float[] clipScales(List<SparseUpdate> updates, RobustMode mode) {
        int n = updates.size();
        float[] scale = new float[n];
        Arrays.fill(scale, 1f);
        if (!(mode instanceof RobustMode.NormClip)) {
            return scale;
        }
        double[] norms = new double[n];
        for (int u = 0; u < n; u++) {
            norms[u] = updates.get(u).l2Norm();
        }
        double[] sorted = norms.clone();
        Arrays.sort(sorted);
        double median = sorted[(n - 1) / 2];
        for (int u = 0; u < n; u++) {
            if (norms[u] > median) {
                scale[u] = (float) (median / norms[u]);
            }
        }
        return scale;
    }

    /// Weighted mean at each coefficient of one tile, left packed in `coef` from `offset`: over the updates that
    /// sent the coefficient when `wsum` is given (DeMo's, for the sign step), over all updates when it is null (each
    /// weight is then already a share of the round: a coefficient an update did not send counts as 0 for it).
    private static void meanTile(DemoBlocking.Tile tile, List<SparseUpdate> updates, float[] weight, float[] scale,
                                 float[] coef, int offset, float[] wsum) {
        DemoBlocking.TensorBlocks t = tile.tensor();
        int n1 = t.blockRows();
        int n2 = t.blockCols();
        int stride = tile.packedStride();
        int size = tile.size();
        Arrays.fill(coef, offset, offset + size, 0f);
        if (wsum != null) Arrays.fill(wsum, 0, size, 0f);
        int keep = t.keep();
        int e0 = tile.entryOffset();
        int entries = tile.blocks() * keep;
        for (int u = 0; u < updates.size(); u++) {
            SparseUpdate up = updates.get(u);
            short[] idx = up.indexArray();
            float[] val = up.valueArray();
            float w = weight[u];
            float wv = w * scale[u];
            for (int e = 0; e < entries; e++) {
                int k = idx[e0 + e] & 0xFFFF;
                int x = e / keep;
                int pos = (k % n2) * stride + x * n1 + k / n2;
                coef[offset + pos] += wv * val[e0 + e];
                if (wsum != null) wsum[pos] += w;
            }
        }
        if (wsum == null) return;
        for (int p = 0; p < size; p++) {
            if (wsum[p] > 0f) {
                coef[offset + p] /= wsum[p];
            }
        }
    }

    /// The token-weighted mean of every DCT coefficient over **all** `updates` (0 where an update did not send
    /// it), packed tile-major as {@link DemoBlocking.Tile#packedPosition}: the mean step's coefficients
    /// ({@link MeanStep#aggregate}). Tiles own disjoint coefficients and each sums its updates in list order, so the
    /// result is the same floats on any thread count.
    ///
    /// @throws IllegalArgumentException as {@link #aggregate} does; a trimmed mean is not defined here
    static float[] meanOverAll(DemoBlocking blocking, List<SparseUpdate> updates, long[] tokenWeights,
                               RobustMode mode) {
        if (mode instanceof RobustMode.TrimmedMean) {
            throw new IllegalArgumentException("the mean outer step takes mean or norm_clip aggregation, not a trimmed"
                    + " mean (that is defined over the senders of each coefficient)");
        }
        float[] weight = shares(blocking, updates, tokenWeights);
        float[] scale = clipScales(updates, mode);
        float[] coef = new float[blocking.paramCount()];
        List<DemoBlocking.Tile> tiles = blocking.tiles();
        IntStream.range(0, tiles.size()).parallel().forEach(i -> {
            DemoBlocking.Tile tile = tiles.get(i);
            meanTile(tile, updates, weight, scale, coef, tile.packedOffset(), null);
        });
        return coef;
    }

    /// Coordinate-wise trimmed weighted mean of one tile; leaves packed coefficients in `coef`.
    private static void trimmedMeanTile(DemoBlocking.Tile tile, List<SparseUpdate> updates, float[] weight,
                                        double fraction, float[] coef) {
        DemoBlocking.TensorBlocks t = tile.tensor();
        int n1 = t.blockRows();
        int n2 = t.blockCols();
        int stride = tile.packedStride();
        Arrays.fill(coef, 0, tile.size(), 0f);
        int keep = t.keep();
        int n = updates.size();
        long[] keys = new long[n * keep];
        for (int x = 0; x < tile.blocks(); x++) {
            int e0 = tile.entryOffset() + x * keep;
            int m = 0;
            for (int u = 0; u < n; u++) {
                SparseUpdate up = updates.get(u);
                short[] idx = up.indexArray();
                float[] val = up.valueArray();
                for (int e = 0; e < keep; e++) {
                    keys[m++] = sortKey(idx[e0 + e] & 0xFFFF, val[e0 + e], u);
                }
            }
            // Sorted by (index, value, update): groups per coefficient, values ascending, ties in list order.
            Arrays.sort(keys, 0, m);
            int g0 = 0;
            while (g0 < m) {
                int k = keyIndex(keys[g0]);
                int g1 = g0 + 1;
                while (g1 < m && keyIndex(keys[g1]) == k) {
                    g1++;
                }
                int cut = (int) Math.floor(fraction * (g1 - g0));
                float sum = 0f;
                float wsum = 0f;
                for (int j = g0 + cut; j < g1 - cut; j++) {
                    float w = weight[keyUpdate(keys[j])];
                    sum += w * keyValue(keys[j]);
                    wsum += w;
                }
                coef[(k % n2) * stride + x * n1 + k / n2] = sum / wsum;
                g0 = g1;
            }
        }
    }

    // Sort key: index (16 bits) | order-preserving value bits (32) | update position (16), with the top bit flipped
    // so that signed long order is the unsigned order of the fields.
    static long sortKey(int index, float value, int update) {
        int bits = Float.floatToRawIntBits(value);
        int ordered = bits ^ ((bits >> 31) & 0x7FFFFFFF);
        long unsignedValue = (ordered ^ 0x80000000) & 0xFFFFFFFFL;
        return (((long) index << 48) | (unsignedValue << 16) | update) ^ Long.MIN_VALUE;
    }

    static int keyIndex(long key) {
        return (int) ((key ^ Long.MIN_VALUE) >>> 48);
    }

    static int keyUpdate(long key) {
        return (int) (key & 0xFFFF);
    }

    static float keyValue(long key) {
        int ordered = (int) ((key ^ Long.MIN_VALUE) >>> 16) ^ 0x80000000;
        int bits = ordered ^ ((ordered >> 31) & 0x7FFFFFFF);
        return Float.intBitsToFloat(bits);
    }
}

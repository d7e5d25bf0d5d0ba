package dev.hearth.engine.demo;

/// Top-k per block by magnitude, as the DeMo reference's `CompressDCT.compress` (`torch.topk(x.abs(), k)` then
/// `gather`), with ties broken deterministically: between equal magnitudes the lower within-block index wins.
///
/// A bounded min-heap of the k best seen so far replaces a full sort: after the first few hundred coefficients
/// almost every candidate fails one well-predicted comparison with the heap's weakest, so a 4,096-coefficient
/// block costs about one compare per coefficient plus ~k·ln(n/k) heap replacements.
public final class CompressDct {

    /// Reusable heap storage for one thread.
    public static final class Scratch {
        final float[] abs;
        final int[] idx;

        public Scratch(int maxK) {
            abs = new float[maxK];
            idx = new int[maxK];
        }
    }

    private CompressDct() {
    }

    /// Selects the `k` coefficients of largest magnitude of one block and writes their within-block indices
    /// (ascending) and signed values.
    ///
    /// The block is read in {@link TransformDct}'s transposed packing: coefficient `(b, d)` (within-block index
    /// `b·n2 + d`) at `base + d·stride + b`.
    ///
    /// @param coeffs  array holding the block
    /// @param base    position of coefficient (0, 0)
    /// @param stride  distance between consecutive d
    /// @param n1      block rows (b < n1)
    /// @param n2      block columns (d < n2)
    /// @param k       how many to keep, `1 ≤ k ≤ n1·n2`
    /// @param outIdx  receives the indices at `outOff ..`
    /// @param outVal  receives the values at `outOff ..`
    public static void selectTopK(float[] coeffs, int base, int stride, int n1, int n2, int k,
                                  short[] outIdx, float[] outVal, int outOff, Scratch s) {
        float[] hAbs = s.abs;
        int[] hIdx = s.idx;
        int filled = 0;
        float weakest = 0f;
        int weakestIdx = 0;
        for (int d = 0; d < n2; d++) {
            int row = base + d * stride;
            if (filled == k && n1 >= ROW_SKIP_MIN && rowMaxAbs(coeffs, row, n1) < weakest) {
                continue; // nothing in this row can enter the heap (an equal magnitude might, so strict <)
            }
            for (int b = 0; b < n1; b++) {
                float a = Math.abs(coeffs[row + b]);
                if (filled < k) {
                    hAbs[filled] = a;
                    hIdx[filled] = b * n2 + d;
                    filled++;
                    if (filled == k) {
                        for (int i = k / 2 - 1; i >= 0; i--) {
                            siftDown(hAbs, hIdx, k, i);
                        }
                        weakest = hAbs[0];
                        weakestIdx = hIdx[0];
                    }
                } else if (a > weakest || (a == weakest && b * n2 + d < weakestIdx)) {
                    hAbs[0] = a;
                    hIdx[0] = b * n2 + d;
                    siftDown(hAbs, hIdx, k, 0);
                    weakest = hAbs[0];
                    weakestIdx = hIdx[0];
                }
            }
        }
        // Ascending index order: canonical on the wire (the decoder requires it) and cache-friendly to apply.
        for (int i = 1; i < k; i++) {
            int v = hIdx[i];
            int j = i - 1;
            while (j >= 0 && hIdx[j] > v) {
                hIdx[j + 1] = hIdx[j];
                j--;
            }
            hIdx[j + 1] = v;
        }
        for (int i = 0; i < k; i++) {
            int idx = hIdx[i];
            outIdx[outOff + i] = (short) idx;
            outVal[outOff + i] = coeffs[base + (idx % n2) * stride + idx / n2];
        }
    }

    /// Rows at least this long are first screened by their largest magnitude: a branch-free max over the row is
    /// cheaper than the compare-and-branch per coefficient once the heap's threshold has risen.
    private static final int ROW_SKIP_MIN = 16;

    private static float rowMaxAbs(float[] v, int from, int n) {
        float m = 0f;
        for (int i = from; i < from + n; i++) {
            m = Math.max(m, Math.abs(v[i]));
        }
        return m;
    }

    /// Position of within-block index `idx` in transposed packing.
    static int position(int base, int stride, int n2, int idx) {
        return base + (idx % n2) * stride + idx / n2;
    }

    /// `true` if entry i is weaker than entry j: smaller magnitude, or equal magnitude and higher index.
    private static boolean weaker(float[] a, int[] x, int i, int j) {
        return a[i] < a[j] || (a[i] == a[j] && x[i] > x[j]);
    }

    private static void siftDown(float[] a, int[] x, int n, int i) {
        while (true) {
            int l = 2 * i + 1;
            if (l >= n) {
                return;
            }
            int m = l;
            int r = l + 1;
            if (r < n && weaker(a, x, r, l)) {
                m = r;
            }
            if (!weaker(a, x, m, i)) {
                return;
            }
            float ta = a[i];
            a[i] = a[m];
            a[m] = ta;
            int tx = x[i];
            x[i] = x[m];
            x[m] = tx;
            i = m;
        }
    }

    /// Top-k of one contiguous block (for tests and tools): ascending within-block indices.
    public static int[] topK(float[] block, int k) {
        short[] idx = new short[k];
        float[] val = new float[k];
        selectTopK(block, 0, 1, 1, block.length, k, idx, val, 0, new Scratch(k));
        int[] out = new int[k];
        for (int i = 0; i < k; i++) {
            out[i] = idx[i] & 0xFFFF;
        }
        return out;
    }
}

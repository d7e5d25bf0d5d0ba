package dev.hearth.engine.demo;

/// Top-k per block by magnitude, as the DeMo reference's `CompressDCT.compress` (`torch.topk(x.abs(), k)` then
/// `gather`), with ties broken deterministically: between equal magnitudes the lower within-block index wins.
///
/// A bounded min-heap of the k best seen so far replaces a full sort: after the first few hundred coefficients
/// almost every candidate fails one comparison with the heap's weakest, so a 4,096-coefficient block costs about
/// one compare per coefficient plus ~k·ln(n/k) heap replacements. A floor guessed from the block's previous step
/// keeps most coefficients out of the heap scan altogether (see the floor overload).
public final class CompressDct {

    /// Reusable heap storage for one thread.
    public static final class Scratch {
        final float[] abs;
        final int[] idx;
        int[] candidates = new int[0];
        int filled;
        float weakest;
        int weakestIdx;

        public Scratch(int maxK) {
            abs = new float[maxK];
            idx = new int[maxK];
        }

        int[] candidates(int n) {
            if (candidates.length < n) {
                candidates = new int[n];
            }
            return candidates;
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
        selectTopK(coeffs, base, stride, n1, n2, k, outIdx, outVal, outOff, s, 0f);
    }

    /// As {@link #selectTopK(float[], int, int, int, int, int, short[], float[], int, Scratch)} with a guess
    /// `floor` of the k-th largest magnitude (0 for none); the result is the same whatever the guess.
    ///
    /// A first pass keeps only the coefficients ≥ floor; if at least k pass, the top k are among them (everything
    /// left out is smaller than k others) and only they go through the heap. That matters in the steady state of
    /// error feedback, where many coefficients pile up just under the threshold and a plain heap scan mispredicts
    /// its compare on each of them. A floor too high (fewer than k pass) falls back to the full scan.
    ///
    /// @return the k-th largest magnitude: the caller's guess for the same block's next step
    public static float selectTopK(float[] coeffs, int base, int stride, int n1, int n2, int k,
                                   short[] outIdx, float[] outVal, int outOff, Scratch s, float floor) {
        s.filled = 0;
        s.weakest = 0f;
        s.weakestIdx = 0;
        int count = -1;
        if (floor > 0f) {
            int[] cand = s.candidates(n1 * n2);
            count = 0;
            for (int d = 0; d < n2; d++) {
                int row = base + d * stride;
                for (int b = 0; b < n1; b++) {
                    if (Math.abs(coeffs[row + b]) >= floor) {
                        cand[count++] = b * n2 + d;
                    }
                }
            }
            if (count >= k) {
                for (int c = 0; c < count; c++) {
                    int ix = cand[c];
                    offer(s, Math.abs(coeffs[position(base, stride, n2, ix)]), ix, k);
                }
            } else {
                count = -1;
            }
        }
        if (count < 0) {
            for (int d = 0; d < n2; d++) {
                int row = base + d * stride;
                for (int b = 0; b < n1; b++) {
                    float a = Math.abs(coeffs[row + b]);
                    // one compare on the common path; the tie rule only when magnitudes are equal
                    if (s.filled < k || a >= s.weakest) {
                        offer(s, a, b * n2 + d, k);
                    }
                }
            }
        }
        float kth = s.weakest;
        float[] hAbs = s.abs;
        int[] hIdx = s.idx;
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
        return kth;
    }

    /// Offers coefficient `ix` of magnitude `a` to the heap of the k best so far.
    private static void offer(Scratch s, float a, int ix, int k) {
        float[] hAbs = s.abs;
        int[] hIdx = s.idx;
        if (s.filled < k) {
            hAbs[s.filled] = a;
            hIdx[s.filled] = ix;
            s.filled++;
            if (s.filled == k) {
                for (int i = k / 2 - 1; i >= 0; i--) {
                    siftDown(hAbs, hIdx, k, i);
                }
                s.weakest = hAbs[0];
                s.weakestIdx = hIdx[0];
            }
        } else if (a > s.weakest || (a == s.weakest && ix < s.weakestIdx)) {
            hAbs[0] = a;
            hIdx[0] = ix;
            siftDown(hAbs, hIdx, k, 0);
            s.weakest = hAbs[0];
            s.weakestIdx = hIdx[0];
        }
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

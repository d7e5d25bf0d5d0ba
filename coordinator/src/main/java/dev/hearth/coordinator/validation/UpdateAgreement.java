package dev.hearth.coordinator.validation;

import dev.hearth.engine.demo.DemoBlocking;
import dev.hearth.engine.demo.SparseUpdate;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/// Issue 14, point 3: an agreement screen on every update of a round, not only the sampled ones the spot checks
/// see. An update's **agreement** is the cosine between it and the sum of the round's *other* counted updates, each
/// taken as a unit vector (one vote per update, see below): an honest update points roughly where the other honest
/// ones do (they are gradients of the same model on batches of the same corpus), a sign-flipped one points away
/// from them (cosine below 0), a random one across them (about 0).
///
/// **In DCT coefficient space.** The updates are compared as they arrive, as DCT coefficients: {@link DemoBlocking}
/// cuts each tensor into blocks whose sizes divide its dimensions exactly (no padding, no overlap), and the
/// transform of a block is the orthonormal 2-D DCT-II (`TransformDct`), so the whole transform is one orthogonal
/// block-diagonal matrix and inner products, norms and cosines of the coefficients equal those of the decoded
/// parameter-space steps (`DctInnerProductTest` in the engine checks it on the `nano` blocking).
///
/// **One vote per update, not a token-weighted or plain sum.** The reference is `S − û_i` with `S = Σ û_j` over
/// the counted updates and `û = u/‖u‖`. A plain sum of the raw updates lets an update's norm buy it weight: the norm
/// bound lets an update through at up to 5× the round's median norm ([UpdateValidator#DEFAULT_NORM_FACTOR]), so two
/// anti-aligned attackers at 4× the median would outweigh six honest updates in every honest update's reference and
/// turn honest agreements negative (`UpdateAgreementTest` shows both). Token weights would do the same for a node
/// assigned more tokens, and the screen asks a direction question, not a size one: the size of an update is the norm
/// bound's and the model health's to judge.
///
/// **O(n·k + P).** One dense sum `S` (the parameters' length), then per update `⟨û_i, S⟩` over its `k` entries:
/// `⟨û_i, S − û_i⟩ = ⟨û_i, S⟩ − 1` and `‖S − û_i‖² = ‖S‖² − 2⟨û_i, S⟩ + 1`.
///
/// Pure: the same updates give the same agreements.
public final class UpdateAgreement {

    /// The statistic needs at least 3 counted updates: with 2, each one's reference is the other alone, both get the
    /// same cosine, and a disagreement cannot say which of them is wrong; from 3 on an update is compared with at
    /// least two others, so one dissenter cannot set the reference of the rest alone.
    public static final int MIN_UPDATES = 3;

    /// The rule ([#screen]) needs at least 4 compared updates: with 3, one sign-flipped update is half of each
    /// honest update's reference (one honest vote against one flipped), which pulls honest agreements to about 0
    /// and the median with them, so an honest update could fall below the bound; from 4 on a single dissenter is
    /// outvoted in every honest update's reference (two honest votes against one).
    public static final int MIN_UPDATES_FOR_RULE = 4;

    /// The rule needs the round's median agreement to be at least 0.02: below it the round has no common direction
    /// to hold an update to (updates of unrelated Gaussian "gradients", as scripted test clients send, agreed within
    /// ±0.0015 on `nano` in `HostileUpdatesTest`'s rounds), and the lowest of them would be dropped by chance. The
    /// measured Byzantine rounds had medians of at least 0.070 with the mean step and 0.21 with the sign step
    /// (docs/reliability.md); in the first passes of `MeanStepSpotCheckTest`'s rounds, where 2 of 5 real `nano`
    /// updates attack and the flipped one drags the others down, 0.120, 0.072, 0.051 and, in the last, below 0.05
    /// (a floor of 0.05 left that round unscreened). 0.02 is 13× above the unrelated updates' agreement.
    public static final double MIN_MEDIAN = 0.02;

    private UpdateAgreement() {}

    /// Each update's agreement with the round's other counted updates: the cosine between `u_i` and `Σ_{j≠i} û_j`
    /// over the `j` with `counted[j]`; NaN where not counted, for a zero update (it has no direction), where the
    /// others sum to (numerically) nothing, and for every update when fewer than [#MIN_UPDATES] are counted.
    ///
    /// @param updates the round's updates, all of one blocking
    /// @param counted per update: whether it survived the checks before this one (norm bound, model health)
    /// @throws IllegalArgumentException if the lengths differ or the updates have different blockings
    public static double[] leaveOneOut(List<SparseUpdate> updates, boolean[] counted) {
        return new Votes(updates, counted).agreements();
    }

    /// The round's unit votes and their sum `S`, built once: leaving an update out subtracts its vote from `S` and
    /// `‖S‖²` (O(k)), so a screen that drops m updates costs one O(n·k + P) pass and m + 1 of O(n·k), not m + 1
    /// dense sums of the parameters' length (0.5 GB each at 124 M).
    private static final class Votes {
        private final List<SparseUpdate> updates;
        private final boolean[] in;
        private final double[] norm;
        private final float[] s;
        private double s2;
        private int voters;

        Votes(List<SparseUpdate> updates, boolean[] counted) {
            int n = updates.size();
            if (counted.length != n) {
                throw new IllegalArgumentException(n + " updates but " + counted.length + " counted flags");
            }
            this.updates = updates;
            this.norm = new double[n];
            this.in = new boolean[n];
            DemoBlocking blocking = null;
            for (int i = 0; i < n; i++) {
                if (!counted[i]) continue;
                SparseUpdate u = updates.get(i);
                if (blocking == null) blocking = u.blocking();
                else if (u.blocking() != blocking && !u.blocking().sameAs(blocking)) {
                    throw new IllegalArgumentException("update " + i + " has another blocking than update 0's");
                }
                norm[i] = u.l2Norm();
                if (norm[i] > 0 && Double.isFinite(norm[i])) {
                    in[i] = true;
                    voters++;
                }
            }
            // S = Σ û_j, in float (the length of the parameters: a double per parameter would be 1 GB at 124M); each
            // entry is a sum of at most n unit-vector coordinates, which float holds to ~1e-7 relative.
            this.s = voters < MIN_UPDATES ? new float[0] : new float[blocking.paramCount()];
            if (voters < MIN_UPDATES) return;
            for (int i = 0; i < n; i++) if (in[i]) accumulate(updates.get(i), 1.0 / norm[i], s);
            for (float v : s) s2 += (double) v * v;
        }

        /// Each voter's agreement with the others (NaN for the rest, and for all when fewer than [#MIN_UPDATES]).
        double[] agreements() {
            double[] out = new double[updates.size()];
            Arrays.fill(out, Double.NaN);
            if (voters < MIN_UPDATES) return out;
            for (int i = 0; i < out.length; i++) {
                if (!in[i]) continue;
                double us = dot(updates.get(i), s) / norm[i]; // ⟨û_i, S⟩
                double rest2 = s2 - 2 * us + 1; // ‖S − û_i‖²
                // the others cancel out (or nearly: below float's rounding of S): no direction to agree with
                if (!(rest2 > 1e-9)) continue;
                out[i] = Math.max(-1, Math.min(1, (us - 1) / Math.sqrt(rest2)));
            }
            return out;
        }

        /// Leaves update `i` out of the votes: `S −= û_i`, `‖S‖² ← ‖S‖² − 2⟨û_i, S⟩ + 1`.
        void remove(int i) {
            if (!in[i]) return;
            in[i] = false;
            voters--;
            if (s.length == 0) return;
            double us = dot(updates.get(i), s) / norm[i];
            accumulate(updates.get(i), -1.0 / norm[i], s);
            s2 = Math.max(0, s2 - 2 * us + 1);
        }
    }

    /// `s[pos(e)] += scale · value(e)` for every entry `e` of `u`, where `pos` puts coefficient `idx` of block `b` of
    /// tensor `t` at `t.offset() + b·blockElems + idx` (a bijection onto the tensor's range: the blocks tile it).
    private static void accumulate(SparseUpdate u, double scale, float[] s) {
        for (DemoBlocking.TensorBlocks t : u.blocking().tensors()) {
            int keep = t.keep();
            int elems = t.blockElems();
            for (int b = 0; b < t.blockCount(); b++) {
                int e0 = t.entryOffset() + b * keep;
                int base = t.offset() + b * elems;
                for (int e = 0; e < keep; e++) s[base + u.index(e0 + e)] += (float) (scale * u.value(e0 + e));
            }
        }
    }

    /// `⟨u, s⟩` with `s` laid out as [#accumulate] lays it out.
    private static double dot(SparseUpdate u, float[] s) {
        double sum = 0;
        for (DemoBlocking.TensorBlocks t : u.blocking().tensors()) {
            int keep = t.keep();
            int elems = t.blockElems();
            for (int b = 0; b < t.blockCount(); b++) {
                int e0 = t.entryOffset() + b * keep;
                int base = t.offset() + b * elems;
                for (int e = 0; e < keep; e++) sum += (double) u.value(e0 + e) * s[base + u.index(e0 + e)];
            }
        }
        return sum;
    }

    /// The median of the finite values among `agreements` (NaN if none).
    public static double median(double[] agreements) {
        double[] v = Arrays.stream(agreements).filter(Double::isFinite).toArray();
        return v.length == 0 ? Double.NaN : UpdateValidator.median(v);
    }

    /// A printable agreement for logs and the ledger's reasons.
    public static String format(double agreement) {
        return Double.isNaN(agreement) ? "-" : String.format(Locale.ROOT, "%.4f", agreement);
    }

    /// What the screen made of a round.
    ///
    /// @param agreements per update, the agreement it was judged by: for a dropped update its agreement when it was
    ///                   dropped, for a kept one its agreement with the kept others (the screen's last pass); NaN
    ///                   where not compared
    /// @param dropped    position → why the screen dropped it
    public record Screen(double[] agreements, Map<Integer, String> dropped) {}

    /// The agreement screen of a round: drops, one at a time, the update with the lowest agreement while it is below
    /// `fraction` × the median agreement of the updates still in, recomputing the agreements without it
    /// after each drop (so that a strongly anti-aligned update does not drag down an honest update's reference and
    /// the median before it is itself removed). Applied only while at least [#MIN_UPDATES_FOR_RULE] updates are
    /// compared (finite agreements) and their median is at least [#MIN_MEDIAN]: a round whose updates do not point
    /// the same way has no direction to hold an update to, and the majority of honest updates is what the rule
    /// assumes, as the median rules of the norm bound and the spot checks do. One pass of O(n·k + P), then one of O(n·k)
    /// per drop ([Votes]).
    ///
    /// @param updates the round's updates, all of one blocking
    /// @param counted  per update: whether it survived the checks before this one (norm bound, model health)
    /// @param fraction the bound as a multiple of the median: the run's outer rule's (`OuterRule.agreementFraction`:
    ///                 0.1 for the mean step, −0.5 for the sign step, each measured)
    public static Screen screen(List<SparseUpdate> updates, boolean[] counted, double fraction) {
        boolean[] in = counted.clone();
        Votes votes = new Votes(updates, in);
        double[] a = votes.agreements();
        double[] judged = a.clone();
        Map<Integer, String> dropped = new TreeMap<>();
        while (true) {
            long compared = Arrays.stream(a).filter(Double::isFinite).count();
            double median = median(a);
            if (compared < MIN_UPDATES_FOR_RULE || !(median >= MIN_MEDIAN)) break;
            int lowest = -1;
            for (int i = 0; i < a.length; i++) {
                if (Double.isFinite(a[i]) && (lowest < 0 || a[i] < a[lowest])) lowest = i;
            }
            double bound = fraction * median;
            if (!(a[lowest] < bound)) break;
            dropped.put(lowest, String.format(Locale.ROOT, "agreement %.4f is below %.2f × the round's median agreement"
                            + " %.4f (its cosine with the sum of the round's other updates: it points %s them)", a[lowest],
                    fraction, median, a[lowest] < -MIN_MEDIAN ? "away from" : "across"));
            in[lowest] = false;
            votes.remove(lowest);
            a = votes.agreements();
            for (int i = 0; i < a.length; i++) if (in[i]) judged[i] = a[i];
        }
        return new Screen(judged, dropped);
    }
}

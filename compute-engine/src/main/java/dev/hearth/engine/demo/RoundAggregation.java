package dev.hearth.engine.demo;

import dev.hearth.engine.checkpoint.ParamsDigest;
import java.util.ArrayList;
import java.util.List;

/// The coordinator's half of a round, written once for the coordinator and every bench or simulation that stands in
/// for one: the round's base parameters and accepted updates in; the spot checks of the chosen updates, the step
/// bytes the commit carries, the new parameters (the step applied to a copy of the base, from those very bytes) and
/// their SHA-256 out.
///
/// Order of work, as a run does it: updates excluded beforehand (norm outliers) are skipped; each update chosen for
/// a spot check is applied alone — at a quarter of the rate of its share of the round ({@link OuterRule#spotCheckLr},
/// {@link OuterRule#SPOT_CHECK_PROBE}), so that the step judged is no larger than the one it takes in the round and
/// small enough to be judged at first order — and its own batch's loss compared before, after and after its
/// negation; once every check of the round is measured they are judged together ({@link SpotCheck#passRound}) and an
/// update that fails is left out; the rest, in list order (float sums are order-dependent), make
/// the rule's step.
/// Pure apart from the loss evaluations the caller supplies: the same inputs give the same bytes.
///
/// @param rule     the run's outer step
/// @param blocking the run's DCT blocking
/// @param mode     the run's robust aggregation
public record RoundAggregation(OuterRule rule, DemoBlocking blocking, RobustMode mode) {

    /// A round's updates and what is known of them before aggregating.
    ///
    /// @param base      the round's parameters (not modified)
    /// @param lr        the rate the commit applies the step with ({@link OuterRule#commitLr})
    /// @param updates   the accepted updates, in arrival order
    /// @param tokens    tokens each update was trained on (its weight, and its share of the round's step in a spot
    ///                  check)
    /// @param excluded  per update: left out before aggregating (e.g. a norm outlier), not spot-checked
    /// @param spotCheck per update: apply it alone and judge it ({@link SpotCheck})
    public record Input(float[] base, float lr, List<SparseUpdate> updates, long[] tokens, boolean[] excluded,
                        boolean[] spotCheck) {
        public Input {
            updates = List.copyOf(updates);
            int n = updates.size();
            if (tokens.length != n || excluded.length != n || spotCheck.length != n) {
                throw new IllegalArgumentException(n + " updates but " + tokens.length + " token counts, "
                        + excluded.length + " exclusions and " + spotCheck.length + " spot-check choices");
            }
        }

        /// Every update counts and none is spot-checked (a simulation's round).
        public static Input all(float[] base, float lr, List<SparseUpdate> updates, long[] tokens) {
            return new Input(base, lr, updates, tokens, new boolean[updates.size()], new boolean[updates.size()]);
        }
    }

    /// The loss of some parameters on one update's own batch.
    @FunctionalInterface
    public interface Loss {
        float at(float[] params);
    }

    /// How a spot check measures and judges an update.
    public interface SpotCheck {
        /// No update is ever chosen: nothing to measure.
        SpotCheck NONE = new SpotCheck() {
            @Override
            public Loss lossOn(int update) {
                throw new IllegalStateException("update " + update + " was chosen for a spot check without one");
            }

            @Override
            public boolean passes(float before, float after, float afterNegated) {
                return true;
            }
        };

        /// The loss on update `update`'s own batch (made once per checked update).
        Loss lossOn(int update);

        /// Whether an update whose step alone moved the loss from `before` to `after` (and its negation to
        /// `afterNegated`) counts.
        boolean passes(float before, float after, float afterNegated);

        /// Whether each of a round's checks counts, judged together once all are measured (a rule may compare one
        /// check with the others of its round): index `j` is the round's `j`-th check in input order. By default
        /// each is judged alone by {@link #passes}.
        default boolean[] passRound(float[] before, float[] after, float[] afterNegated) {
            boolean[] out = new boolean[before.length];
            for (int j = 0; j < out.length; j++) out[j] = passes(before[j], after[j], afterNegated[j]);
            return out;
        }
    }

    /// One spot check: the update's position in the input, its batch's losses, and whether it passed.
    public record SpotResult(int update, float before, float after, float afterNegated, boolean passed) {}

    /// What the round produced.
    ///
    /// @param step   the encoded step the commit carries ({@link OuterRule#putStep})
    /// @param params the base with the step applied (a fresh array)
    /// @param sha256 {@link ParamsDigest#sha256} of `params`
    /// @param used   per update: whether it counted in the step
    /// @param spots  the spot checks made, in input order
    public record Result(byte[] step, float[] params, byte[] sha256, boolean[] used, List<SpotResult> spots) {
        /// Updates that counted.
        public int usedCount() {
            int n = 0;
            for (boolean u : used) if (u) n++;
            return n;
        }
    }

    /// Aggregates one round.
    ///
    /// @throws IllegalArgumentException as {@link OuterRule#step} does (updates for another blocking, bad weights)
    public Result run(Input in, SpotCheck check) {
        int n = in.updates().size();
        boolean[] used = new boolean[n];
        List<SpotResult> spots = new ArrayList<>();
        long countedTokens = 0; // the weights the round's step divides by, before any spot check drops one
        for (int i = 0; i < n; i++) if (!in.excluded()[i]) countedTokens += in.tokens()[i];
        List<Integer> checked = new ArrayList<>();
        List<float[]> measured = new ArrayList<>(); // before, after, afterNegated per check
        for (int i = 0; i < n; i++) {
            used[i] = !in.excluded()[i];
            if (!used[i] || !in.spotCheck()[i]) continue;
            SparseUpdate u = in.updates().get(i);
            Loss loss = check.lossOn(i);
            float lr = rule.spotCheckLr(in.lr(), share(in.tokens()[i], countedTokens));
            float before = loss.at(in.base());
            float after = loss.at(rule.applyAlone(blocking, in.base(), u, lr));
            float afterNegated = loss.at(rule.applyAlone(blocking, in.base(), negated(u), lr));
            checked.add(i);
            measured.add(new float[] {before, after, afterNegated});
        }
        // Judged once every check of the round is measured, so that a rule can compare each with its round's.
        int m = checked.size();
        float[][] cols = new float[3][m];
        for (int j = 0; j < m; j++) for (int c = 0; c < 3; c++) cols[c][j] = measured.get(j)[c];
        boolean[] passed = m == 0 ? new boolean[0] : check.passRound(cols[0], cols[1], cols[2]);
        for (int j = 0; j < m; j++) {
            int i = checked.get(j);
            spots.add(new SpotResult(i, cols[0][j], cols[1][j], cols[2][j], passed[j]));
            used[i] = passed[j];
        }
        List<SparseUpdate> counted = new ArrayList<>();
        List<Long> weights = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (!used[i]) continue;
            counted.add(in.updates().get(i));
            weights.add(in.tokens()[i]);
        }
        float[] next = in.base().clone();
        byte[] step = rule.step(blocking, counted, weights.stream().mapToLong(Long::longValue).toArray(), mode);
        try {
            rule.applyStep(blocking, next, step, in.lr());
        } catch (MalformedUpdateException e) {
            throw new IllegalStateException("the step encoded here failed its own check", e);
        }
        return new Result(step, next, ParamsDigest.sha256(next), used, List.copyOf(spots));
    }

    /// An update's weight among the round's counted updates: its tokens over theirs (the rule refuses weights that
    /// are not positive, so a total of 0 only comes with one counted update).
    static double share(long tokens, long countedTokens) {
        return countedTokens > 0 ? (double) tokens / countedTokens : 1.0;
    }

    /// The update with every value negated (the spot check's antithetic step).
    static SparseUpdate negated(SparseUpdate u) {
        int n = u.entryCount();
        short[] idx = new short[n];
        float[] val = new float[n];
        for (int i = 0; i < n; i++) {
            idx[i] = (short) u.index(i);
            val[i] = -u.value(i);
        }
        return new SparseUpdate(u.blocking(), idx, val);
    }
}

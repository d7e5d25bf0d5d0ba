package dev.hearth.coordinator.health;

import dev.hearth.engine.demo.OuterRule;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/// The model's health, an invariant checked before any version is published: what no update, of any magnitude,
/// may do to the parameters, whatever the number of updates in its round. Pure functions; the coordinator calls
/// them on its aggregation thread.
///
/// * **One update** may not move the model further than an honest one does: the step it would take alone
///   ([OuterRule#aloneStepNorm]; with the mean step `outer_lr·‖u‖`) must stay within the rule's bound
///   ([OuterRule#stepBound]; with the mean step `MeanStep.HEADROOM × MeanStep.HONEST_STEP_PER_UNIT × outer_lr ×
///   lr_max × √local_steps`) of `‖θ‖` ([#updateProblem]). A round's mean step is a weighted mean of its updates'
///   steps, so it obeys the same bound when each of them does — with one update as with a hundred. With the sign
///   step an update cannot change the step's size at all (`lr` per coordinate).
/// * **The round's step**, before it is published: every new parameter finite, and `‖θ' − θ‖ / ‖θ‖` within the
///   rule's bound (which the ternary step meets by construction) ([#commitProblem]). When that fails, [#culprit] finds
///   the update whose removal heals it (leave-one-out over the round's updates).
///
/// The bounds come from what honest rounds do (docs/reliability.md, "The model's health", measured on `nano`); each
/// rule states its own, so a new rule does not compile until its bound is stated.
public final class ModelHealth {

    /// 8 updates: up to this many, [#findCulprit] tries leaving each out (n trials); a larger round is bisected
    /// (at most ⌈log₂ n⌉ + 1 trials), which finds a single culprit too. A trial of the health probe costs one step over the
    /// round's updates and one forward pass over the probe's windows (docs/reliability.md, "The model's health"), so
    /// 8 trials stay within a few probes' time, and a round of 1,000 updates needs 11.
    public static final int LEAVE_ONE_OUT_MAX = 8;

    /// √`Float.MAX_VALUE` ≈ 1.8 × 10¹⁹: an update whose L2 norm (in double) is above this can overflow float
    /// arithmetic when it is decoded or summed — its squares, or a block's inverse DCT adding up its coefficients, pass
    /// `Float.MAX_VALUE` and turn infinite, then NaN — whatever the outer rule. Below it the inverse DCT of one update
    /// (orthonormal) is at most the norm per parameter, far from the float limit. The mean step's bound catches such an update
    /// anyway; the sign step has no per-update size bound (each update moves the model by its share of `lr`), and a
    /// `Float.MAX_VALUE` update reached its spot check and failed the round there ("direction is NaN"). Honest DeMo
    /// updates are many orders of magnitude below (their norms are the ledger's `norm` column).
    public static final double MAX_DECODABLE_NORM = Math.sqrt(Float.MAX_VALUE);

    private ModelHealth() {
    }

    /// Why an update of L2 norm `updateNorm` cannot be used by any outer rule — its values overflow float arithmetic
    /// ([#MAX_DECODABLE_NORM]) — or empty.
    public static Optional<String> overflowProblem(double updateNorm) {
        if (updateNorm <= MAX_DECODABLE_NORM) return Optional.empty();
        return Optional.of(String.format(Locale.ROOT, "model health: its update's norm %.3g is beyond what float"
                + " arithmetic can decode (%.3g): its step would be infinite or NaN", updateNorm, MAX_DECODABLE_NORM));
    }

    /// The L2 norm, accumulated in double (a float sum of 10⁶ squares loses digits).
    public static double l2(float[] x) {
        double s = 0;
        for (float v : x) s += (double) v * v;
        return Math.sqrt(s);
    }

    /// `‖next − base‖₂`.
    public static double stepNorm(float[] base, float[] next) {
        if (base.length != next.length) {
            throw new IllegalArgumentException("a step between " + base.length + " and " + next.length + " parameters");
        }
        double s = 0;
        for (int i = 0; i < base.length; i++) {
            double d = (double) next[i] - base[i];
            s += d * d;
        }
        return Math.sqrt(s);
    }

    /// The index of the first NaN or infinite value, or -1.
    public static int firstNonFinite(float[] x) {
        for (int i = 0; i < x.length; i++) {
            if (!Float.isFinite(x[i])) return i;
        }
        return -1;
    }

    /// Why one update, whose step alone would have norm `aloneStepNorm`, may not count — or empty when it may.
    ///
    /// @param paramsNorm `‖θ‖` of the round's base version
    /// @param bound      the most `aloneStepNorm / paramsNorm` may be ([OuterRule#stepBound])
    public static Optional<String> updateProblem(double aloneStepNorm, double paramsNorm, double bound) {
        double relative = aloneStepNorm / paramsNorm;
        if (Double.isFinite(relative) && relative <= bound) return Optional.empty();
        return Optional.of(String.format(Locale.ROOT, "model health: its update alone would move the model by %.3g of"
                + " its norm, more than the %.3g an honest update can", relative, bound));
    }

    /// Why `next` may not be published after `base` — or empty when it may.
    ///
    /// @param bound the most `‖next − base‖ / ‖base‖` may be
    public static Optional<String> commitProblem(float[] base, float[] next, double bound) {
        int bad = firstNonFinite(next);
        if (bad >= 0) {
            return Optional.of("model health: the step would make parameter " + bad + " " + next[bad]);
        }
        double relative = stepNorm(base, next) / l2(base);
        if (!(relative <= bound)) {
            return Optional.of(String.format(Locale.ROOT, "model health: the round's step would move the model by"
                    + " %.3g of its norm, more than the %.3g an honest round can", relative, bound));
        }
        return Optional.empty();
    }

    /// Leave-one-out: the first of `items` whose removal leaves a healthy round, by `problemWithout` (the
    /// round's problem computed over the other items, empty when healthy), or empty when no single removal heals
    /// it.
    public static <T> Optional<T> culprit(List<T> items, Function<List<T>, Optional<String>> problemWithout) {
        for (int i = 0; i < items.size(); i++) {
            List<T> others = new ArrayList<>(items);
            T left = others.remove(i);
            if (problemWithout.apply(others).isEmpty()) return Optional.of(left);
        }
        return Optional.empty();
    }

    /// Bisection for a single culprit: halves the suspects by whether the round without one half is healthy, then
    /// checks that the round without the last suspect is healthy (else empty: no single update explains it). At most
    /// ⌈log₂ n⌉ + 1 calls of `problemWithout` for n > 1 items (an odd split can end a halving early).
    public static <T> Optional<T> bisectCulprit(List<T> items, Function<List<T>, Optional<String>> problemWithout) {
        if (items.isEmpty()) return Optional.empty();
        int from = 0;
        int to = items.size(); // the suspects: items[from, to)
        while (to - from > 1) {
            int mid = from + (to - from) / 2;
            if (problemWithout.apply(without(items, from, mid)).isEmpty()) {
                to = mid; // the round without [from, mid) is healthy: the culprit is there
            } else {
                from = mid; // with a single culprit, it is in the other half
            }
        }
        return problemWithout.apply(without(items, from, to)).isEmpty() ? Optional.of(items.get(from)) : Optional.empty();
    }

    /// The single update whose removal heals the round: leave-one-out ([#culprit]) up to [#LEAVE_ONE_OUT_MAX]
    /// items, bisection ([#bisectCulprit]) above; empty when no single removal heals it.
    public static <T> Optional<T> findCulprit(List<T> items, Function<List<T>, Optional<String>> problemWithout) {
        return items.size() <= LEAVE_ONE_OUT_MAX ? culprit(items, problemWithout) : bisectCulprit(items, problemWithout);
    }

    /// 16 groups: the most [#badMembers] splits a round into before it gives up (each group costs a trial), so two or
    /// three colluding updates are found in a few dozen trials and a round full of them cannot make the search run on.
    public static final int MAX_BAD_GROUPS = 16;

    /// Every item that is bad on its own, when no single removal heals a round (two colluders each breaking it): a
    /// group that `bad` passes is clean; a failing one is halved until its members are single. At most
    /// [#MAX_BAD_GROUPS] failing groups are split; beyond that the search gives up (empty). `bad` is asked about the
    /// whole list first; empty when it passes.
    public static <T> List<T> badMembers(List<T> items, java.util.function.Predicate<List<T>> bad) {
        List<T> out = new ArrayList<>();
        java.util.ArrayDeque<List<T>> failing = new java.util.ArrayDeque<>();
        if (!items.isEmpty() && bad.test(items)) failing.add(items);
        int splits = 0;
        while (!failing.isEmpty()) {
            List<T> g = failing.poll();
            if (g.size() == 1) {
                out.add(g.get(0));
                continue;
            }
            if (++splits > MAX_BAD_GROUPS) return List.of();
            List<T> left = g.subList(0, g.size() / 2);
            List<T> right = g.subList(g.size() / 2, g.size());
            if (bad.test(left)) failing.add(left);
            if (bad.test(right)) failing.add(right);
        }
        return List.copyOf(out);
    }

    private static <T> List<T> without(List<T> items, int from, int to) {
        List<T> others = new ArrayList<>(items.subList(0, from));
        others.addAll(items.subList(to, items.size()));
        return others;
    }
}

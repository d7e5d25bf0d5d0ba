package dev.hearth.coordinator.health;

import dev.hearth.engine.demo.MeanStep;
import dev.hearth.engine.demo.OuterRule;
import dev.hearth.engine.demo.SignStep;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/// The model's health, an invariant checked before any version is published: what no update, of any magnitude,
/// may do to the parameters, whatever the number of updates in its round. Pure functions; the coordinator calls
/// them on its aggregation thread.
///
/// * **One update** may not move the model further than an honest one does. With the mean step the step an
///   update alone would take is `outer_lr·‖u‖` (the DCT is orthonormal, so an update's coefficient norm is its
///   step's norm in parameter space); it must stay within [#meanStepBound] of `‖θ‖`. A round's mean step is a
///   weighted mean of its updates' steps, so it obeys the same bound when each of them does — with one update as
///   with a hundred. With the sign step an update cannot change the step's size at all (`lr` per coordinate).
/// * **The round's step**, before it is published: every new parameter finite, and `‖θ' − θ‖ / ‖θ‖` within the
///   bound ([#meanStepBound], or [#signStepBound] which the ternary step meets by construction). When that fails,
///   [#culprit] finds the update whose removal heals it (leave-one-out over the round's updates).
///
/// The bounds come from what honest rounds do (docs/reliability.md, "The model's health", measured on `nano`).
public final class ModelHealth {

    /// 20: an honest update's step alone, relative to `‖θ‖`, per unit of `outer_lr × lr_max × √local_steps`, at
    /// most. AdamW moves each parameter by about `lr` per inner step and the outer rate scales the step; over local
    /// steps the moves add up less than linearly (they partly cancel, and top-k compression keeps the largest), and
    /// `√local_steps` fits what was measured on `nano` (outer 1.5, lr_max 1e-3): with 8 local steps honest updates
    /// alone moved the model 0.049–0.068 of `‖θ‖` in LocalRunIntegrationTest (3 nodes, 10 rounds) and 0.042–0.076
    /// in the reliability bench's process-fault run (4 nodes, 48 rounds), at most 17.9 per unit; with 3 local steps,
    /// 0.033–0.050 in the mean-step Byzantine scenario's clean run (12 nodes, 11 rounds), at most 19.2 per unit.
    /// Rounded up. (Linear in local steps, the 3-step bound would have been 1.2× the honest figure.)
    public static final double MEAN_STEP_PER_UNIT = 20;
    /// 2×: the bound is twice the largest honest figure, for rounds and settings other than the measured ones (the
    /// bound with the defaults is 0.170, the largest honest update measured 0.076). An update beyond it is not an
    /// honest one.
    public static final double HEADROOM = 2.0;
    /// 1e-3 relative: float rounding allowed on top of the sign step's exact bound.
    static final double ROUNDING = 1e-3;

    private ModelHealth() {
    }

    /// With the mean step: how far, relative to `‖θ‖`, one update alone — and so the round's step — may move the
    /// model: [#HEADROOM] × [#MEAN_STEP_PER_UNIT] × `outerLr × lrMax × √localSteps` (0.170 with the defaults).
    public static double meanStepBound(double outerLr, int localSteps, double lrMax) {
        return HEADROOM * MEAN_STEP_PER_UNIT * outerLr * lrMax * Math.sqrt(localSteps);
    }

    /// With the sign step: the ternary step's own bound, `lr·√P / ‖θ‖ + lr·wd` (every coordinate moved by at most
    /// `lr`, plus the decay), with float rounding on top; a step beyond it is a bug or corrupt memory, not an update.
    public static double signStepBound(double lr, double weightDecay, int params, double paramsNorm) {
        return (lr * Math.sqrt(params) / paramsNorm + lr * weightDecay) * (1 + ROUNDING);
    }

    /// How far, relative to `‖θ‖`, a round's step under `rule` may move the model ([#meanStepBound] or
    /// [#signStepBound]). A sealed switch: a new outer rule does not compile until its bound is stated here.
    ///
    /// @param lr the rate the round's commit applies its step with (RoundCommit.lr)
    public static double stepBound(OuterRule rule, double lr, double lrMax, int params, double paramsNorm) {
        return switch (rule) {
            case MeanStep m -> meanStepBound(lr, m.localSteps(), lrMax);
            case SignStep s -> signStepBound(lr, s.weightDecay(), params, paramsNorm);
        };
    }

    /// The norm of the step `update` alone would take at `lr` under `rule`, or NaN where an update cannot change the
    /// step's size (the sign step: `lr` per coordinate whatever the update).
    public static double aloneStepNorm(OuterRule rule, dev.hearth.engine.demo.SparseUpdate update, double lr) {
        return switch (rule) {
            case MeanStep m -> lr * update.l2Norm(); // the DCT is orthonormal: coefficient norm = step norm
            case SignStep s -> Double.NaN;
        };
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
    /// @param bound      the most `aloneStepNorm / paramsNorm` may be ([#meanStepBound])
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
}

package dev.hearth.coordinator.validation;

import dev.hearth.coordinator.run.SpotCheckSampler;

import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/// Loss-based spot checks (the idea of Templar's Gauntlet): for a seeded fraction of a round's updates the
/// coordinator measures the loss on that node's own assigned batch before and after applying its update
/// alone — at a quarter (`OuterRule.SPOT_CHECK_PROBE`) of its token share of the round's rate (`OuterRule.spotCheckLr`:
/// the share is, with the mean step, the step it takes in the round, with the sign step its share of the direction the
/// round steps by the sign of). An update that does no
/// better than its own negation on its own batch is a strike, and with the mean step also one that beats it by much
/// less than the round's other checked updates do (the relative rule, {@link #RELATIVE_GAP_FRACTION}); `strikes` strikes
/// within `windowRounds` rounds quarantine the node (no further updates count and it earns no credit). Strikes that
/// are not loss checks ({@link #strike}: a model-health breach, a norm-bound drop) quarantine at
/// {@link #HEALTH_STRIKES}.
///
/// Deterministic: the choice is a hash of the seed, and the strike state is a function of the outcomes fed
/// in. The ledger keeps every check; at restart {@link #restoreStrike} replays the strikes of the window.
public final class SpotCheckPolicy {

    /// 1 % relative slack: one node's update applied alone is a noisy step, and a tiny loss increase on one
    /// batch is normal for an honest node; a garbage or inverted update raises it by far more.
    public static final double DEFAULT_TOLERANCE = 0.01;
    /// 3 strikes: one or two bad steps happen to honest nodes (an unlucky batch, lr warm-up).
    public static final int DEFAULT_STRIKES = 3;
    /// Within 10 rounds: strikes spread over a long run are noise, clustered strikes are a pattern.
    public static final int DEFAULT_WINDOW_ROUNDS = 10;

    /// 0.25 of the round's median gap: the relative rule strikes an update whose antithetic gap
    /// (`(negated − after) / before`, the loss its negation leaves minus the loss it leaves, relative to its batch's
    /// loss before) is below this share of the median gap of its round's checks. Measured with the mean step
    /// (docs/reliability.md, Byzantine runs of 2026-12-02): first every honest update at ≥ 0.50 of its round's median
    /// (112 checks), every random one at ≤ 0.07 (12 checks); over later runs against the round's lower median
    /// (`OuterRule.comparesSpotCheckGaps`) honest ≥ 0.37–0.40, random ≤ 0.09–0.11: 0.25 sits between them with a
    /// factor of about 1.5 to the honest side and more than 2 to the random side.
    public static final double RELATIVE_GAP_FRACTION = 0.25;
    /// The relative rule needs at least 3 checks with a finite gap in the round: then the (lower) median is an honest
    /// check's when a single cheater is among them, so it cannot set it (with 2 it would be the smaller of the two,
    /// a random update's; with 1 the update's own). With fewer only the antithetic rule applies. The sampler checks at least
    /// [SpotCheckSampler#MIN_CHECKS_PER_ROUND] (this number) updates a round when the fraction is above 0, so every round of 3
    /// or more uploads gets the rule; at the run default's fraction 0.1 a round of 30 or more reaches 3 by the fraction.
    public static final int MIN_CHECKS_FOR_RELATIVE_GAP = 3;

    private final double fraction;
    private final double tolerance;
    private final int strikes;
    private final int windowRounds;
    private final Map<String, Deque<Long>> strikeRounds = new HashMap<>();

    /// @param fraction     share of updates checked per round, in [0, 1] (at least 3 a round when above 0: the sampler's floor)
    /// @param tolerance    relative loss increase allowed before it is a strike
    /// @param strikes      strikes within the window that quarantine a node
    /// @param windowRounds width of the window in round ids
    public SpotCheckPolicy(double fraction, double tolerance, int strikes, int windowRounds) {
        if (!(fraction >= 0 && fraction <= 1) || !(tolerance >= 0) || strikes < 1 || windowRounds < 1) {
            throw new IllegalArgumentException("spot check needs fraction in [0,1], tolerance >= 0, strikes >= 1, window >= 1;"
                    + " got " + fraction + ", " + tolerance + ", " + strikes + ", " + windowRounds);
        }
        this.fraction = fraction;
        this.tolerance = tolerance;
        this.strikes = strikes;
        this.windowRounds = windowRounds;
    }

    public static SpotCheckPolicy withFraction(double fraction) {
        return new SpotCheckPolicy(fraction, DEFAULT_TOLERANCE, DEFAULT_STRIKES, DEFAULT_WINDOW_ROUNDS);
    }

    /// Which of `nodes` to check in `round` (the same as the state machine's `Aggregate.spotCheck`).
    public Set<String> choose(Collection<String> nodes, long round, long seed) {
        return SpotCheckSampler.choose(nodes, fraction, round, seed);
    }

    /// The result of one check.
    ///
    /// @param strike          the update made its own batch worse
    /// @param strikesInWindow the node's strikes in the current window, this one included
    /// @param quarantine      the node has reached the strike limit: quarantine it
    public record Outcome(String nodeId, long round, boolean strike, int strikesInWindow, boolean quarantine,
                          String reason) {
    }

    /// Records a check of `nodeId`'s update in `round` that measured the loss after the update only.
    public Outcome record(String nodeId, long round, double lossBefore, double lossAfter) {
        return record(nodeId, round, lossBefore, lossAfter, Double.NaN);
    }

    /// As {@link #record(String, long, double, double, double, double)} without the relative rule.
    public Outcome record(String nodeId, long round, double lossBefore, double lossAfter, double lossAfterNegated) {
        return record(nodeId, round, lossBefore, lossAfter, lossAfterNegated, Double.NaN);
    }

    /// Records a check of `nodeId`'s update in `round`.
    ///
    /// When `lossAfterNegated` was measured, the rule is antithetic: a strike when the update did no better than
    /// its own negation. To first order `after ≈ before − lr·⟨g, s⟩` and `negated ≈ before + lr·⟨g, s⟩`, so
    /// `after < negated` exactly when the step `s` goes downhill on the node's own batch `g`, whatever the
    /// learning rate, and the second-order terms (the overshoot of a step, which is the run's lr and not the node's
    /// doing) cancel; the check applies the update at a quarter of its share of the round's rate, where the terms
    /// beyond them are small too (at the sign step's whole rate they struck honest nodes now and then, and at the mean
    /// step's share an honest update once in a few hundred checks). An honest update passes it; a random one passes
    /// half the time; a
    /// sign-flipped one never. Otherwise the older rule applies: a strike when the update alone raised the loss
    /// on its own batch by more than the tolerance.
    ///
    /// Why the antithetic rule replaces the tolerance rule (reliability suite, 12 nodes, every update checked,
    /// lr 0.001): a random update changes its batch's loss by about +0.05 % alone, inside the 1 % tolerance, so the
    /// tolerance rule never caught it; and honest single-node sign steps overshoot by more than 1 % in about 9 %
    /// of checks, enough to quarantine an honest node in 12 rounds, while only 1 % of them lost to their negation.
    ///
    /// The relative rule, where the round's median gap is given ({@link #roundMedianGap}): a strike too when an update
    /// that goes downhill does so by less than {@link #RELATIVE_GAP_FRACTION} of the round's median gap. A random
    /// update at real magnitudes is nearly orthogonal to its batch's gradient, so it passes the antithetic rule half
    /// the time, but by a margin a few hundredths of an honest update's; the relative rule catches it every time.
    ///
    /// @param lossAfterNegated loss after applying the negated update alone, or NaN when not measured
    /// @param roundMedianGap   {@link #roundMedianGap} of the round's checks, or NaN where the relative rule does not
    ///                         apply (too few checks, or a rule whose gaps are not comparable)
    public Outcome record(String nodeId, long round, double lossBefore, double lossAfter, double lossAfterNegated,
                          double roundMedianGap) {
        Deque<Long> rounds = strikeRounds.computeIfAbsent(nodeId, k -> new ArrayDeque<>());
        while (!rounds.isEmpty() && rounds.peekFirst() <= round - windowRounds) {
            rounds.pollFirst();
        }
        boolean strike;
        String reason;
        if (!Double.isFinite(lossBefore)) {
            return new Outcome(nodeId, round, false, rounds.size(), false,
                    "loss before is not finite (" + lossBefore + "): check skipped, not the node's fault");
        }
        if (!Double.isFinite(lossAfter)) {
            strike = true;
            reason = "its update alone made the loss on its own batch non-finite";
        } else if (!Double.isNaN(lossAfterNegated)) {
            boolean descent = lossAfter < lossAfterNegated;
            boolean tooSmall = descent && belowRelativeGap(lossBefore, lossAfter, lossAfterNegated, roundMedianGap);
            strike = !descent || tooSmall;
            reason = String.format(Locale.ROOT, "%s on its own batch: loss %.4f → %.4f, its negation gives %.4f",
                    !descent ? "its update is not a descent direction" : tooSmall
                            ? String.format(Locale.ROOT, "its update goes downhill by a gap %.3g, below %.2f × the"
                                    + " round's median gap %.3g", gap(lossBefore, lossAfter, lossAfterNegated),
                            RELATIVE_GAP_FRACTION, roundMedianGap) : "its update goes downhill",
                    lossBefore, lossAfter, lossAfterNegated);
        } else {
            double limit = lossBefore * (1 + tolerance);
            strike = lossAfter > limit;
            reason = String.format(Locale.ROOT, "loss on its own batch %.4f → %.4f (limit %.4f)", lossBefore, lossAfter, limit);
        }
        if (strike) {
            rounds.addLast(round);
        }
        boolean quarantine = rounds.size() >= strikes;
        if (quarantine) {
            reason = String.format(Locale.ROOT, "%d spot-check strikes within %d rounds, last: %s", rounds.size(),
                    windowRounds, reason);
        }
        return new Outcome(nodeId, round, strike, rounds.size(), quarantine, reason);
    }

    /// Whether one check passes the rules of {@link #record(String, long, double, double, double)} with the default
    /// tolerance, so that the coordinator drops the update from its round exactly when the check is a strike.
    public static boolean passes(double lossBefore, double lossAfter, double lossAfterNegated) {
        return passes(lossBefore, lossAfter, lossAfterNegated, Double.NaN);
    }

    /// As {@link #passes(double, double, double)} with the relative rule of
    /// {@link #record(String, long, double, double, double, double)} at `roundMedianGap`.
    public static boolean passes(double lossBefore, double lossAfter, double lossAfterNegated, double roundMedianGap) {
        if (!Double.isFinite(lossBefore)) return true;
        if (!Double.isFinite(lossAfter)) return false;
        if (!Double.isNaN(lossAfterNegated)) {
            return lossAfter < lossAfterNegated
                    && !belowRelativeGap(lossBefore, lossAfter, lossAfterNegated, roundMedianGap);
        }
        return lossAfter <= lossBefore * (1 + DEFAULT_TOLERANCE);
    }

    /// Whether each of a round's checks passes (the `i`-th check's losses at index `i` of each array), judged as the
    /// coordinator judges them: {@link #passes(double, double, double, double)} at the round's {@link #roundMedianGap}
    /// where `relative` (the run's outer rule compares gaps, `OuterRule.comparesSpotCheckGaps`), else without the
    /// relative rule.
    public static boolean[] passRound(float[] lossBefore, float[] lossAfter, float[] lossAfterNegated,
                                      boolean relative) {
        double[] b = toDoubles(lossBefore);
        double[] a = toDoubles(lossAfter);
        double[] n = toDoubles(lossAfterNegated);
        double median = relative ? roundMedianGap(b, a, n) : Double.NaN;
        boolean[] out = new boolean[b.length];
        for (int i = 0; i < out.length; i++) out[i] = passes(b[i], a[i], n[i], median);
        return out;
    }

    private static double[] toDoubles(float[] v) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) out[i] = v[i];
        return out;
    }

    /// An update's antithetic gap: how much lower the loss on its own batch is after it than after its negation,
    /// relative to the loss before (`(negated − after) / before`); NaN when a loss is not finite or `before` is not
    /// positive.
    public static double gap(double lossBefore, double lossAfter, double lossAfterNegated) {
        if (!Double.isFinite(lossBefore) || !(lossBefore > 0) || !Double.isFinite(lossAfter)
                || !Double.isFinite(lossAfterNegated)) {
            return Double.NaN;
        }
        return (lossAfterNegated - lossAfter) / lossBefore;
    }

    /// The lower median {@link #gap} of a round's checks (the `i`-th check's losses at index `i` of each array): of `n`
    /// finite gaps the `⌈n/2⌉`-th smallest, the median itself for odd `n`; or NaN when fewer than
    /// {@link #MIN_CHECKS_FOR_RELATIVE_GAP} of them have a finite gap: then the relative rule does not apply.
    ///
    /// The lower median, not the mean of the two middle gaps: it is always one of the checks (for every `n` ≥ 3, not
    /// only odd ones), and a round whose honest batches fall in two groups does not put its scale between them. In a
    /// sign-step clean run (8 checks a round; its ledger read as the rule would judge it) four nodes drew batches
    /// whose gaps were 0.051–0.058, the other four's 0.0034–0.0041: the mean of the middle two, 0.028, put the small
    /// ones at 0.12–0.15 of it, below {@link #RELATIVE_GAP_FRACTION}; the lower median, 0.0041, at 0.83–1.0
    /// (docs/reliability.md, "The sign step's spot check at the update's share").
    public static double roundMedianGap(double[] lossBefore, double[] lossAfter, double[] lossAfterNegated) {
        if (lossAfter.length != lossBefore.length || lossAfterNegated.length != lossBefore.length) {
            throw new IllegalArgumentException("a round's checks need as many losses after (" + lossAfter.length
                    + ") and after the negation (" + lossAfterNegated.length + ") as before (" + lossBefore.length + ")");
        }
        double[] gaps = new double[lossBefore.length];
        int n = 0;
        for (int i = 0; i < gaps.length; i++) {
            double g = gap(lossBefore[i], lossAfter[i], lossAfterNegated[i]);
            if (Double.isFinite(g)) gaps[n++] = g;
        }
        if (n < MIN_CHECKS_FOR_RELATIVE_GAP) return Double.NaN;
        double[] finite = java.util.Arrays.copyOf(gaps, n);
        java.util.Arrays.sort(finite);
        return finite[(n - 1) / 2];
    }

    /// The relative rule: the update's gap is below {@link #RELATIVE_GAP_FRACTION} of the round's median gap. Applies
    /// only with a positive median (a round whose checks mostly do not go downhill has no honest scale to compare
    /// with; the antithetic rule judges it alone).
    private static boolean belowRelativeGap(double lossBefore, double lossAfter, double lossAfterNegated,
                                            double roundMedianGap) {
        if (!(roundMedianGap > 0) || Double.isInfinite(roundMedianGap)) return false;
        double g = gap(lossBefore, lossAfter, lossAfterNegated);
        return Double.isFinite(g) && g < RELATIVE_GAP_FRACTION * roundMedianGap;
    }

    /// 2 strikes: a strike for breaking the model's health (an update that alone would move the model further than an
    /// honest round) is never an honest accident, so the second such offence within the window quarantines.
    public static final int HEALTH_STRIKES = 2;

    /// Records a strike that is not a loss check: `nodeId`'s update in `round` broke the model's health
    /// (`reason`). It counts with the spot-check strikes; [#HEALTH_STRIKES] of any kind in the window quarantine.
    public Outcome strike(String nodeId, long round, String reason) {
        Deque<Long> rounds = strikeRounds.computeIfAbsent(nodeId, k -> new ArrayDeque<>());
        while (!rounds.isEmpty() && rounds.peekFirst() <= round - windowRounds) {
            rounds.pollFirst();
        }
        rounds.addLast(round);
        boolean quarantine = rounds.size() >= Math.min(strikes, HEALTH_STRIKES);
        return new Outcome(nodeId, round, true, rounds.size(), quarantine, quarantine ? String.format(Locale.ROOT,
                "%d strikes within %d rounds, last: %s", rounds.size(), windowRounds, reason) : reason);
    }

    /// Replays a strike recorded before a restart (oldest first).
    public void restoreStrike(String nodeId, long round) {
        strikeRounds.computeIfAbsent(nodeId, k -> new ArrayDeque<>()).addLast(round);
    }

    public int windowRounds() {
        return windowRounds;
    }

    /// Strikes of a node in the window ending at `round`.
    public int strikes(String nodeId, long round) {
        Deque<Long> rounds = strikeRounds.get(nodeId);
        if (rounds == null) {
            return 0;
        }
        return (int) rounds.stream().filter(r -> r > round - windowRounds).count();
    }
}

package dev.hearth.coordinator.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.engine.demo.MeanStep;
import dev.hearth.engine.demo.SignStep;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ModelHealthTest {

    static float[] filled(int n, float v) {
        float[] x = new float[n];
        java.util.Arrays.fill(x, v);
        return x;
    }

    /// The mean step's bound with the run's defaults (outer lr 1.5, 8 local steps, lr_max 1e-3).
    static double meanBound(int localSteps) {
        return new MeanStep(localSteps, 1.5, 0.1).stepBound(1.5, 1e-3, 1_000, 1.0);
    }

    static final double BOUND = meanBound(8);

    @Test
    void theMeanStepBoundIsTwiceTheMeasuredHonestFigureAndScalesWithTheRatesAndLocalSteps() {
        assertEquals(2 * 20 * 1.5 * 1e-3 * Math.sqrt(8), BOUND, 1e-12, "defaults: 2 × 20 × 1.5 × 1e-3 × √8");
        assertEquals(0.170, BOUND, 1e-3);
        assertEquals(2 * BOUND, meanBound(32), 1e-12, "√ of the local steps");
        assertTrue(BOUND > 0.076 * 2, "over twice the largest honest update measured with 8 local steps (0.076)");
        assertTrue(meanBound(3) > 0.050 * 2, "and with 3 (0.050)");
    }

    @Test
    void theSignStepMeetsItsBoundByConstruction() {
        int n = 10_000;
        float[] base = filled(n, 0.02f);
        float[] next = base.clone();
        float lr = 0.003f;
        for (int i = 0; i < n; i++) next[i] = base[i] - base[i] * lr * 0.1f - (i % 2 == 0 ? lr : -lr);
        double bound = new SignStep(0.1).stepBound(lr, 1e-2, n, ModelHealth.l2(base));
        assertEquals(Optional.empty(), ModelHealth.commitProblem(base, next, bound));
        next[0] -= 10 * lr * (float) Math.sqrt(n);
        assertTrue(ModelHealth.commitProblem(base, next, bound).isPresent(), "beyond lr per coordinate");
    }

    @Test
    void anUpdateMayMoveTheModelUpToTheBoundAndNoFurther() {
        double theta = 20;
        assertTrue(ModelHealth.updateProblem(theta * BOUND, theta, BOUND).isEmpty());
        Optional<String> over = ModelHealth.updateProblem(theta * BOUND * 1.01, theta, BOUND);
        assertTrue(over.orElseThrow().startsWith("model health: its update alone would move the model by"), over.get());
        assertTrue(ModelHealth.updateProblem(1e32, theta, BOUND).isPresent(), "absurd but finite");
        assertTrue(ModelHealth.updateProblem(Double.POSITIVE_INFINITY, theta, BOUND).isPresent());
        assertTrue(ModelHealth.updateProblem(Double.NaN, theta, BOUND).isPresent());
    }

    @Test
    void aCommitMustBeFiniteAndWithinTheRoundBound() {
        float[] base = filled(100, 1f); // ‖θ‖ = 10
        float[] ok = filled(100, 1f + 0.9f * (float) BOUND);
        assertEquals(Optional.empty(), ModelHealth.commitProblem(base, ok, BOUND));
        float[] far = filled(100, 1f + 1.1f * (float) BOUND);
        assertTrue(ModelHealth.commitProblem(base, far, BOUND).orElseThrow().contains("round's step would move the model"));
        float[] nan = base.clone();
        nan[7] = Float.NaN;
        assertEquals("model health: the step would make parameter 7 NaN",
                ModelHealth.commitProblem(base, nan, BOUND).orElseThrow());
        float[] inf = base.clone();
        inf[3] = Float.NEGATIVE_INFINITY;
        assertTrue(ModelHealth.commitProblem(base, inf, BOUND).orElseThrow().contains("parameter 3 -Infinity"));
    }

    @Test
    void normsAreAccumulatedInDouble() {
        assertEquals(1000.0, ModelHealth.l2(filled(1_000_000, 1f)), 1e-9);
        assertEquals(5.0, ModelHealth.stepNorm(new float[] {0, 0}, new float[] {3, 4}), 1e-12);
        assertEquals(-1, ModelHealth.firstNonFinite(new float[] {1, 2}));
    }

    @Test
    void leaveOneOutFindsTheUpdateWhoseRemovalHealsTheRound() {
        List<Integer> steps = List.of(1, 2, 1_000_000, 3);
        Optional<Integer> culprit = ModelHealth.culprit(steps,
                others -> others.stream().mapToInt(Integer::intValue).max().orElse(0) > 10
                        ? Optional.of("too far") : Optional.empty());
        assertEquals(Optional.of(1_000_000), culprit);
    }

    @Test
    void leaveOneOutFindsNothingWhenNoSingleRemovalHeals() {
        List<Integer> steps = List.of(1, 1_000_000, 2_000_000);
        assertFalse(ModelHealth.culprit(steps, others -> others.stream().anyMatch(x -> x > 10)
                ? Optional.of("too far") : Optional.empty()).isPresent());
    }

    @Test
    void validationNonFiniteOrFarAboveTheRecentMedianIsAFault() {
        ValidationWatch watch = new ValidationWatch();
        assertTrue(watch.problem(Double.NaN, false).isEmpty(), "not measured this round");
        assertTrue(watch.problem(Double.NaN, true).orElseThrow().contains("would be NaN"));
        assertTrue(watch.problem(99, true).isEmpty(), "no history yet: only finiteness is checked");
        for (double v : new double[] {5.0, 4.0, 3.5}) watch.published(v);
        assertEquals(4.0, watch.median());
        assertTrue(watch.problem(4.0 * ValidationWatch.JUMP_FACTOR, true).isEmpty(), "at the bound");
        String far = watch.problem(4.0 * ValidationWatch.JUMP_FACTOR + 0.01, true).orElseThrow();
        assertTrue(far.contains("more than 1.25× the recent median 4.0000"), far);
        for (int i = 0; i < ValidationWatch.RECENT; i++) watch.published(3.0);
        assertEquals(3.0, watch.median(), "only the recent values count");
        watch.published(Double.NaN);
        assertEquals(3.0, watch.median(), "a NaN is never a recent value");
    }

    @Test
    void aLossAboveTwiceLnVocabIsAFaultFromTheFirstVersion() {
        double ceiling = ValidationWatch.ceilingFor(256);
        assertEquals(2 * Math.log(256), ceiling, 1e-12);
        ValidationWatch probe = new ValidationWatch("health-probe loss", ceiling);
        assertTrue(probe.problem(5.6, true).isEmpty(), "a fresh model's loss, no history");
        String absurd = probe.problem(57.37, true).orElseThrow();
        assertEquals("model health: the health-probe loss of the new version would be 57.3700, more than 11.0904"
                + " (2× what a uniform guess over the vocabulary scores)", absurd);
        assertTrue(probe.problem(Double.POSITIVE_INFINITY, true).orElseThrow()
                .startsWith("model health: the health-probe loss of the new version would be Infinity"));
    }

    @Test
    void theProbeJudgesJumpsAtTwiceTheRecentMedianAndCallsOnlyNonFiniteOrCeilingLossesAbsurd() {
        ValidationWatch probe = new ValidationWatch("health-probe loss", ValidationWatch.ceilingFor(256),
                ValidationWatch.PROBE_JUMP_FACTOR);
        for (double v : new double[] {5.61, 5.16, 4.79, 4.57}) probe.published(v);
        // The honest spike CI saw (a single sign-step node, 4.57 -> 6.94 against a median of 4.975): not a fault.
        assertTrue(probe.problem(6.94, true).isEmpty(), "1.40x the recent median is an honest spike for the probe");
        String far = probe.problem(2.0 * probe.median() + 0.01, true).orElseThrow();
        assertTrue(far.contains("more than 2.00× the recent median 4.9750"), far);
        assertFalse(probe.absurd(2.0 * probe.median() + 0.01), "a jump is relative: one update alone is not blamed");
        assertTrue(probe.absurd(11.1) && probe.absurd(Double.NaN) && probe.absurd(Double.POSITIVE_INFINITY));
        assertFalse(probe.copy().problem(6.94, true).isPresent(), "a copy keeps the jump factor");
        assertThrows(IllegalArgumentException.class, () -> new ValidationWatch("x", 1, 1.0));
    }

    @Test
    void anUpdateWhoseValuesOverflowFloatArithmeticIsAProblemForEveryRuleAndAnHonestOneIsNot() {
        float[] max = new float[64];
        java.util.Arrays.fill(max, Float.MAX_VALUE); // the bench's maximal attack: finite values, absurd norm
        double norm = 0;
        for (float v : max) norm += (double) v * v;
        String why = ModelHealth.overflowProblem(Math.sqrt(norm)).orElseThrow();
        assertTrue(why.startsWith("model health: its update's norm 2.72e+39 is beyond what float arithmetic can decode"),
                why);
        assertTrue(ModelHealth.overflowProblem(12.5).isEmpty(), "an update of ordinary size");
        assertTrue(ModelHealth.overflowProblem(ModelHealth.MAX_DECODABLE_NORM).isEmpty(), "at the bound");
        // Below the bound a block's inverse DCT stays finite: at most sqrt(k) x the norm per parameter.
        assertTrue(Float.isFinite((float) (Math.sqrt(4096) * ModelHealth.MAX_DECODABLE_NORM)));
    }

    @Test
    void halvingFindsEveryMemberThatIsBadAloneWithinABoundedNumberOfTrials() {
        List<Integer> round = java.util.stream.IntStream.range(0, 10).boxed().toList();
        int[] trials = {0};
        java.util.function.Predicate<List<Integer>> bad = g -> {
            trials[0]++;
            return g.contains(2) || g.contains(7); // two colluders: any group holding one of them is broken
        };
        assertEquals(List.of(2, 7), ModelHealth.badMembers(round, bad).stream().sorted().toList());
        assertTrue(trials[0] <= 1 + 2 * 2 * 4, "about 2 trials per level per colluder: " + trials[0]);
        assertEquals(List.of(), ModelHealth.badMembers(round, g -> false), "a healthy round has none");
        assertEquals(List.of(), ModelHealth.badMembers(List.<Integer>of(), g -> true));
        List<Integer> many = java.util.stream.IntStream.range(0, 100).boxed().toList();
        assertEquals(List.of(), ModelHealth.badMembers(many, g -> true),
                "a round broken everywhere: the search gives up after MAX_BAD_GROUPS splits");
    }

    @Test
    void aCopyOfTheWatchJudgesWithTheHistoryOfItsTimeAndLeavesTheOriginalAlone() {
        ValidationWatch watch = new ValidationWatch("health-probe loss", ValidationWatch.ceilingFor(256));
        for (double v : new double[] {5.6, 5.5, 5.4}) watch.published(v);
        ValidationWatch copy = watch.copy();
        assertEquals(3, copy.history());
        assertTrue(copy.problem(5.5 * ValidationWatch.JUMP_FACTOR + 0.01, true).orElseThrow()
                .contains("× the recent median 5.5000"));
        copy.published(1.0);
        assertEquals(3, watch.history(), "the copy's history is its own");
        assertEquals(5.5, watch.median());
    }

    /// A round whose step is healthy exactly when `bad` is left out: the shape of the probe's culprit search.
    static java.util.function.Function<List<Integer>, Optional<String>> breaksWith(int bad, int[] trials) {
        return others -> {
            trials[0]++;
            return others.contains(bad) ? Optional.of("probe fails") : Optional.empty();
        };
    }

    @Test
    void bisectionFindsASingleCulpritInAtMostCeilLog2NPlusOneTrials() {
        for (int n : new int[] {2, 3, 9, 100, 1_000}) {
            List<Integer> items = java.util.stream.IntStream.range(0, n).boxed().toList();
            for (int bad : new int[] {0, n / 2, n - 1}) {
                int[] trials = {0};
                assertEquals(Optional.of(bad), ModelHealth.bisectCulprit(items, breaksWith(bad, trials)), "n " + n);
                int log2 = 32 - Integer.numberOfLeadingZeros(n - 1); // ⌈log₂ n⌉
                assertTrue(trials[0] <= log2 + 1 && trials[0] >= log2, "trials for n " + n + ": " + trials[0]);
            }
        }
    }

    @Test
    void noSingleCulpritWhenTwoUpdatesEachBreakTheRound() {
        List<Integer> items = java.util.stream.IntStream.range(0, 20).boxed().toList();
        java.util.function.Function<List<Integer>, Optional<String>> twoBad =
                others -> others.contains(3) || others.contains(15) ? Optional.of("probe fails") : Optional.empty();
        assertEquals(Optional.empty(), ModelHealth.bisectCulprit(items, twoBad));
        assertEquals(Optional.empty(), ModelHealth.findCulprit(items, twoBad));
        assertEquals(Optional.empty(), ModelHealth.findCulprit(items.subList(0, 5), others -> Optional.of("always")));
    }

    @Test
    void findCulpritLeavesEachOutUpToTheBoundAndBisectsAbove() {
        int small = ModelHealth.LEAVE_ONE_OUT_MAX;
        int[] trials = {0};
        List<Integer> items = java.util.stream.IntStream.range(0, small).boxed().toList();
        assertEquals(Optional.of(small - 1), ModelHealth.findCulprit(items, breaksWith(small - 1, trials)));
        assertEquals(small, trials[0], "leave-one-out: one trial per update, the culprit last");
        trials[0] = 0;
        List<Integer> large = java.util.stream.IntStream.range(0, 1_000).boxed().toList();
        assertEquals(Optional.of(999), ModelHealth.findCulprit(large, breaksWith(999, trials)));
        assertEquals(11, trials[0], "bisection: ⌈log₂ 1000⌉ + 1");
    }
}

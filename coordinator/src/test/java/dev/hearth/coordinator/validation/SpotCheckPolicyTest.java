package dev.hearth.coordinator.validation;

import dev.hearth.coordinator.run.SpotCheckSampler;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class SpotCheckPolicyTest {

    @Test
    void anUpdateThatLowersItsOwnLossIsNoStrike() {
        var policy = SpotCheckPolicy.withFraction(0.2);
        var out = policy.record("a", 1, 3.0, 2.9);
        assertFalse(out.strike());
        assertFalse(out.quarantine());
        assertTrue(out.reason().contains("3.0000 → 2.9000"), out.reason());
    }

    @Test
    void aSmallIncreaseWithinToleranceIsNoStrike() {
        var policy = SpotCheckPolicy.withFraction(0.2);
        assertFalse(policy.record("a", 1, 3.0, 3.02).strike(), "1 % of 3.0 is 0.03");
        assertTrue(policy.record("a", 2, 3.0, 3.04).strike());
    }

    @Test
    void threeStrikesWithinTheWindowQuarantine() {
        var policy = SpotCheckPolicy.withFraction(1);
        assertFalse(policy.record("a", 1, 3.0, 3.5).quarantine());
        assertFalse(policy.record("a", 4, 3.0, 3.5).quarantine());
        var third = policy.record("a", 9, 3.0, Double.NaN);
        assertTrue(third.strike());
        assertTrue(third.quarantine());
        assertEquals(3, third.strikesInWindow());
        assertTrue(third.reason().startsWith("3 spot-check strikes within 10 rounds"), third.reason());
    }

    @Test
    void strikesOutsideTheWindowAreForgiven() {
        var policy = SpotCheckPolicy.withFraction(1);
        policy.record("a", 1, 3.0, 3.5);
        policy.record("a", 2, 3.0, 3.5);
        var later = policy.record("a", 12, 3.0, 3.5);
        assertEquals(1, later.strikesInWindow(), "rounds 1 and 2 are more than 10 rounds before 12");
        assertFalse(later.quarantine());
        assertEquals(0, policy.strikes("b", 12));
    }

    @Test
    void anUnmeasurableBaselineIsNotTheNodesFault() {
        var policy = SpotCheckPolicy.withFraction(1);
        var out = policy.record("a", 1, Double.NaN, 9.0);
        assertFalse(out.strike());
        assertTrue(out.reason().contains("skipped"), out.reason());
    }

    @Test
    void choiceIsSeededAndRespectsTheFraction() {
        var nodes = List.of("a", "b", "c", "d", "e", "f", "g", "h");
        assertEquals(SpotCheckPolicy.withFraction(0.5).choose(nodes, 3, 11),
                SpotCheckPolicy.withFraction(0.5).choose(nodes, 3, 11));
        assertTrue(SpotCheckPolicy.withFraction(0).choose(nodes, 3, 11).isEmpty());
        assertEquals(8, SpotCheckPolicy.withFraction(1).choose(nodes, 3, 11).size());
        assertEquals(SpotCheckPolicy.MIN_CHECKS_FOR_RELATIVE_GAP, SpotCheckPolicy.withFraction(0.1).choose(nodes, 3, 11).size(),
                "a round of 8 at the default fraction has the relative rule's minimum");
        assertEquals(SpotCheckSampler.choose(nodes, 0.1, 3, 11), SpotCheckPolicy.withFraction(0.1).choose(nodes, 3, 11),
                "the policy and the state machine choose alike");
        assertThrows(IllegalArgumentException.class, () -> SpotCheckPolicy.withFraction(1.5));
    }

    @Test
    void anUpdateNoBetterThanItsNegationIsAStrikeEvenWithinTolerance() {
        var policy = SpotCheckPolicy.withFraction(1);
        var random = policy.record("a", 1, 3.0, 3.001, 2.999);
        assertTrue(random.strike(), "a loss-neutral random update is not a descent direction");
        assertTrue(random.reason().contains("not a descent direction"), random.reason());
        assertFalse(policy.record("b", 1, 3.0, 2.95, 3.06).strike(), "an honest update beats its negation");
        assertTrue(policy.record("c", 1, 3.0, 3.2, 2.9).strike(), "a sign-flipped update loses to its negation");
        assertFalse(policy.record("d", 1, 3.0, 3.02, Double.NaN).strike(), "not measured: the tolerance rule alone");
        assertFalse(policy.record("e", 1, 3.0, 3.2, 3.5).strike(),
                "a step that overshoots but beats its negation is the run's lr, not the node's fault");
    }

    @Test
    void passesAgreesWithRecord() {
        var policy = SpotCheckPolicy.withFraction(1);
        double[][] cases = {{3.0, 2.9, 3.1}, {3.0, 3.001, 2.999}, {3.0, 3.5, 3.6}, {3.0, Double.NaN, 3.0}, {3.0, 3.2, 3.5},
                {Double.NaN, 3.0, 3.0}, {3.0, 3.02, Double.NaN}, {3.0, 3.0, 3.0}};
        int round = 1;
        for (double[] c : cases) {
            boolean strike = policy.record("n" + round, round++, c[0], c[1], c[2]).strike();
            assertEquals(!strike, SpotCheckPolicy.passes(c[0], c[1], c[2]), java.util.Arrays.toString(c));
        }
    }

    /// A round's checks as the mean-step Byzantine runs saw them (gap `(negated − after) / before`): honest gaps
    /// between 0.5× and 2× their round's median, a random update's a few hundredths of it.
    @Test
    void honestGapsNearTheMedianPassAndATinyGapStrikes() {
        float[] before = {4.00f, 4.00f, 4.00f, 4.00f, 4.00f};
        float[] after = {3.96f, 3.97f, 3.95f, 3.98f, 4.000f};
        float[] negated = {4.04f, 4.03f, 4.06f, 4.02f, 4.002f}; // gaps 0.020, 0.015, 0.0275, 0.010, 0.0005
        double median = SpotCheckPolicy.roundMedianGap(d(before), d(after), d(negated));
        assertEquals(0.015, median, 1e-6);
        boolean[] passed = SpotCheckPolicy.passRound(before, after, negated, true);
        assertArrayEquals(new boolean[] {true, true, true, true, false}, passed,
                "the honest gaps (≥ 0.67× the median) pass; 0.0005 is 0.033× the median");
        var policy = SpotCheckPolicy.withFraction(1);
        var random = policy.record("r", 1, 4.0, 4.000f, 4.002f, median);
        assertTrue(random.strike(), "a random-like update that only just beats its negation");
        assertTrue(random.reason().contains("below 0.25 × the round's median gap"), random.reason());
        var honest = policy.record("h", 1, 4.0, 3.98f, 4.02f, median);
        assertFalse(honest.strike(), "two thirds of the median is an honest gap: " + honest.reason());
        assertTrue(SpotCheckPolicy.passRound(before, after, negated, false)[4],
                "without the relative rule the tiny gap beats its negation, and passes");
    }

    @Test
    void tooFewChecksInARoundLeaveTheAntitheticRuleAlone() {
        float[] before = {4.00f, 4.00f};
        float[] after = {3.96f, 4.000f};
        float[] negated = {4.04f, 4.002f};
        assertTrue(Double.isNaN(SpotCheckPolicy.roundMedianGap(d(before), d(after), d(negated))),
                "2 checks are fewer than " + SpotCheckPolicy.MIN_CHECKS_FOR_RELATIVE_GAP);
        assertArrayEquals(new boolean[] {true, true}, SpotCheckPolicy.passRound(before, after, negated, true),
                "with 2 checks the tiny gap passes: it beats its negation");
        // A third check whose loss before is not measurable does not make the median meaningful either.
        assertTrue(Double.isNaN(SpotCheckPolicy.roundMedianGap(new double[] {4, 4, Double.NaN},
                new double[] {3.96, 4.0, 3.9}, new double[] {4.04, 4.002, 4.1})));
        assertFalse(SpotCheckPolicy.withFraction(1).record("r", 1, 4.0, 4.000f, 4.002f, Double.NaN).strike());
    }

    @Test
    void theRelativeRuleIsOffWhereTheOuterRuleDoesNotCompareGaps() {
        float[] before = {4.00f, 4.00f, 4.00f, 4.00f};
        float[] after = {3.96f, 3.97f, 3.95f, 4.000f};
        float[] negated = {4.04f, 4.03f, 4.06f, 4.002f};
        assertArrayEquals(new boolean[] {true, true, true, false}, SpotCheckPolicy.passRound(before, after, negated, true));
        assertArrayEquals(new boolean[] {true, true, true, true}, SpotCheckPolicy.passRound(before, after, negated, false),
                "a rule whose gaps are not comparable: only the antithetic rule judges them");
    }

    /// The clean sign-step run's round 7 (docs/reliability.md, "The sign step's spot check at the update's share"):
    /// four honest batches with gaps of 0.0034–0.0041, four with 0.051–0.058. The mean of the middle two (0.0275)
    /// would put the small ones at 0.12–0.15 of it and strike all four; the lower median is one of the checks.
    @Test
    void anEvenRoundWhoseHonestGapsFallInTwoGroupsIsJudgedByItsLowerMedian() {
        float[] before = new float[8];
        java.util.Arrays.fill(before, 4.0f);
        float[] gaps = {0.0034f, 0.0037f, 0.0041f, 0.0041f, 0.0509f, 0.0558f, 0.0560f, 0.0584f};
        float[] after = new float[8];
        float[] negated = new float[8];
        for (int i = 0; i < 8; i++) {
            after[i] = 4.0f - 2 * gaps[i];
            negated[i] = 4.0f + 2 * gaps[i];
        }
        double median = SpotCheckPolicy.roundMedianGap(d(before), d(after), d(negated));
        assertEquals(SpotCheckPolicy.gap(4.0, after[3], negated[3]), median, 1e-9,
                "the 4th smallest of 8 gaps, not the mean of the 4th and 5th");
        boolean[] all = new boolean[8];
        java.util.Arrays.fill(all, true);
        assertArrayEquals(all, SpotCheckPolicy.passRound(before, after, negated, true),
                "no honest check is struck for drawing a batch of the smaller group");
        // A random update among them (a gap a tenth of the small group's) is still struck.
        after[0] = 4.0f - 2 * 0.0003f;
        negated[0] = 4.0f + 2 * 0.0003f;
        assertFalse(SpotCheckPolicy.passRound(before, after, negated, true)[0]);
    }

    @Test
    void aRoundWhoseMedianGapIsNotPositiveIsJudgedByTheAntitheticRuleAlone() {
        // Three sign-flippers and one update that only just goes downhill: no honest scale to compare with.
        float[] before = {4.00f, 4.00f, 4.00f, 4.00f};
        float[] after = {4.04f, 4.03f, 4.05f, 4.000f};
        float[] negated = {3.96f, 3.97f, 3.95f, 4.002f};
        assertTrue(SpotCheckPolicy.roundMedianGap(d(before), d(after), d(negated)) < 0);
        assertArrayEquals(new boolean[] {false, false, false, true}, SpotCheckPolicy.passRound(before, after, negated, true));
    }

    @Test
    void passesWithTheMedianAgreesWithRecord() {
        var policy = SpotCheckPolicy.withFraction(1);
        double median = 0.02;
        double[][] cases = {{4.0, 3.96, 4.04}, {4.0, 4.0, 4.002}, {4.0, 3.98, 4.02}, {4.0, 4.02, 3.98},
                {4.0, Double.NaN, 4.0}, {Double.NaN, 4.0, 4.0}, {4.0, 3.99, 4.0101}};
        int round = 1;
        for (double[] c : cases) {
            boolean strike = policy.record("n" + round, round++, c[0], c[1], c[2], median).strike();
            assertEquals(!strike, SpotCheckPolicy.passes(c[0], c[1], c[2], median), java.util.Arrays.toString(c));
        }
    }

    private static double[] d(float[] v) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) out[i] = v[i];
        return out;
    }
}

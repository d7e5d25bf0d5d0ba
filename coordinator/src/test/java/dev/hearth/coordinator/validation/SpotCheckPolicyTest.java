package dev.hearth.coordinator.validation;

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
}

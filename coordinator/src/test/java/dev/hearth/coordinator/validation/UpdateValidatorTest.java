package dev.hearth.coordinator.validation;

import dev.hearth.coordinator.run.Verdict;
import dev.hearth.coordinator.run.Verdict.Rule;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/// The payload rules (the round rules are RunStateMachineTest's).
class UpdateValidatorTest {

    private static final Instant AT = Instant.parse("2026-11-25T12:00:30Z");
    private final UpdateValidator validator = new UpdateValidator();

    private static UpdateView with(String run, boolean sig, boolean caps, String capsWhy, long nonFinite, double norm) {
        return new UpdateView(run, "a", 7, 6, sig, AT, caps, capsWhy, nonFinite, norm);
    }

    private void rejects(UpdateView u, Rule rule, String fragment) {
        Verdict v = validator.validate(u, "run-1");
        assertFalse(v.accepted(), "should be rejected by " + rule);
        assertEquals(rule, v.rule(), v.reason());
        assertTrue(v.reason().contains(fragment), "reason '" + v.reason() + "' should mention '" + fragment + "'");
    }

    @Test
    void acceptsAWellFormedUpdateWhateverItsRoundSays() {
        assertEquals(Verdict.accept(), validator.validate(with("run-1", true, true, "", 0, 1.0), "run-1"));
        var otherRound = new UpdateView("run-1", "z", 99, 0, true, AT.plusSeconds(3600), true, "", 0, 1.0);
        assertTrue(validator.validate(otherRound, "run-1").accepted(), "round, base and time are the run's rules");
    }

    @Test
    void aNonFiniteOrNegativeLocalLossIsRefusedAndAnyOtherIsAccepted() {
        for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.5}) {
            Verdict v = validator.validateLocalLoss(bad);
            assertFalse(v.accepted(), "local loss " + bad);
            assertEquals(Rule.LOCAL_LOSS, v.rule());
            assertEquals("reported local loss " + bad + " is not a loss (a cross-entropy is finite and not negative)",
                    v.reason());
        }
        for (double ok : new double[] {0.0, 5.545, 1e6}) {
            assertTrue(validator.validateLocalLoss(ok).accepted(), "a finite loss is only a report: " + ok);
        }
    }

    @Test
    void rejectsEachInvalidPayloadWithAReadableReason() {
        rejects(with("run-2", true, true, "", 0, 1), Rule.RUN, "run-2");
        rejects(with("run-1", false, true, "", 0, 1), Rule.SIGNATURE, "signature");
        rejects(with("run-1", true, false, "top-k 9000 above cap 4096", 0, 1), Rule.CAPS, "top-k 9000");
        rejects(with("run-1", true, true, "", 3, 1), Rule.NON_FINITE, "3 NaN");
        rejects(with("run-1", true, true, "", 0, Double.POSITIVE_INFINITY), Rule.NON_FINITE, "NaN or infinite");
        rejects(with("run-2", false, false, "", 3, 1), Rule.RUN, "run-2"); // the first broken rule wins
    }

    @Test
    void theFirstBrokenRuleInRuleOrderWins() {
        Verdict sig = Verdict.reject(Rule.SIGNATURE, "sig");
        Verdict late = Verdict.reject(Rule.DEADLINE, "late");
        assertSame(sig, Verdict.first(late, sig));
        assertSame(sig, Verdict.first(sig, late));
        assertSame(late, Verdict.first(Verdict.accept(), late));
        assertTrue(Verdict.first(Verdict.accept(), Verdict.accept()).accepted());
    }

    @Test
    void flagsNormsAboveTheFactorTimesTheMedian() {
        var out = validator.normOutliers(Map.of("a", 1.0, "b", 1.2, "c", 0.9, "d", 6.1));
        assertEquals(Set.of("d"), out.keySet());
        assertEquals(Rule.NORM, out.get("d").rule());
        assertTrue(out.get("d").reason().contains("5.0 × the round's median"), out.get("d").reason());
        assertTrue(validator.normOutliers(Map.of("a", 1.0, "b", 5.0, "c", 1.0)).isEmpty(), "exactly 5× is allowed");
    }

    @Test
    void skipsTheNormRuleBelowThreeUpdates() {
        assertTrue(validator.normOutliers(Map.of("a", 1.0, "b", 1000.0)).isEmpty());
    }

    @Test
    void medianOfEvenAndOddCounts() {
        assertEquals(2.0, UpdateValidator.median(new double[] {3, 1, 2}));
        assertEquals(2.5, UpdateValidator.median(new double[] {4, 1, 3, 2}));
    }

    @Test
    void creditsAreTokensOfCommittedUpdatesOfNodesInGoodStanding() {
        assertEquals(512, Credits.forUpdate(512, true, false));
        assertEquals(0, Credits.forUpdate(512, false, false));
        assertEquals(0, Credits.forUpdate(512, true, true));
    }
}

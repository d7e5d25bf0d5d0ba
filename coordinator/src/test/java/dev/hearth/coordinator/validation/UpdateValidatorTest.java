package dev.hearth.coordinator.validation;

import dev.hearth.coordinator.validation.Verdict.Rule;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class UpdateValidatorTest {

    private static final Instant DEADLINE = Instant.parse("2026-11-25T12:00:30Z");
    private static final RoundContext CTX = new RoundContext(1, "run-1", 7, 6, DEADLINE, Set.of("a", "b", "q"),
            Set.of("b"), Set.of("q"));
    private final UpdateValidator validator = new UpdateValidator();

    private static UpdateView good() {
        return new UpdateView(1, "run-1", "a", 7, 6, true, DEADLINE.minusSeconds(1), true, "", 0, 1.0);
    }

    private static UpdateView with(int protocol, String run, String node, long round, long base, boolean sig,
                                   Instant at, boolean caps, String capsWhy, long nonFinite, double norm) {
        return new UpdateView(protocol, run, node, round, base, sig, at, caps, capsWhy, nonFinite, norm);
    }

    private void rejects(UpdateView u, Rule rule, String fragment) {
        Verdict v = validator.validate(u, CTX);
        assertFalse(v.accepted(), "should be rejected by " + rule);
        assertEquals(rule, v.rule(), v.reason());
        assertTrue(v.reason().contains(fragment), "reason '" + v.reason() + "' should mention '" + fragment + "'");
    }

    @Test
    void acceptsAWellFormedTimelyUpdate() {
        assertEquals(Verdict.accept(), validator.validate(good(), CTX));
    }

    @Test
    void acceptsAnUpdateArrivingExactlyAtTheDeadline() {
        var u = with(1, "run-1", "a", 7, 6, true, DEADLINE, true, "", 0, 1);
        assertTrue(validator.validate(u, CTX).accepted());
    }

    @Test
    void rejectsEachInvalidKindWithAReadableReason() {
        Instant t = DEADLINE.minusSeconds(1);
        rejects(with(2, "run-1", "a", 7, 6, true, t, true, "", 0, 1), Rule.PROTOCOL_VERSION, "update Hearth");
        rejects(with(1, "run-2", "a", 7, 6, true, t, true, "", 0, 1), Rule.RUN, "run-2");
        rejects(with(1, "run-1", "q", 7, 6, true, t, true, "", 0, 1), Rule.QUARANTINED, "quarantined");
        rejects(with(1, "run-1", "a", 7, 6, false, t, true, "", 0, 1), Rule.SIGNATURE, "signature");
        rejects(with(1, "run-1", "a", 8, 6, true, t, true, "", 0, 1), Rule.ROUND, "round 8");
        rejects(with(1, "run-1", "z", 7, 6, true, t, true, "", 0, 1), Rule.NOT_ASSIGNED, "no batches");
        rejects(with(1, "run-1", "b", 7, 6, true, t, true, "", 0, 1), Rule.DUPLICATE, "one update per node per round");
        rejects(with(1, "run-1", "a", 7, 5, true, t, true, "", 0, 1), Rule.BASE_VERSION, "version 5");
        rejects(with(1, "run-1", "a", 7, 6, true, DEADLINE.plusMillis(250), true, "", 0, 1), Rule.DEADLINE, "250 ms");
        rejects(with(1, "run-1", "a", 7, 6, true, t, false, "top-k 9000 above cap 4096", 0, 1), Rule.CAPS, "top-k 9000");
        rejects(with(1, "run-1", "a", 7, 6, true, t, true, "", 3, 1), Rule.NON_FINITE, "3 NaN");
        rejects(with(1, "run-1", "a", 7, 6, true, t, true, "", 0, Double.POSITIVE_INFINITY), Rule.NON_FINITE, "NaN or infinite");
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

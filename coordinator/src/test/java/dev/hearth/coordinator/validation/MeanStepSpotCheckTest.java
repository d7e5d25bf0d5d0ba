package dev.hearth.coordinator.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// Issue 14, point 3, the core of the Byzantine case with the mean step (the run default), in-process and fast
/// enough for every build ([RealRoundSpotChecks]: real `nano` rounds with local AdamW steps, every update checked by
/// the coordinator's rule, the relative rule included, as the mean step asks). Of five nodes one flips the sign of
/// its update and one sends random values at its real update's indices with the real magnitudes (the bench's
/// `random` attack), which the antithetic rule alone passed about half the time; the relative rule (a gap below
/// 0.25× the round's median) catches it.
///
/// The check applies an update at a quarter of its share of the round (`OuterRule.SPOT_CHECK_PROBE`), where the loss
/// change is first order; this test asserts that of every honest check (even part over odd part, [#FIRST_ORDER]).
/// Before the check applied an update at its share of the round, it applied it at the whole outer rate (1.5), where
/// one update alone overshoots on its own batch in both directions; in the protocol-level scenario that struck
/// honest nodes from round 7 on and quarantined one (docs/reliability.md). This test does not reproduce that failure:
/// at 4 nodes (share 1/4; before the random node was added) it passed with the whole-rate check too, even over 8 rounds (tried); the failure needed 12
/// nodes' shares and later rounds, too slow for every build. The rate itself is pinned by `RoundAggregationTest`; this
/// test guards that the check, so applied, passes real honest updates and fails a sign-flipped one. The slow
/// protocol-level measurement is `ByzantineMeanStepTest` and `./hearth bench reliability`.
class MeanStepSpotCheckTest {

    static final int NODES = 5;
    /// 4 rounds: the residuals fill and the model moves (the 8-node scenario's first 4 rounds take its mean loss from
    /// 5.43 to 4.69), and the test stays short.
    static final int ROUNDS = 4;
    static final int WINDOWS = 2;
    /// 0.08: the largest even part of an honest check's loss change over its odd part (`|after + negated − 2·before|
    /// / (negated − after)`) that still counts as a first-order probe. Measured in this test: 0.036 at a quarter of the
    /// share (`OuterRule.SPOT_CHECK_PROBE`), 0.141 with the probe put back at the share (tried): the bound fails it.
    /// At the share the bench struck an honest update whose ratio was 3.9 (docs/reliability.md, "The probe's size").
    static final double FIRST_ORDER = 0.08;

    @TempDir
    Path dir;

    @Test
    void honestMeanStepUpdatesPassAFirstOrderSpotCheckAndSignFlippedAndRandomOnesNever() throws Exception {
        RealRoundSpotChecks.Outcome o = RealRoundSpotChecks.run(dir, """
                outer = "mean"
                local_steps = %d
                lr_max = 0.001
                lr_min = 0.001
                warmup_rounds = 0
                """.formatted(WINDOWS), NODES, ROUNDS, WINDOWS);
        assertEquals((NODES - 2) * ROUNDS, o.honestChecks(), "every honest update was checked");
        assertEquals(0, o.honestFailures().size(), "no honest update fails its spot check: " + o.honestFailures()
                + "; gaps over the median: " + o.gapsOverMedian());
        assertEquals(ROUNDS, o.cheaterFailed(), "the sign-flipped update fails its spot check in every round");
        assertEquals(ROUNDS, o.randomFailed(), "the random update fails its spot check in every round: "
                + o.randomPassed() + "; gaps over the median: " + o.gapsOverMedian());
        assertEquals(ROUNDS, o.screenedCheaters(), "the agreement screen alone drops exactly the flipped and the random"
                + " update in every round: " + o.screens());
        assertTrue(o.honestRise() < 0, "honest updates go downhill on their own batches at the probe's rate:"
                + " mean loss change " + o.honestRise());
        assertTrue(o.honestEvenOverOdd() < FIRST_ORDER, "at a quarter of the share the loss change is first order: its"
                + " even part at most " + FIRST_ORDER + " of its odd part, got " + o.honestEvenOverOdd());
    }
}

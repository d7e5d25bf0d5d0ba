package dev.hearth.coordinator.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// Issue 14, point 3, the sign step's spot check on real rounds in every build ([RealRoundSpotChecks]: `nano`, the
/// compressed gradient of each node's windows with its DeMo residual, every update checked by the coordinator's rule
/// at a quarter of its token share of the rate). Of five nodes one flips its sign and one sends random values at its real indices
/// with the real magnitudes; the settings are the reliability bench's sign-step runs' (lr 0.001 constant, 2 windows a
/// node).
///
/// The whole-rate check struck an honest node about once in 100–300 checks (each update alone a step of the round's
/// size, overshooting in both directions), too rare to reproduce here. What this test sees instead is the cause: at
/// the whole rate the even part of an honest check's loss change (the overshoot, which the antithetic rule cancels
/// only to second order) reached 0.35 of its odd part, at the share rate 0.10, at a quarter of it 0.025.
/// `RoundAggregationTest` pins the rate;
/// this test guards that at it real honest updates pass and go downhill, the probe is first order, and the
/// sign-flipped update fails every round. The random node's updates pass about half of their checks: the relative
/// rule, which catches them with the mean step, is off for the sign step (`SignStep.comparesSpotCheckGaps`), so
/// nothing is asserted of them. The protocol-level measurement is `./hearth bench reliability --byzantine-only
/// --step sign`.
class SignStepSpotCheckTest {

    static final int NODES = 5;
    /// 4 rounds: the residuals fill and the model moves, and the test stays short.
    static final int ROUNDS = 4;
    static final int WINDOWS = 2;
    /// 0.05: the largest even part of an honest check's loss change over its odd part (`|after + negated − 2·before| /
    /// (negated − after)`) that still counts as a first-order probe. Measured in this test: 0.025 at a quarter of the
    /// share (`OuterRule.SPOT_CHECK_PROBE`), 0.099 at the share (1/5), 0.346 with the check at the whole rate (both
    /// tried): the bound fails either.
    static final double FIRST_ORDER = 0.05;

    @TempDir
    Path dir;

    @Test
    void honestSignStepUpdatesPassAFirstOrderSpotCheckAndSignFlippedOnesNever() throws Exception {
        RealRoundSpotChecks.Outcome o = RealRoundSpotChecks.run(dir, """
                outer = "sign"
                lr_max = 0.001
                lr_min = 0.001
                warmup_rounds = 0
                """, NODES, ROUNDS, WINDOWS);
        assertEquals((NODES - 2) * ROUNDS, o.honestChecks(), "every honest update was checked");
        assertEquals(0, o.honestFailures().size(), "no honest update fails its spot check: " + o.honestFailures()
                + "; gaps over the median: " + o.gapsOverMedian());
        assertEquals(ROUNDS, o.cheaterFailed(), "the sign-flipped update fails its spot check in every round");
        assertTrue(o.honestRise() < 0, "honest updates go downhill on their own batches at the probe's rate:"
                + " mean loss change " + o.honestRise());
        assertTrue(o.honestEvenOverOdd() < FIRST_ORDER, "at a quarter of the share the loss change is first order: its"
                + " even part at most " + FIRST_ORDER + " of its odd part, got " + o.honestEvenOverOdd());
    }
}

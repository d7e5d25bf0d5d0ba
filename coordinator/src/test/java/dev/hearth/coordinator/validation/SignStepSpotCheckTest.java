package dev.hearth.coordinator.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// Issue 14, point 3, the sign step's spot check on real rounds in every build ([RealRoundSpotChecks]: `nano`, the
/// compressed gradient of each node's windows with its DeMo residual, every update checked by the coordinator's rule
/// at its token share of the rate, the relative rule included now that the sign step compares gaps). Of five nodes
/// one flips its sign and one sends random values at its real indices with the real magnitudes; the settings are
/// the reliability bench's sign-step runs' (lr 0.001 constant, 2 windows a node).
///
/// The whole-rate check struck an honest node about once in 100–300 checks (each update alone a step of the round's
/// size, overshooting in both directions), too rare to reproduce here; `RoundAggregationTest` pins the rate, and this
/// test guards that at the share rate real honest updates pass, go downhill, and the two attacks fail every round.
/// The protocol-level measurement is `./hearth bench reliability --byzantine-only --step sign`.
class SignStepSpotCheckTest {

    static final int NODES = 5;
    /// 4 rounds: the residuals fill and the model moves, and the test stays short.
    static final int ROUNDS = 4;
    static final int WINDOWS = 2;

    @TempDir
    Path dir;

    @Test
    void honestSignStepUpdatesPassTheirSpotCheckAtTheirShareAndSignFlippedAndRandomOnesNever() throws Exception {
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
        assertEquals(ROUNDS, o.randomFailed(), "the random update fails its spot check in every round: "
                + o.randomPassed() + "; gaps over the median: " + o.gapsOverMedian());
        assertTrue(o.honestRise() < 0, "honest updates go downhill on their own batches at their share:"
                + " mean loss change " + o.honestRise());
    }
}

package dev.hearth.coordinator.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.coordinator.bench.ByzantineScenario;
import dev.hearth.coordinator.bench.ByzantineScenario.Defences;
import dev.hearth.coordinator.bench.ByzantineScenario.Outcome;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// Issue 14, point 3: the Byzantine case with the mean step, the run default (ByzantineNodesTest measures the sign
/// step). A quarter of 12 nodes cheat (sign flip, random, 100× scaled); the defended run's final validation loss is
/// compared with the clean run's, and the undefended run's too. Slow (three runs of 12 rounds).
@Tag("slow")
@Disabled("with the mean step the spot check strikes honest nodes and the clean run stalls (docs/reliability.md,"
        + " 'Byzantine nodes with the mean step'); enable once the check applies an update at its share of the round")
class ByzantineMeanStepTest {

    static final ByzantineScenario.Shape SHAPE = new ByzantineScenario.Shape(12, 3, 12, 3);
    static final Duration TIMEOUT = Duration.ofMinutes(10);

    @Test
    void aQuarterOfCheatersWithTheMeanStepStaysNearTheCleanRunAndEarnsNothing(@TempDir Path dir) throws Exception {
        Outcome clean = ByzantineScenario.run("mean clean", new ByzantineScenario.Shape(SHAPE.nodes(), 0,
                SHAPE.rounds(), SHAPE.sequencesPerNode()), Defences.ON, dir.resolve("clean"), TIMEOUT, "mean");
        Outcome defended = ByzantineScenario.run("mean defended", SHAPE, Defences.ON, dir.resolve("on"), TIMEOUT, "mean");
        Outcome undefended = ByzantineScenario.run("mean undefended", SHAPE, Defences.OFF, dir.resolve("off"), TIMEOUT,
                "mean");
        for (Outcome o : new Outcome[] {clean, defended, undefended}) {
            System.out.printf("BYZANTINE-MEAN %s: final val loss %.4f (ratio %.4f), %d committed, %d s%n", o.label(),
                    o.finalValidationLoss(), o.finalValidationLoss() / clean.finalValidationLoss(), o.committed(),
                    o.took().toSeconds());
            for (var n : o.nodes()) System.out.println("BYZANTINE-MEAN   " + n);
        }
        double ratio = defended.finalValidationLoss() / clean.finalValidationLoss();
        assertTrue(ratio <= 1.02, "defended within 2 % of the clean run: " + ratio);
        for (var c : defended.cheaters()) assertEquals(0, c.ledgerCredits(), "cheater " + c + " earns no credits");
        for (var h : defended.honest()) {
            assertEquals(0, h.shaMismatches(), "honest nodes follow the coordinator bit for bit: " + h);
            assertTrue(h.ledgerCredits() > 0, "honest node credited: " + h);
            assertTrue(!h.quarantined(), "no honest node quarantined: " + h);
        }
    }
}

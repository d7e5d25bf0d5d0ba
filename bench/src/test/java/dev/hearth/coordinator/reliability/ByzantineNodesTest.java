package dev.hearth.coordinator.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.coordinator.bench.ByzantineScenario;
import dev.hearth.coordinator.bench.ByzantineScenario.Defences;
import dev.hearth.coordinator.bench.ByzantineScenario.Outcome;
import dev.hearth.coordinator.bench.ProtocolNode;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// Issue 8, Byzantine nodes: a quarter of the nodes cheat with real-looking updates; with the defences on the run
/// ends within 2 % of the clean run's validation loss, and the cheaters earn nothing. Two runs of 12 rounds with 12
/// nodes take about two minutes here, so it is tagged slow; `./hearth bench reliability` runs it (and the
/// undefended run) every time.
@Tag("slow")
class ByzantineNodesTest {

    static final ByzantineScenario.Shape SHAPE = new ByzantineScenario.Shape(12, 3, 12, 3);
    static final Duration TIMEOUT = Duration.ofMinutes(4);

    @Test
    void aQuarterOfCheatersDoesNotMoveTheLossAndEarnsNothing(@TempDir Path dir) throws Exception {
        Outcome clean = ByzantineScenario.run("clean", new ByzantineScenario.Shape(SHAPE.nodes(), 0, SHAPE.rounds(),
                SHAPE.sequencesPerNode()), Defences.ON, dir.resolve("clean"), TIMEOUT);
        Outcome defended = ByzantineScenario.run("defended", SHAPE, Defences.ON, dir.resolve("defended"), TIMEOUT);
        System.out.println(clean + "\n" + defended);
        double ratio = defended.finalValidationLoss() / clean.finalValidationLoss();
        assertTrue(Math.abs(ratio - 1) <= 0.02, "final validation loss within 2 % of the clean run: " + ratio);
        for (var c : defended.cheaters()) {
            assertEquals(0, c.ledgerCredits(), "cheater " + c + " earns no credits");
            if (c.behaviour() != ProtocolNode.Behaviour.SCALED) {
                assertTrue(c.quarantined(), "a cheater failing spot checks is quarantined: " + c);
            } else {
                assertEquals(0, c.accepted(), "a scaled update never counts (norm bound): " + c);
            }
        }
        for (var h : defended.honest()) {
            assertEquals(0, h.shaMismatches(), "honest nodes follow the coordinator's parameters bit for bit");
            assertTrue(h.ledgerCredits() > 0, "honest node " + h.name() + " is credited");
        }
    }
}

package dev.hearth.coordinator.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.coordinator.bench.ByzantineScenario;
import dev.hearth.coordinator.validation.SpotCheckPolicy;
import dev.hearth.coordinator.bench.ByzantineScenario.Defences;
import dev.hearth.coordinator.bench.ByzantineScenario.Outcome;
import dev.hearth.coordinator.bench.ProtocolNode.Behaviour;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/// Issue 14, point 3: the Byzantine case with the mean step, the run default (ByzantineNodesTest measures the sign
/// step's mix of cheaters). For each attack, a quarter of 8 nodes make it over loopback TLS with every update
/// spot-checked; the final validation loss stays within 2 % of the clean run's, no corrupted update counts, no honest
/// node is struck, a cheater earns nothing (an intermittent one only for its honest rounds), and every cheater but the
/// intermittent one (which may draw no attack in 8 rounds) is quarantined: the sign-flipped and random ones by the spot
/// check (the random one by its relative rule, a gap below 0.25× its round's median), the scaled and maximal ones by
/// their norm-bound drops, which are strikes. Before the relative rule the random attack did not meet the loss bound
/// (ratio 1.0239, 6 of 12 counted; docs/reliability.md). Slow: six runs of 8 rounds, 2–4 min each on
/// two loaded cores; `./hearth bench reliability --byzantine-only` prints the same for both steps. The fast
/// in-process core of it runs in every build: `MeanStepSpotCheckTest`.
@Tag("slow")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ByzantineMeanStepTest {

    static final ByzantineScenario.Shape SHAPE = new ByzantineScenario.Shape(8, 2, 8, 2);
    static final Duration TIMEOUT = Duration.ofMinutes(10);

    /// The class's directory: a `@TempDir` field is not yet set when a per-class `@BeforeAll` runs, a parameter is.
    Path dir;
    Outcome clean;

    @BeforeAll
    void cleanRun(@TempDir Path dir) throws Exception {
        this.dir = dir;
        clean = ByzantineScenario.run("mean clean", new ByzantineScenario.Shape(SHAPE.nodes(), 0, SHAPE.rounds(),
                SHAPE.sequencesPerNode()), Defences.ON, dir.resolve("clean"), TIMEOUT, "mean", null);
        assertEquals(0, clean.honestStruck(), "no honest node struck in the clean run: " + clean);
        assertEquals(0, clean.honestUpdatesDropped(), "no honest update dropped in the clean run: " + clean);
    }

    @ParameterizedTest
    @EnumSource(value = Behaviour.class, names = {"SIGN_FLIP", "SCALED", "RANDOM", "MAXIMAL", "INTERMITTENT"})
    void aQuarterOfNodesMakingOneAttackWithTheMeanStepStayNearTheCleanRun(Behaviour attack) throws Exception {
        Outcome o = ByzantineScenario.run("mean " + attack, SHAPE, Defences.ON, dir.resolve(attack.name()), TIMEOUT,
                "mean", attack);
        System.out.printf("BYZANTINE-MEAN %s: final val loss %.4f (ratio %.4f), %d committed, %d s%n", attack,
                o.finalValidationLoss(), o.finalValidationLoss() / clean.finalValidationLoss(), o.committed(),
                o.took().toSeconds());
        o.nodes().forEach(n -> System.out.println("BYZANTINE-MEAN   " + n));
        double ratio = o.finalValidationLoss() / clean.finalValidationLoss();
        assertTrue(Double.isFinite(o.finalValidationLoss()) && ratio <= 1.02, "within 2 % of the clean run: " + ratio);
        assertEquals(0, o.attacksCounted(), "no corrupted update counted: " + o);
        for (var c : o.cheaters()) {
            if (attack != Behaviour.INTERMITTENT) assertEquals(0, c.ledgerCredits(), "cheater earns nothing: " + c);
        }
        if (attack != Behaviour.INTERMITTENT) {
            assertEquals(o.cheaters().size(), o.caught(), "every cheater is quarantined within 8 rounds: " + o);
        }
        assertHonestUnharmedAndRepeatOffendersQuarantined(o);
    }

    /// Issue 14, point 3: the intermittent cheater against the run default's spot-check fraction (0.1, at least 3
    /// checks a round), where most of its attacks meet no spot check: the agreement screen sees every update, so none
    /// of its attacks counts and its second one quarantines it.
    @Test
    void anIntermittentCheaterAtTheDefaultSpotCheckFractionIsDroppedOnEveryAttack() throws Exception {
        Outcome o = ByzantineScenario.run("mean intermittent 0.1", SHAPE, Defences.SAMPLED,
                dir.resolve("INTERMITTENT-sampled"), TIMEOUT, "mean", Behaviour.INTERMITTENT);
        System.out.printf("BYZANTINE-MEAN INTERMITTENT 0.1: final val loss %.4f (ratio %.4f), %d attacks%n",
                o.finalValidationLoss(), o.finalValidationLoss() / clean.finalValidationLoss(), o.attacks());
        o.nodes().forEach(n -> System.out.println("BYZANTINE-MEAN   " + n));
        double ratio = o.finalValidationLoss() / clean.finalValidationLoss();
        assertTrue(Double.isFinite(o.finalValidationLoss()) && ratio <= 1.02, "within 2 % of the clean run: " + ratio);
        assertEquals(0, o.attacksCounted(), "no corrupted update counted, sampled spot checks or not: " + o);
        assertHonestUnharmedAndRepeatOffendersQuarantined(o);
    }

    /// No honest node struck, dropped or quarantined, every honest node in step with the coordinator, and every
    /// cheater that attacked at least twice quarantined (a strike outside the loss checks quarantines at its second).
    private static void assertHonestUnharmedAndRepeatOffendersQuarantined(Outcome o) {
        assertEquals(0, o.honestStruck(), "no honest node struck: " + o);
        assertEquals(0, o.honestUpdatesDropped(), "no honest update dropped: " + o);
        for (var c : o.attackers(SpotCheckPolicy.HEALTH_STRIKES)) {
            assertTrue(c.quarantined(), "a cheater that attacked " + c.attacks() + " times is quarantined: " + c);
        }
        for (var h : o.honest()) {
            assertEquals(0, h.shaMismatches(), "honest nodes follow the coordinator bit for bit: " + h);
            assertFalse(h.quarantined(), "no honest node quarantined: " + h);
        }
    }
}

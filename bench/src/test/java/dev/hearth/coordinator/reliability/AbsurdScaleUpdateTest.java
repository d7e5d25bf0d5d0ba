package dev.hearth.coordinator.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.coordinator.bench.AbsurdScaleScenario;
import dev.hearth.coordinator.bench.WireClient;
import dev.hearth.coordinator.config.RunConfig;
import dev.hearth.coordinator.health.ModelHealth;
import dev.hearth.coordinator.service.CoordinatorService;
import dev.hearth.engine.demo.DemoConfig;
import dev.hearth.engine.demo.SparseUpdate;
import dev.hearth.engine.model.GptInit;
import dev.hearth.engine.model.ParameterLayout;
import dev.hearth.protocol.identity.NodeIdentity;
import dev.hearth.protocol.wire.Envelope;
import dev.hearth.protocol.wire.RoundCommit;
import dev.hearth.protocol.wire.RoundStart;
import dev.hearth.protocol.wire.UpdateReceipt;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// Issue 14, point 1, the issue's own attack over the real protocol: a well-formed, finite update whose block
/// scales are absurd (1e30), in a round of two updates (the median norm rule needs three, so nothing else bounds
/// it). With the mean step (the default) it used to make every
/// parameter NaN. Now: the update is dropped for the model's health, its sender earns nothing and is struck, the
/// published version is exactly the honest updates' step and finite, and a second offence quarantines it.
class AbsurdScaleUpdateTest {

    static final Duration STEP = Duration.ofSeconds(60);
    static final double HONEST_RELATIVE_STEP = AbsurdScaleScenario.HONEST_RELATIVE_STEP;
    static final float ABSURD_SCALE = AbsurdScaleScenario.ABSURD_SCALE;

    @Test
    void anAbsurdScaleUpdateIsDroppedStruckAndQuarantinedAndThePublishedModelStaysFinite(@TempDir Path dir)
            throws Exception {
        AbsurdScaleScenario.Outcome o = AbsurdScaleScenario.run(dir);
        System.out.println(o);
        assertTrue(o.rejected(), "its receipt: not accepted, 0 credits: " + o);
        assertTrue(o.reason().startsWith("model health: its update alone would move the model by"), o.reason());
        assertTrue(o.honestStep(), "every commit is exactly the honest update's step (and its SHA-256 matches)");
        assertTrue(o.finite(), "every published version is finite");
        assertEquals(2, o.validationLosses().size());
        assertTrue(o.validationLosses().stream().allMatch(Double::isFinite), o.validationLosses().toString());
        assertTrue(o.quarantined(), "the second offence quarantines");
        assertEquals(0, o.attackerCredits(), "the attacker earns nothing");
        assertTrue(o.passed());
    }

    @Test
    void aRoundWithNothingHealthyIsNotCommittedAndStatusSaysWhyUntilAHealthyVersionIsPublished(@TempDir Path dir)
            throws Exception {
        RunConfig config = aloneRun(dir, "absurd-alone", "mean");
        ParameterLayout layout = ParameterLayout.gpt(config.recipe().model());
        DemoConfig demo = config.recipe().demo();
        SplittableRandom random = new SplittableRandom(15);
        float[] params = GptInit.init(config.recipe().model(), config.recipe().dataSeed());
        HttpClient http = HttpClient.newHttpClient();
        try (CoordinatorService coordinator = CoordinatorService.start(config, Clock.systemUTC());
             WireClient attacker = new WireClient(coordinator.address(), NodeIdentity.generate())) {
            URI status = URI.create(coordinator.dashboardUrl() + "api/status");
            attacker.join(STEP);
            for (int round = 1; round <= 2; round++) {
                RoundStart rs = attacker.next(Envelope::hasRoundStart, STEP).getRoundStart();
                attacker.send(Envelope.newBuilder().setUpdateUpload(AbsurdScaleScenario.upload(config, attacker.identity(), rs,
                        AbsurdScaleScenario.withScale(AbsurdScaleScenario.compress(layout, demo, random), ABSURD_SCALE), demo)).build());
                if (round == 1) {
                    UpdateReceipt r = attacker.next(Envelope::hasUpdateReceipt, STEP).getUpdateReceipt();
                    assertFalse(r.getAccepted());
                    assertTrue(r.getReason().startsWith("the round was not committed: every update of the round was"
                            + " dropped"), r.getReason());
                    String body = http.send(HttpRequest.newBuilder(status).GET().build(),
                            HttpResponse.BodyHandlers.ofString()).body();
                    assertTrue(body.contains("\"version\":0"), body);
                    assertTrue(body.contains("round " + rs.getRound() + " was not committed: every update of the round"
                            + " was dropped, 1 for the model's health. The run stays at version 0"), body);
                }
            }
            String attackerId = attacker.identity().nodeId();
            awaitQuarantine(coordinator, attackerId);
            assertTrue(coordinator.ledger().quarantinedNodes().contains(attackerId));
            assertEquals(0, coordinator.ledger().position().lastVersion(), "no unhealthy version was committed");
            try (WireClient honest = new WireClient(coordinator.address(), NodeIdentity.generate())) {
                honest.join(STEP);
                RoundStart rs = honest.next(Envelope::hasRoundStart, STEP).getRoundStart();
                SparseUpdate u = AbsurdScaleScenario.scaledTo(AbsurdScaleScenario.compress(layout, demo, random),
                        HONEST_RELATIVE_STEP * ModelHealth.l2(params) / config.recipe().outer().outerLr());
                honest.send(Envelope.newBuilder().setUpdateUpload(AbsurdScaleScenario.upload(config, honest.identity(), rs, u,
                        demo)).build());
                RoundCommit commit = honest.next(Envelope::hasRoundCommit, STEP).getRoundCommit();
                assertEquals(1, commit.getNewVersion());
                honest.next(Envelope::hasUpdateReceipt, STEP);
                String body = http.send(HttpRequest.newBuilder(status).GET().build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                assertTrue(body.contains("\"fault\":null"), "a healthy version clears the fault: " + body);
            }
        }
    }

    /// The sign step has no per-update size bound (each update moves the model by its share of `lr`), so an absurd
    /// update alone used to reach the step and fail the whole round ("direction is NaN": its float inverse DCT
    /// overflowed), with no strike, round after round. Now its overflow is a health problem for every rule.
    @Test
    void withTheSignStepAnUpdateThatOverflowsFloatArithmeticIsDroppedStruckAndQuarantined(@TempDir Path dir)
            throws Exception {
        RunConfig config = aloneRun(dir, "absurd-sign", "sign");
        ParameterLayout layout = ParameterLayout.gpt(config.recipe().model());
        DemoConfig demo = config.recipe().demo();
        SplittableRandom random = new SplittableRandom(16);
        try (CoordinatorService coordinator = CoordinatorService.start(config, Clock.systemUTC());
             WireClient attacker = new WireClient(coordinator.address(), NodeIdentity.generate())) {
            attacker.join(STEP);
            for (int round = 1; round <= 2; round++) {
                RoundStart rs = attacker.next(Envelope::hasRoundStart, STEP).getRoundStart();
                SparseUpdate absurd = AbsurdScaleScenario.withScale(AbsurdScaleScenario.compress(layout, demo, random),
                        ABSURD_SCALE);
                assertTrue(absurd.l2Norm() > ModelHealth.MAX_DECODABLE_NORM, "the attack overflows: " + absurd.l2Norm());
                attacker.send(Envelope.newBuilder().setUpdateUpload(AbsurdScaleScenario.upload(config,
                        attacker.identity(), rs, absurd, demo)).build());
                if (round == 2) break; // its second strike quarantines it: the coordinator closes it instead
                UpdateReceipt r = attacker.next(Envelope::hasUpdateReceipt, STEP).getUpdateReceipt();
                assertFalse(r.getAccepted());
                assertEquals(0.0, r.getCredits());
                assertTrue(r.getReason().startsWith("the round was not committed: every update of the round was"
                        + " dropped, 1 for the model's health"), r.getReason());
            }
            String attackerId = attacker.identity().nodeId();
            awaitQuarantine(coordinator, attackerId);
            assertTrue(coordinator.ledger().quarantinedNodes().contains(attackerId), "the second offence quarantines");
            assertEquals(0, coordinator.ledger().position().lastVersion(), "no version was committed");
        }
    }

    /// A run a single node can make rounds in alone (quorum 1), with no spot checks and no validation loss, so that
    /// only the model's health judges its updates.
    private static RunConfig aloneRun(Path dir, String id, String outer) throws Exception {
        return RunConfig.parse("""
                [run]
                id = "%s"
                total_rounds = 100
                [optimizer]
                outer = "%s"
                [validation]
                spot_check_fraction = 0.0
                loss_every_rounds = 0
                [quorum]
                min_nodes = 1
                min_uploads = 1
                [deadline]
                min_seconds = 60
                max_seconds = 120
                [server]
                port = 0
                http_port = 0
                """.formatted(id, outer), "absurd",
                Map.of("server.data_dir", new RunConfig.Override("data dir", dir.resolve("coordinator"))));
    }

    /// Waits (bounded by [#STEP]) until the ledger holds `nodeId`'s quarantine: it is written when the round ends.
    private static void awaitQuarantine(CoordinatorService coordinator, String nodeId) {
        long deadline = System.nanoTime() + STEP.toNanos();
        while (!coordinator.ledger().quarantinedNodes().contains(nodeId) && System.nanoTime() < deadline) {
            java.util.concurrent.locks.LockSupport.parkNanos(10_000_000); // polls for the ledger row (bounded)
        }
    }
}

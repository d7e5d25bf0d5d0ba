package dev.hearth.coordinator.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.coordinator.bench.AbsurdScaleScenario;
import dev.hearth.coordinator.bench.WireClient;
import dev.hearth.coordinator.config.RunConfig;
import dev.hearth.coordinator.health.ModelHealth;
import dev.hearth.coordinator.health.ValidationWatch;
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
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// Issue 14, point 1, the validation-loss rule end to end over the real protocol: a run whose validation loss
/// "jumps far above its recent values" ([ValidationWatch#JUMP_FACTOR] × the median of the last healthy ones) stops
/// advancing, says why in `/api/status` (what the dashboard shows), and goes on from the last healthy version.
///
/// The step bounds ([ModelHealth]) are what normally stop a model-breaking update; here the run's settings make
/// them loose (`lr_max = 1`: the mean step's bound is then 170 × ‖θ‖), so that a finite update 20 × ‖θ‖ passes them
/// and only the validation loss can catch it — the case the rule is there for.
class ValidationJumpTest {

    static final Duration STEP = Duration.ofSeconds(60);
    /// The attack moves the model by this multiple of its norm: inside the loose step bound, far outside anything a
    /// trained model survives.
    static final double BREAKING_RELATIVE_STEP = 20;

    @Test
    void aRoundWhoseValidationLossJumpsIsNotCommittedStatusSaysWhyAndTheRunGoesOnFromTheLastHealthyVersion(
            @TempDir Path dir) throws Exception {
        RunConfig config = RunConfig.parse("""
                [run]
                id = "validation-jump"
                total_rounds = 100
                [validation]
                spot_check_fraction = 0.0
                loss_every_rounds = 1
                [optimizer]
                lr_max = 1.0
                [quorum]
                min_nodes = 1
                min_uploads = 1
                [deadline]
                min_seconds = 60
                max_seconds = 120
                [checkpoint]
                every_rounds = 1000
                [server]
                port = 0
                http_port = 0
                """, "validation-jump", Map.of("server.data_dir",
                new RunConfig.Override("data dir", dir.resolve("coordinator"))));
        ParameterLayout layout = ParameterLayout.gpt(config.recipe().model());
        DemoConfig demo = config.recipe().demo();
        double outerLr = config.recipe().outer().outerLr();
        double thetaNorm = ModelHealth.l2(GptInit.init(config.recipe().model(), config.recipe().dataSeed()));
        SplittableRandom random = new SplittableRandom(16);
        HttpClient http = HttpClient.newHttpClient();
        List<CoordinatorService.CommitEvent> commits = new CopyOnWriteArrayList<>();
        try (CoordinatorService coordinator = CoordinatorService.start(config, Clock.systemUTC());
             WireClient node = new WireClient(coordinator.address(), NodeIdentity.generate())) {
            coordinator.onCommit(commits::add);
            URI status = URI.create(coordinator.dashboardUrl() + "api/status");
            node.join(STEP);
            // Enough healthy, measured versions for the jump rule to apply.
            for (int i = 0; i < ValidationWatch.MIN_HISTORY; i++) {
                RoundCommit c = honestRound(config, layout, demo, node, random, thetaNorm, outerLr);
                assertEquals(i + 1, c.getNewVersion());
            }
            long healthy = ValidationWatch.MIN_HISTORY;

            RoundStart rs = node.next(Envelope::hasRoundStart, STEP).getRoundStart();
            assertEquals(healthy, rs.getBaseVersion());
            SparseUpdate breaking = AbsurdScaleScenario.scaledTo(AbsurdScaleScenario.compress(layout, demo, random),
                    BREAKING_RELATIVE_STEP * thetaNorm / outerLr);
            node.send(Envelope.newBuilder().setUpdateUpload(AbsurdScaleScenario.upload(config, node.identity(), rs,
                    breaking, demo)).build());
            UpdateReceipt r = node.next(Envelope::hasUpdateReceipt, STEP).getUpdateReceipt();
            assertFalse(r.getAccepted(), r.toString());
            assertEquals(0, r.getCredits(), "nobody earns credit for a round that is not committed");
            assertTrue(r.getReason().startsWith("the round was not committed: model health: the validation loss of the"
                    + " new version would be "), r.getReason());
            String body = http.send(HttpRequest.newBuilder(status).GET().build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(body.contains("\"version\":" + healthy), body);
            assertTrue(body.contains("round " + rs.getRound() + " was not committed: model health: the validation loss"
                    + " of the new version would be "), body);
            assertTrue(body.contains("× the recent median"), "it says which rule: " + body);
            assertTrue(body.contains("The run stays at version " + healthy + ", the last healthy one"), body);
            assertEquals(healthy, coordinator.ledger().position().lastVersion(), "the version did not advance");
            assertEquals(healthy, commits.size(), "no commit was published for the round");

            // The next round starts from the last healthy version, and its healthy commit clears the fault.
            RoundCommit next = honestRound(config, layout, demo, node, random, thetaNorm, outerLr);
            assertEquals(healthy + 1, next.getNewVersion());
            body = http.send(HttpRequest.newBuilder(status).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(body.contains("\"fault\":null"), "a healthy version clears the fault: " + body);
            for (CoordinatorService.CommitEvent e : commits) {
                assertTrue(Double.isFinite(e.valLoss()), "every published version was measured finite: " + commits);
            }
            double last = commits.getLast().valLoss();
            double before = commits.get(commits.size() - 2).valLoss();
            assertTrue(last < ValidationWatch.JUMP_FACTOR * before, "the version after the fault is healthy: "
                    + commits);
        }
    }

    /// One round with an honest-sized update (1 % of ‖θ‖, as in AbsurdScaleUpdateTest); returns its commit.
    private static RoundCommit honestRound(RunConfig config, ParameterLayout layout, DemoConfig demo, WireClient node,
                                           SplittableRandom random, double thetaNorm, double outerLr) throws Exception {
        RoundStart rs = node.next(Envelope::hasRoundStart, STEP).getRoundStart();
        SparseUpdate u = AbsurdScaleScenario.scaledTo(AbsurdScaleScenario.compress(layout, demo, random),
                AbsurdScaleScenario.HONEST_RELATIVE_STEP * thetaNorm / outerLr);
        node.send(Envelope.newBuilder().setUpdateUpload(AbsurdScaleScenario.upload(config, node.identity(), rs, u, demo))
                .build());
        RoundCommit commit = node.next(Envelope::hasRoundCommit, STEP).getRoundCommit();
        UpdateReceipt r = node.next(Envelope::hasUpdateReceipt, STEP).getUpdateReceipt();
        assertTrue(r.getAccepted(), "an honest-sized update counts: " + r);
        return commit;
    }
}

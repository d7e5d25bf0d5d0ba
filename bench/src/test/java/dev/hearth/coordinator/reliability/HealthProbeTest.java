package dev.hearth.coordinator.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.coordinator.bench.AbsurdScaleScenario;
import dev.hearth.coordinator.bench.WireClient;
import dev.hearth.coordinator.config.RunConfig;
import dev.hearth.coordinator.health.ModelHealth;
import dev.hearth.coordinator.ledger.LeaderboardEntry;
import dev.hearth.coordinator.ledger.Ledger;
import dev.hearth.coordinator.service.CoordinatorService;
import dev.hearth.engine.demo.DemoBlocking;
import dev.hearth.engine.demo.DemoConfig;
import dev.hearth.engine.demo.MeanStep;
import dev.hearth.engine.demo.RobustMode;
import dev.hearth.engine.demo.SparseUpdate;
import dev.hearth.engine.demo.UpdateCodec;
import dev.hearth.engine.model.GptInit;
import dev.hearth.engine.model.ParameterLayout;
import dev.hearth.protocol.identity.NodeIdentity;
import dev.hearth.protocol.wire.Envelope;
import dev.hearth.protocol.wire.RoundCommit;
import dev.hearth.protocol.wire.RoundStart;
import dev.hearth.protocol.wire.UpdateReceipt;
import dev.hearth.protocol.wire.UpdateUpload;
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
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// Issue 14, point 1, the health probe end to end over the real protocol: every candidate version is scored on the
/// probe's validation windows before it is published, whatever `loss_every_rounds` says, so a model-breaking update
/// in a round whose full validation loss is not measured is still caught; the culprit search drops and strikes its
/// sender (0 credits) and the round is committed with the honest update alone.
///
/// The step bounds ([ModelHealth]) are made loose (`lr_max = 1`: the mean step's bound is then 170 × ‖θ‖) so that
/// only the probe can catch the 20 × ‖θ‖ update; two nodes, so the round-median norm rule (3 updates or more) does
/// not drop it first.
class HealthProbeTest {

    static final Duration STEP = Duration.ofSeconds(60);
    /// The attack moves the model by this multiple of its norm (as in ValidationJumpTest).
    static final double BREAKING_RELATIVE_STEP = 20;
    /// A finite reported loss no byte-level model has (2 × ln 256 = 11.09 is the plausible bound).
    static final double IMPLAUSIBLE_LOCAL_LOSS = 1e6;

    @Test
    void aBreakingUpdateInAnUnmeasuredRoundIsDroppedItsSenderStruckAndTheHonestUpdateCommittedWithoutIt(
            @TempDir Path dir) throws Exception {
        RunConfig config = looseRun(dir, "health-probe", 2);
        ParameterLayout layout = ParameterLayout.gpt(config.recipe().model());
        DemoConfig demo = config.recipe().demo();
        DemoBlocking blocking = new DemoBlocking(layout, demo);
        double outerLr = config.recipe().outer().outerLr();
        double thetaNorm = ModelHealth.l2(GptInit.init(config.recipe().model(), config.recipe().dataSeed()));
        SplittableRandom random = new SplittableRandom(17);
        HttpClient http = HttpClient.newHttpClient();
        List<CoordinatorService.CommitEvent> commits = new CopyOnWriteArrayList<>();
        try (CoordinatorService coordinator = CoordinatorService.start(config, Clock.systemUTC());
             WireClient honest = new WireClient(coordinator.address(), NodeIdentity.generate());
             WireClient attacker = new WireClient(coordinator.address(), NodeIdentity.generate())) {
            coordinator.onCommit(commits::add);
            URI status = URI.create(coordinator.dashboardUrl() + "api/status");
            String attackerId = attacker.identity().nodeId();
            honest.join(STEP);
            attacker.join(STEP);

            // Round 1: both updates honest (unmeasured: loss_every_rounds = 5); the second node reports an implausible
            // but finite local loss, which counts its update and is left out of the displayed mean.
            RoundStart hs = honest.next(Envelope::hasRoundStart, STEP).getRoundStart();
            RoundStart as = attacker.next(Envelope::hasRoundStart, STEP).getRoundStart();
            honest.send(upload(config, honest, hs, honestUpdate(layout, demo, random, thetaNorm, outerLr), demo));
            UpdateUpload implausible = upload(config, attacker, as, honestUpdate(layout, demo, random, thetaNorm,
                    outerLr), demo).getUpdateUpload().toBuilder().setLocalLoss(IMPLAUSIBLE_LOCAL_LOSS).build();
            attacker.send(Envelope.newBuilder().setUpdateUpload(implausible).build());
            RoundCommit first = honest.next(Envelope::hasRoundCommit, STEP).getRoundCommit();
            assertEquals(1, first.getNewVersion());
            assertEquals(2, first.getAcceptedUpdates(), "a report does not drop an update");
            assertEquals(5.0, first.getMeanLoss(), 1e-12, "the mean loss is the plausible report's alone");
            assertTrue(honest.next(Envelope::hasUpdateReceipt, STEP).getUpdateReceipt().getAccepted());
            UpdateReceipt earned = attacker.next(Envelope::hasUpdateReceipt, STEP).getUpdateReceipt();
            assertTrue(earned.getAccepted() && earned.getCredits() > 0, earned.toString());

            // Rounds 2 and 3 (unmeasured): the attacker sends a model-breaking update, the honest node an honest one.
            for (long round = 2; round <= 3; round++) {
                hs = honest.next(Envelope::hasRoundStart, STEP).getRoundStart();
                as = attacker.next(Envelope::hasRoundStart, STEP).getRoundStart();
                assertEquals(round - 1, hs.getBaseVersion(), "each round starts from the last published version");
                UpdateUpload good = upload(config, honest, hs, honestUpdate(layout, demo, random, thetaNorm, outerLr),
                        demo).getUpdateUpload();
                honest.send(Envelope.newBuilder().setUpdateUpload(good).build());
                attacker.send(upload(config, attacker, as, AbsurdScaleScenario.scaledTo(
                        AbsurdScaleScenario.compress(layout, demo, random), BREAKING_RELATIVE_STEP * thetaNorm / outerLr),
                        demo));
                RoundCommit c = honest.next(Envelope::hasRoundCommit, STEP).getRoundCommit();
                assertEquals(round, c.getNewVersion(), "the round is committed without the breaking update");
                assertEquals(1, c.getAcceptedUpdates());
                SparseUpdate asReceived = UpdateCodec.decode(good.getPayload().toByteArray(), layout, demo);
                assertArrayEquals(MeanStep.aggregate(blocking, List.of(asReceived), new long[] {good.getTokens()},
                        RobustMode.NONE), c.getMeanStep().toByteArray(), "the step is the honest update's alone");
                UpdateReceipt h = honest.next(Envelope::hasUpdateReceipt, STEP).getUpdateReceipt();
                assertTrue(h.getAccepted() && h.getCredits() > 0, "the honest update counts: " + h);
                if (round == 2) { // in round 3 the quarantine's Reject closes the attacker's connection first
                    UpdateReceipt a = attacker.next(Envelope::hasUpdateReceipt, STEP).getUpdateReceipt();
                    assertFalse(a.getAccepted(), a.toString());
                    assertEquals(0, a.getCredits());
                    assertTrue(a.getReason().startsWith("model health: the health-probe loss of the new version would"
                            + " be "), a.getReason());
                    assertTrue(a.getReason().endsWith("; without its update the health probe passes"), a.getReason());
                    String body = http.send(HttpRequest.newBuilder(status).GET().build(),
                            HttpResponse.BodyHandlers.ofString()).body();
                    assertTrue(body.contains("\"version\":2"), body);
                    assertTrue(body.contains("\"fault\":null"), "a committed round is no fault: " + body);
                }
            }
            Ledger ledger = coordinator.ledger();
            assertEquals(List.of(new Ledger.Strike(attackerId, 2), new Ledger.Strike(attackerId, 3)),
                    ledger.strikesAfter(0), "struck in each attacked round, nobody else");
            assertTrue(ledger.quarantinedNodes().contains(attackerId), "the second offence quarantines");
            LeaderboardEntry entry = ledger.leaderboard(100).stream().filter(e -> e.nodeId().equals(attackerId))
                    .findFirst().orElseThrow();
            assertEquals(1, entry.rounds(), "the attacker was credited for round 1 only: " + entry);
            assertEquals(0, entry.credits(), "and a quarantined node's credits show as 0: " + entry);
            assertEquals(3, ledger.position().lastVersion());
            // The commit listeners run after the frames and receipts went out: wait for the third (bounded).
            long until = System.nanoTime() + STEP.toNanos();
            while (commits.size() < 3 && System.nanoTime() < until) LockSupport.parkNanos(10_000_000);
            assertEquals(3, commits.size());
            for (CoordinatorService.CommitEvent e : commits) {
                assertTrue(Double.isFinite(e.probeLoss()) && e.probeLoss() < 6, "every published version passed the"
                        + " probe: " + commits);
                assertTrue(Double.isNaN(e.valLoss()), "no full validation in rounds 1-3: " + commits);
            }
            System.out.println("health probe losses of versions 1-3: "
                    + commits.stream().map(CoordinatorService.CommitEvent::probeLoss).toList());
        }
    }

    /// Two colluders each send a model-breaking update in the same round, so that leaving either one out does not heal
    /// it (the other still breaks it). Before, the round was refused with no one struck, and they could do it again
    /// every round. Now the search by halving ([ModelHealth#badMembers]) finds both: dropped, struck, 0 credits, and
    /// the round commits the honest update alone. Three uploads, so the norm rule applies, but the colluders are two
    /// of three and set the median; the agreement screen needs four.
    @Test
    void twoColludersThatEachBreakTheRoundAreBothDroppedAndStruckAndTheHonestUpdateCommitted(@TempDir Path dir)
            throws Exception {
        RunConfig config = looseRun(dir, "health-probe-collude", 3);
        ParameterLayout layout = ParameterLayout.gpt(config.recipe().model());
        DemoConfig demo = config.recipe().demo();
        DemoBlocking blocking = new DemoBlocking(layout, demo);
        double outerLr = config.recipe().outer().outerLr();
        double thetaNorm = ModelHealth.l2(GptInit.init(config.recipe().model(), config.recipe().dataSeed()));
        SplittableRandom random = new SplittableRandom(19);
        try (CoordinatorService coordinator = CoordinatorService.start(config, Clock.systemUTC());
             WireClient honest = new WireClient(coordinator.address(), NodeIdentity.generate());
             WireClient first = new WireClient(coordinator.address(), NodeIdentity.generate());
             WireClient second = new WireClient(coordinator.address(), NodeIdentity.generate())) {
            honest.join(STEP);
            first.join(STEP);
            second.join(STEP);
            RoundStart hs = honest.next(Envelope::hasRoundStart, STEP).getRoundStart();
            UpdateUpload good = upload(config, honest, hs, honestUpdate(layout, demo, random, thetaNorm, outerLr), demo)
                    .getUpdateUpload();
            honest.send(Envelope.newBuilder().setUpdateUpload(good).build());
            for (WireClient colluder : List.of(first, second)) {
                RoundStart rs = colluder.next(Envelope::hasRoundStart, STEP).getRoundStart();
                colluder.send(upload(config, colluder, rs, AbsurdScaleScenario.scaledTo(AbsurdScaleScenario.compress(
                        layout, demo, random), BREAKING_RELATIVE_STEP * thetaNorm / outerLr), demo));
            }
            RoundCommit c = honest.next(Envelope::hasRoundCommit, STEP).getRoundCommit();
            assertEquals(1, c.getNewVersion(), "the round is committed without the two breaking updates");
            assertEquals(1, c.getAcceptedUpdates());
            SparseUpdate asReceived = UpdateCodec.decode(good.getPayload().toByteArray(), layout, demo);
            assertArrayEquals(MeanStep.aggregate(blocking, List.of(asReceived), new long[] {good.getTokens()},
                    RobustMode.NONE), c.getMeanStep().toByteArray(), "the step is the honest update's alone");
            assertTrue(honest.next(Envelope::hasUpdateReceipt, STEP).getUpdateReceipt().getAccepted());
            for (WireClient colluder : List.of(first, second)) {
                UpdateReceipt r = colluder.next(Envelope::hasUpdateReceipt, STEP).getUpdateReceipt();
                assertFalse(r.getAccepted(), r.toString());
                assertEquals(0, r.getCredits());
                assertTrue(r.getReason().endsWith("; its update alone breaks the health probe (with 1 other(s) that"
                        + " do)"), r.getReason());
            }
            assertEquals(java.util.Set.of(new Ledger.Strike(first.identity().nodeId(), 1),
                    new Ledger.Strike(second.identity().nodeId(), 1)),
                    java.util.Set.copyOf(coordinator.ledger().strikesAfter(0)), "both colluders struck, nobody else");
        }
    }

    /// A run with loose step bounds (`lr_max = 1`) so that only the probe can catch a breaking update, no spot
    /// checks, the full validation every 5th version only, and rounds that wait for all `nodes`.
    private static RunConfig looseRun(Path dir, String id, int nodes) throws Exception {
        return RunConfig.parse("""
                [run]
                id = "%s"
                total_rounds = 100
                [validation]
                spot_check_fraction = 0.0
                loss_every_rounds = 5
                [optimizer]
                lr_max = 1.0
                [quorum]
                min_nodes = %d
                min_uploads = %d
                [deadline]
                min_seconds = 60
                max_seconds = 120
                [checkpoint]
                every_rounds = 1000
                [server]
                port = 0
                http_port = 0
                """.formatted(id, nodes, nodes), "health-probe", Map.of("server.data_dir",
                new RunConfig.Override("data dir", dir.resolve("coordinator"))));
    }

    /// An honest-sized update (1 % of ‖θ‖, as in AbsurdScaleUpdateTest).
    private static SparseUpdate honestUpdate(ParameterLayout layout, DemoConfig demo, SplittableRandom random,
                                             double thetaNorm, double outerLr) {
        return AbsurdScaleScenario.scaledTo(AbsurdScaleScenario.compress(layout, demo, random),
                AbsurdScaleScenario.HONEST_RELATIVE_STEP * thetaNorm / outerLr);
    }

    private static Envelope upload(RunConfig config, WireClient node, RoundStart rs, SparseUpdate u, DemoConfig demo) {
        return Envelope.newBuilder().setUpdateUpload(AbsurdScaleScenario.upload(config, node.identity(), rs, u, demo))
                .build();
    }
}

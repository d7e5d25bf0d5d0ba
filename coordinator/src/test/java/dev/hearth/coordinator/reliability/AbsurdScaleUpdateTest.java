package dev.hearth.coordinator.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.hearth.coordinator.bench.WireClient;
import dev.hearth.coordinator.config.RunConfig;
import dev.hearth.coordinator.health.ModelHealth;
import dev.hearth.coordinator.ledger.LeaderboardEntry;
import dev.hearth.coordinator.service.CoordinatorService;
import dev.hearth.engine.checkpoint.ParamsDigest;
import dev.hearth.engine.demo.DemoBlocking;
import dev.hearth.engine.demo.DemoCompressor;
import dev.hearth.engine.demo.DemoConfig;
import dev.hearth.engine.demo.MeanStep;
import dev.hearth.engine.demo.RobustMode;
import dev.hearth.engine.demo.SparseUpdate;
import dev.hearth.engine.demo.UpdateCodec;
import dev.hearth.engine.demo.ValueEncoding;
import dev.hearth.engine.model.GptInit;
import dev.hearth.engine.model.ParameterLayout;
import dev.hearth.protocol.NodeIdentity;
import dev.hearth.protocol.UpdateSignatures;
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
import java.util.ArrayList;
import java.util.List;
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

    static final int HONEST = 1;
    static final Duration STEP = Duration.ofSeconds(60);
    /// Honest updates move the model by this share of its norm alone (inside what measured honest rounds do).
    static final double HONEST_RELATIVE_STEP = 0.01;
    static final float ABSURD_SCALE = 1e30f;

    @Test
    void anAbsurdScaleUpdateIsDroppedStruckAndQuarantinedAndThePublishedModelStaysFinite(@TempDir Path dir)
            throws Exception {
        RunConfig config = RunConfig.parse("""
                [run]
                id = "absurd"
                total_rounds = 100
                [validation]
                spot_check_fraction = 0.0
                loss_every_rounds = 1
                [quorum]
                min_nodes = 2
                min_uploads = 2
                [deadline]
                min_seconds = 60
                max_seconds = 120
                [checkpoint]
                every_rounds = 1000
                [server]
                port = 0
                http_port = 0
                """, "absurd", Map.of("server.data_dir", new RunConfig.Override("data dir", dir.resolve("coordinator"))));
        assertTrue(config.meanStep(), "the default outer step");
        ParameterLayout layout = ParameterLayout.gpt(config.model());
        DemoConfig demo = new DemoConfig((float) config.demoBeta(), config.demoBlock(), config.demoTopK(),
                "fp16".equals(config.demoEncoding()) ? ValueEncoding.FP16 : ValueEncoding.SIGN_1BIT);
        DemoBlocking blocking = new DemoBlocking(layout, demo);
        float[] params = GptInit.init(config.model(), config.seed());
        SplittableRandom random = new SplittableRandom(14);
        List<CoordinatorService.CommitEvent> commits = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<WireClient> clients = new ArrayList<>();
        try (CoordinatorService coordinator = CoordinatorService.start(config, Clock.systemUTC())) {
            coordinator.onCommit(commits::add);
            for (int i = 0; i <= HONEST; i++) {
                WireClient c = new WireClient(coordinator.address(), NodeIdentity.generate());
                clients.add(c);
                c.join(STEP);
            }
            WireClient attacker = clients.get(HONEST);
            String attackerId = attacker.identity().nodeId();
            for (int round = 1; round <= 2; round++) {
                List<RoundStart> starts = new ArrayList<>();
                for (WireClient c : clients) starts.add(c.next(Envelope::hasRoundStart, STEP).getRoundStart());
                double thetaNorm = ModelHealth.l2(params);
                List<SparseUpdate> honest = new ArrayList<>();
                long[] tokens = new long[HONEST];
                for (int i = 0; i < HONEST; i++) {
                    SparseUpdate u = scaledTo(compress(layout, demo, random), HONEST_RELATIVE_STEP * thetaNorm
                            / config.outerLr());
                    UpdateUpload up = upload(config, clients.get(i).identity(), starts.get(i), u, demo);
                    honest.add(UpdateCodec.decode(up.getPayload().toByteArray(), layout, demo)); // as the coordinator

                    tokens[i] = up.getTokens();
                    clients.get(i).send(Envelope.newBuilder().setUpdateUpload(up).build());
                }
                SparseUpdate absurd = withScale(compress(layout, demo, random), ABSURD_SCALE);
                assertTrue(absurd.isFinite(), "finite, well-formed");
                attacker.send(Envelope.newBuilder().setUpdateUpload(
                        upload(config, attacker.identity(), starts.get(HONEST), absurd, demo)).build());

                RoundCommit commit = clients.getFirst().next(Envelope::hasRoundCommit, STEP).getRoundCommit();
                byte[] got = commit.getMeanStep().toByteArray();
                assertArrayEquals(MeanStep.aggregate(blocking, honest, tokens, RobustMode.NONE), got,
                        "round " + round + ": the commit is the honest update's step alone");
                MeanStep.apply(blocking, params, got, (float) commit.getLr(), 0f);
                assertEquals(-1, ModelHealth.firstNonFinite(params), "the published version is finite");
                assertArrayEquals(ParamsDigest.sha256(params), commit.getParamsSha256().toByteArray());
                assertEquals(HONEST, commit.getAcceptedUpdates());

                if (round == 1) { // in round 2 the quarantine's Reject closes the connection before the receipt
                    UpdateReceipt r = attacker.next(Envelope::hasUpdateReceipt, STEP).getUpdateReceipt();
                    assertFalse(r.getAccepted(), r.toString());
                    assertTrue(r.getReason().startsWith("model health: its update alone would move the model by"),
                            r.getReason());
                    assertEquals(0, r.getCredits());
                }
            }
            long deadline = System.nanoTime() + STEP.toNanos();
            while (!coordinator.ledger().quarantinedNodes().contains(attackerId) && System.nanoTime() < deadline) {
                java.util.concurrent.locks.LockSupport.parkNanos(10_000_000); // polls for the ledger row (bounded)
            }
            assertTrue(coordinator.ledger().quarantinedNodes().contains(attackerId), "the second offence quarantines");
            for (LeaderboardEntry e : coordinator.ledger().leaderboard(100)) {
                if (e.nodeId().equals(attackerId)) assertEquals(0, e.credits(), "the attacker earns nothing");
            }
            assertEquals(2, commits.size());
            for (CoordinatorService.CommitEvent e : commits) {
                assertTrue(Double.isFinite(e.valLoss()), "validation loss measured and finite: " + e);
            }
        } finally {
            clients.forEach(WireClient::close);
        }
    }

    @Test
    void aRoundWithNothingHealthyIsNotCommittedAndStatusSaysWhyUntilAHealthyVersionIsPublished(@TempDir Path dir)
            throws Exception {
        RunConfig config = RunConfig.parse("""
                [run]
                id = "absurd-alone"
                total_rounds = 100
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
                """, "absurd", Map.of("server.data_dir", new RunConfig.Override("data dir", dir.resolve("coordinator"))));
        ParameterLayout layout = ParameterLayout.gpt(config.model());
        DemoConfig demo = new DemoConfig((float) config.demoBeta(), config.demoBlock(), config.demoTopK(),
                "fp16".equals(config.demoEncoding()) ? ValueEncoding.FP16 : ValueEncoding.SIGN_1BIT);
        SplittableRandom random = new SplittableRandom(15);
        float[] params = GptInit.init(config.model(), config.seed());
        HttpClient http = HttpClient.newHttpClient();
        try (CoordinatorService coordinator = CoordinatorService.start(config, Clock.systemUTC());
             WireClient attacker = new WireClient(coordinator.address(), NodeIdentity.generate())) {
            URI status = URI.create(coordinator.dashboardUrl() + "api/status");
            attacker.join(STEP);
            for (int round = 1; round <= 2; round++) {
                RoundStart rs = attacker.next(Envelope::hasRoundStart, STEP).getRoundStart();
                attacker.send(Envelope.newBuilder().setUpdateUpload(upload(config, attacker.identity(), rs,
                        withScale(compress(layout, demo, random), ABSURD_SCALE), demo)).build());
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
            long deadline = System.nanoTime() + STEP.toNanos();
            while (!coordinator.ledger().quarantinedNodes().contains(attackerId) && System.nanoTime() < deadline) {
                java.util.concurrent.locks.LockSupport.parkNanos(10_000_000); // polls for the ledger row (bounded)
            }
            assertTrue(coordinator.ledger().quarantinedNodes().contains(attackerId));
            assertEquals(0, coordinator.ledger().position().lastVersion(), "no unhealthy version was committed");
            try (WireClient honest = new WireClient(coordinator.address(), NodeIdentity.generate())) {
                honest.join(STEP);
                RoundStart rs = honest.next(Envelope::hasRoundStart, STEP).getRoundStart();
                SparseUpdate u = scaledTo(compress(layout, demo, random),
                        HONEST_RELATIVE_STEP * ModelHealth.l2(params) / config.outerLr());
                honest.send(Envelope.newBuilder().setUpdateUpload(upload(config, honest.identity(), rs, u, demo)).build());
                RoundCommit commit = honest.next(Envelope::hasRoundCommit, STEP).getRoundCommit();
                assertEquals(1, commit.getNewVersion());
                honest.next(Envelope::hasUpdateReceipt, STEP);
                String body = http.send(HttpRequest.newBuilder(status).GET().build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                assertTrue(body.contains("\"fault\":null"), "a healthy version clears the fault: " + body);
            }
        }
    }

    static SparseUpdate compress(ParameterLayout layout, DemoConfig demo, SplittableRandom random) {
        float[] grad = new float[layout.size()];
        for (int i = 0; i < grad.length; i++) grad[i] = (float) random.nextGaussian();
        return new DemoCompressor(layout, demo).compress(grad);
    }

    /// `u` with its values scaled so that its L2 norm is `norm` (the sign encoding keeps one scale per block).
    static SparseUpdate scaledTo(SparseUpdate u, double norm) {
        return withFactor(u, (float) (norm / u.l2Norm()));
    }

    /// `u` with every block scale set to `scale` (signs kept).
    static SparseUpdate withScale(SparseUpdate u, float scale) {
        short[] idx = new short[u.entryCount()];
        float[] val = new float[u.entryCount()];
        for (int i = 0; i < val.length; i++) {
            idx[i] = (short) u.index(i);
            val[i] = Math.copySign(scale, u.value(i));
        }
        return new SparseUpdate(u.blocking(), idx, val);
    }

    static SparseUpdate withFactor(SparseUpdate u, float factor) {
        short[] idx = new short[u.entryCount()];
        float[] val = new float[u.entryCount()];
        for (int i = 0; i < val.length; i++) {
            idx[i] = (short) u.index(i);
            val[i] = u.value(i) * factor;
        }
        return new SparseUpdate(u.blocking(), idx, val);
    }

    static UpdateUpload upload(RunConfig config, NodeIdentity who, RoundStart rs, SparseUpdate u, DemoConfig demo) {
        byte[] payload = UpdateCodec.encode(u, demo.encoding());
        return UpdateSignatures.signed(who, UpdateUpload.newBuilder().setRunId(config.runId()).setRound(rs.getRound())
                .setBaseVersion(rs.getBaseVersion()).setPayload(ByteString.copyFrom(payload))
                .setTokens((long) rs.getBatchIdsCount() * config.model().context()).setLocalLoss(5).build());
    }
}

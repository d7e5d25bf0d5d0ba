package dev.hearth.coordinator.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.coordinator.bench.AbsurdScaleScenario;
import dev.hearth.coordinator.bench.WireClient;
import dev.hearth.coordinator.config.RunConfig;
import dev.hearth.coordinator.health.ModelHealth;
import dev.hearth.coordinator.ledger.LeaderboardEntry;
import dev.hearth.coordinator.service.CoordinatorService;
import dev.hearth.engine.demo.DemoCompressor;
import dev.hearth.engine.demo.DemoConfig;
import dev.hearth.engine.demo.SparseUpdate;
import dev.hearth.engine.model.GptInit;
import dev.hearth.engine.model.ParameterLayout;
import dev.hearth.protocol.identity.NodeIdentity;
import dev.hearth.protocol.wire.Envelope;
import dev.hearth.protocol.wire.RoundCommit;
import dev.hearth.protocol.wire.RoundStart;
import dev.hearth.protocol.wire.UpdateReceipt;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// Issue 14, point 3, over the real protocol: with **no spot check at all** (`spot_check_fraction = 0`) a
/// sign-flipped update is dropped by the agreement screen (`UpdateAgreement`) in every round, its sender earns
/// nothing and is struck, and its second offence quarantines it, while the four honest updates of each round all
/// count. The honest updates are real compressions (`DemoCompressor`, each its own top-k) of gradients that share a
/// common direction, as honest gradients of one model do; the flipper sends its own such update negated, with the same
/// norm (so the norm bound does not see it).
class AgreementScreenTest {

    static final Duration STEP = Duration.ofSeconds(60);
    static final int HONEST = 4;
    /// The gradients' common part against each node's own: pairwise cosine of the raw gradients 1 / (1 + 1) = 0.5,
    /// which leaves compressed honest updates (each its own top-k, one bit a value) agreeing by about 0.1, above the
    /// rule's floor on the round's median (`UpdateAgreement.MIN_MEDIAN`).
    static final double COMMON = 1.0;

    @Test
    void aSignFlippedUpdateIsDroppedByAgreementWithNoSpotCheckStruckAndQuarantined(@TempDir Path dir) throws Exception {
        RunConfig config = RunConfig.parse("""
                [run]
                id = "agreement"
                total_rounds = 100
                [validation]
                spot_check_fraction = 0.0
                loss_every_rounds = 0
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
                """.formatted(HONEST + 1, HONEST + 1), "agreement",
                Map.of("server.data_dir", new RunConfig.Override("data dir", dir.resolve("coordinator"))));
        ParameterLayout layout = ParameterLayout.gpt(config.recipe().model());
        DemoConfig demo = config.recipe().demo();
        float[] params = GptInit.init(config.recipe().model(), config.recipe().dataSeed());
        double norm = AbsurdScaleScenario.HONEST_RELATIVE_STEP * ModelHealth.l2(params) / config.recipe().outer().outerLr();
        SplittableRandom random = new SplittableRandom(314);
        List<WireClient> nodes = new ArrayList<>();
        try (CoordinatorService coordinator = CoordinatorService.start(config, Clock.systemUTC())) {
            try {
                for (int i = 0; i <= HONEST; i++) {
                    WireClient c = new WireClient(coordinator.address(), NodeIdentity.generate());
                    nodes.add(c);
                    c.join(STEP);
                }
                WireClient flipper = nodes.getLast();
                for (int round = 1; round <= 2; round++) {
                    float[] common = gaussian(layout.size(), random);
                    for (int i = 0; i <= HONEST; i++) {
                        WireClient c = nodes.get(i);
                        RoundStart rs = c.next(Envelope::hasRoundStart, STEP).getRoundStart();
                        SparseUpdate u = AbsurdScaleScenario.scaledTo(honestUpdate(layout, demo, common, random),
                                c == flipper ? -norm : norm);
                        c.send(Envelope.newBuilder().setUpdateUpload(AbsurdScaleScenario.upload(config, c.identity(), rs,
                                u, demo)).build());
                    }
                    for (int i = 0; i < HONEST; i++) {
                        RoundCommit commit = nodes.get(i).next(Envelope::hasRoundCommit, STEP).getRoundCommit();
                        assertEquals(HONEST, commit.getAcceptedUpdates(), "round " + round + ": the honest updates count");
                        UpdateReceipt r = nodes.get(i).next(Envelope::hasUpdateReceipt, STEP).getUpdateReceipt();
                        assertTrue(r.getAccepted(), "round " + round + " honest " + i + ": " + r.getReason());
                    }
                    // in round 2 the quarantine's Reject closes the flipper's connection before its receipt
                    if (round == 1) {
                        UpdateReceipt r = flipper.next(Envelope::hasUpdateReceipt, STEP).getUpdateReceipt();
                        assertFalse(r.getAccepted());
                        assertEquals(0, r.getCredits());
                        assertTrue(r.getReason().startsWith("agreement -"), r.getReason());
                        assertTrue(r.getReason().contains("below 0.10 × the round's median agreement"), r.getReason());
                        assertTrue(r.getReason().endsWith("it points away from them)"), r.getReason());
                    }
                }
                String flipperId = flipper.identity().nodeId();
                long deadline = System.nanoTime() + STEP.toNanos();
                while (!coordinator.ledger().quarantinedNodes().contains(flipperId) && System.nanoTime() < deadline) {
                    LockSupport.parkNanos(10_000_000); // polls for the ledger row (bounded)
                }
                assertTrue(coordinator.ledger().quarantinedNodes().contains(flipperId), "the second drop quarantines");
                for (LeaderboardEntry e : coordinator.ledger().leaderboard(100)) {
                    if (e.nodeId().equals(flipperId)) assertEquals(0, e.credits());
                    else assertTrue(e.credits() > 0, e.toString());
                }
                try (var db = java.sql.DriverManager.getConnection("jdbc:sqlite:" + config.ledgerFile());
                     var q = db.prepareStatement("SELECT node_id, strike, reason, loss_before FROM spot_checks");
                     var rs = q.executeQuery()) {
                    int strikes = 0;
                    while (rs.next()) {
                        assertEquals(flipperId, rs.getString(1), "only the flipper has a row: " + rs.getString(3));
                        assertEquals(1, rs.getInt(2));
                        assertTrue(rs.getString(3).startsWith("agreement -"), rs.getString(3));
                        rs.getDouble(4);
                        assertTrue(rs.wasNull(), "no loss spot check was made");
                        strikes++;
                    }
                    assertEquals(2, strikes);
                }
                try (var db = java.sql.DriverManager.getConnection("jdbc:sqlite:" + config.ledgerFile());
                     var q = db.prepareStatement("SELECT COUNT(*), COUNT(agreement) FROM updates");
                     var rs = q.executeQuery()) {
                    assertTrue(rs.next());
                    assertEquals(2 * (HONEST + 1), rs.getInt(1));
                    assertEquals(2 * (HONEST + 1), rs.getInt(2), "every update's agreement is in the ledger");
                }
            } finally {
                nodes.forEach(WireClient::close);
            }
        }
    }

    /// A real compressed update (a fresh compressor: no residual) of `common × COMMON + own noise`.
    private static SparseUpdate honestUpdate(ParameterLayout layout, DemoConfig demo, float[] common,
                                             SplittableRandom random) {
        float[] grad = gaussian(layout.size(), random);
        for (int i = 0; i < grad.length; i++) grad[i] += (float) (COMMON * common[i]);
        return new DemoCompressor(layout, demo).compress(grad);
    }

    private static float[] gaussian(int n, SplittableRandom random) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) random.nextGaussian();
        return v;
    }
}

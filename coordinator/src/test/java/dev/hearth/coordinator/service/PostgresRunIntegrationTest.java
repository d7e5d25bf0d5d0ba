package dev.hearth.coordinator.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hearth.coordinator.config.RunConfig;
import dev.hearth.coordinator.ledger.BatchAudit;
import dev.hearth.coordinator.ledger.PostgresServer;
import dev.hearth.coordinator.ledger.RoundRow;
import dev.hearth.coordinator.storage.S3TestServer;
import dev.hearth.node.AwayOwnerProbes;
import dev.hearth.node.NodeRuntime;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// Issue 17, points 3 and 4: a coordinator whose ledger is on a real PostgreSQL server and whose checkpoints and data
/// shards are in a real S3 API server (both started by the test) runs two nodes over loopback TLS, stops, starts
/// again on the same database and bucket, and finishes the run: every round committed before the stop is still
/// there, every batch of the run is committed exactly once, and no checkpoint or shard byte went through the
/// coordinator.
class PostgresRunIntegrationTest {

    static final int NODES = 2;
    static final int ROUNDS_BEFORE_RESTART = 2;
    static final int TOTAL_ROUNDS = 4;

    @TempDir
    Path dir;

    @Test
    void aRunOnPostgresqlAndS3SurvivesACoordinatorRestartAndLosesNothing() throws Exception {
        PostgresServer pg = PostgresServer.shared();
        assumeTrue(pg != null, () -> "PostgreSQL tests skipped: " + PostgresServer.whyUnavailable());
        String url = pg.newDatabase();
        try (S3TestServer s3 = S3TestServer.start(dir.resolve("s3"))) {
            run(url, s3);
        }
    }

    private void run(String url, S3TestServer s3) throws Exception {
        Path corpus = RunTestSupport.writeCorpus(dir.resolve("text.txt"), 5, 1000, "row ", " of the ledger test corpus");
        RunConfig config = RunConfig.parse("""
                [run]
                id = "it-postgres"
                total_rounds = %d
                [data]
                corpus = "%s"
                sequences_per_node = 8
                [optimizer]
                outer = "sign"
                lr_max = 0.003
                lr_min = 0.003
                warmup_rounds = 0
                [validation]
                loss_every_rounds = 0
                spot_check_fraction = 0.0
                [quorum]
                min_nodes = %d
                min_uploads = %d
                [deadline]
                min_seconds = 60
                max_seconds = 120
                [checkpoint]
                every_rounds = 1
                [server]
                port = 0
                http_port = 0
                [ledger]
                url = "%s"
                user = "hearth"
                %s""".formatted(TOTAL_ROUNDS, corpus.toString().replace("\\", "\\\\"), NODES, NODES, url,
                        s3.toml("restart/")), "test",
                Map.of("server.data_dir", new RunConfig.Override("data dir", dir.resolve("coordinator"))));

        List<RoundRow> before;
        try (CoordinatorService first = CoordinatorService.start(config, Clock.systemUTC())) {
            assertTrue(first.ledger().postgres(), "the ledger is on PostgreSQL: " + first.ledger().where());
            train(first, ROUNDS_BEFORE_RESTART);
            before = first.ledger().recentRounds(100).stream().filter(x -> x.status().equals("COMMITTED")).toList();
            assertEquals(0, first.checkpointBytesServed() + first.dataBytesServed(), "bulk bytes came from the bucket");
        }
        assertTrue(before.size() >= ROUNDS_BEFORE_RESTART, "committed before the stop: " + before);
        try (CoordinatorService second = CoordinatorService.start(config, Clock.systemUTC())) {
            List<RoundRow> after = second.ledger().recentRounds(100);
            for (RoundRow row : before) {
                assertTrue(after.stream().anyMatch(a -> a.round() == row.round() && a.status().equals("COMMITTED")
                        && a.version() == row.version() && a.tokens() == row.tokens()), "round " + row.round() + " kept");
            }
            train(second, TOTAL_ROUNDS - before.size());
            BatchAudit audit = second.ledger().auditBatches();
            assertTrue(audit.problems().isEmpty(), audit.problems().toString());
            assertEquals(0, audit.duplicates());
            assertEquals(TOTAL_ROUNDS, second.ledger().position().lastVersion());
            long committed = second.ledger().committedBatchesByNode().values().stream().mapToLong(List::size).sum();
            // A round may commit with one node's update: closing the nodes one after the other can leave the last
            // one alone in a round that opened before the close. Every accepted update's 8 batches count, once.
            List<RoundRow> committedRounds = second.ledger().recentRounds(100).stream()
                    .filter(x -> x.status().equals("COMMITTED")).toList();
            assertEquals(TOTAL_ROUNDS, committedRounds.size(), "committed rounds: " + committedRounds);
            long accepted = committedRounds.stream().mapToLong(RoundRow::accepted).sum();
            assertTrue(accepted >= TOTAL_ROUNDS, "every committed round has an update: " + committedRounds);
            assertEquals(accepted * 8, committed, "every accepted update's batches, each once");
            assertEquals(NODES, second.ledger().summary().nodesSeen(), "both nodes recorded (batched node activity)");
            assertEquals(0, second.checkpointBytesServed() + second.dataBytesServed(), "bulk bytes came from the bucket");
        }
    }

    private void train(CoordinatorService coordinator, int rounds) throws Exception {
        CountDownLatch committed = new CountDownLatch(rounds);
        coordinator.onCommit(e -> committed.countDown());
        List<NodeRuntime> nodes = new ArrayList<>();
        try {
            for (int i = 0; i < NODES; i++) {
                NodeRuntime n = NodeRuntime.start(dir.resolve("node" + i), Clock.systemUTC(), true,
                        log -> new AwayOwnerProbes("Test machine: training on the CPU."));
                n.joinRun(coordinator.address().toString());
                nodes.add(n);
            }
            assertTrue(committed.await(3, TimeUnit.MINUTES), rounds + " rounds committed");
        } finally {
            nodes.forEach(NodeRuntime::close);
        }
    }
}

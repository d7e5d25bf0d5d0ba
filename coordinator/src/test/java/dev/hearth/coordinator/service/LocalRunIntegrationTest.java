package dev.hearth.coordinator.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.coordinator.config.RunConfig;
import dev.hearth.coordinator.ledger.BatchAudit;
import dev.hearth.node.NodeRuntime;
import dev.hearth.node.api.NodeService;
import dev.hearth.node.api.RoundRecord;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/// Issue 4's "done when": a coordinator and three nodes over loopback TLS in one JVM train `nano` for ten
/// rounds; the validation loss falls and the ledger shows every batch committed exactly once.
class LocalRunIntegrationTest {

    static final int ROUNDS = 10;
    static final int NODES = 3;

    /// Both outer steps: the mean step (the default: 8 local AdamW steps of 1 window, pseudo-gradients, the mean
    /// DCT coefficients in the commit) and the sign step (gradients, the ternary commit).
    @ParameterizedTest
    @ValueSource(strings = {"mean", "sign"})
    void threeNodesTrainTenRoundsAndTheValidationLossFalls(String outer, @TempDir Path dir) throws Exception {
        String optimizer = outer.equals("mean") ? "outer = \"mean\"\nwarmup_rounds = 0"
                : "outer = \"sign\"\nlr_max = 0.003\nlr_min = 0.003\nwarmup_rounds = 0";
        RunConfig config = RunConfig.parse("""
                [run]
                id = "it-three-nodes"
                total_rounds = %d
                [data]
                sequences_per_node = 8
                [optimizer]
                %s
                [validation]
                loss_every_rounds = 1
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
                """.formatted(ROUNDS, optimizer, NODES, NODES), "test", Map.of(
                "server.data_dir", new RunConfig.Override("data dir", dir.resolve("coordinator"))));
        List<CoordinatorService.CommitEvent> commits = new CopyOnWriteArrayList<>();
        CountDownLatch finished = new CountDownLatch(ROUNDS);
        try (CoordinatorService coordinator = CoordinatorService.start(config, Clock.systemUTC())) {
            coordinator.onCommit(e -> {
                commits.add(e);
                finished.countDown();
            });
            String address = coordinator.address().toString();
            List<NodeRuntime> nodes = new ArrayList<>();
            List<RoundRecord> records = new CopyOnWriteArrayList<>();
            try {
                for (int i = 0; i < NODES; i++) {
                    NodeRuntime node = NodeRuntime.start(dir.resolve("node" + i), Clock.systemUTC(), true,
                            log -> new dev.hearth.node.AwayOwnerProbes("Test machine: training on the CPU."));
                    node.addListener(new NodeService.Listener() {
                        @Override
                        public void onRoundRecorded(RoundRecord r) {
                            records.add(r);
                        }
                    }, Runnable::run);
                    node.joinRun(address);
                    nodes.add(node);
                }
                assertTrue(finished.await(4, TimeUnit.MINUTES), "ten rounds committed; got " + commits.size());
            } finally {
                nodes.forEach(NodeRuntime::close);
            }
            assertEquals(ROUNDS, commits.size());
            double first = commits.getFirst().valLoss();
            double last = commits.getLast().valLoss();
            assertTrue(last < first, "validation loss falls: " + first + " → " + last);
            BatchAudit audit = coordinator.ledger().auditBatches();
            assertTrue(audit.everyBatchCommittedExactlyOnce(0) && audit.problems().isEmpty(),
                    "no batch committed twice: " + audit);
            long committedTokens = commits.stream().mapToLong(CoordinatorService.CommitEvent::tokens).sum();
            assertEquals(committedTokens / config.recipe().model().context(), audit.perEpoch().getOrDefault(0, 0L),
                    "the ledger holds exactly the batches of the committed updates");
            assertTrue(records.stream().filter(RoundRecord::accepted).count() >= ROUNDS * (NODES - 1),
                    "nodes recorded their accepted rounds: " + records.size());
            for (int i = 0; i < NODES; i++) {
                // every commit reached each trainer as a COMMIT frame: its parameters file was written for its
                // first round only (version 0), never rewritten per round
                Path trainerFile = dir.resolve("node" + i).resolve("runs").resolve("it-three-nodes").resolve("trainer")
                        .resolve("params.bin");
                assertEquals(0, dev.hearth.engine.checkpoint.Checkpoint.read(trainerFile).metadata().version(),
                        "node " + i + "'s trainer file");
            }
        }
    }
}

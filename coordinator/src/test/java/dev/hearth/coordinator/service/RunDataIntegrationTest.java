package dev.hearth.coordinator.service;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.coordinator.config.RunConfig;
import dev.hearth.engine.data.Corpus;
import dev.hearth.engine.data.DatasetManifest;
import dev.hearth.node.AwayOwnerProbes;
import dev.hearth.node.NodeRuntime;
import dev.hearth.node.api.NodeService;
import dev.hearth.node.api.NodeSnapshot;
import dev.hearth.node.api.NodeState;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// Issue 17, point 1: the run's data travels with the run. A coordinator configured with its own text file
/// publishes it as SHA-256-addressed shards; nodes (real `NodeRuntime`s over loopback TLS, in-process trainers)
/// fetch the shards their batches read, verify them, and train on exactly the coordinator's windows; a shard whose
/// bytes were altered at the source is refused with the reason, and the node does not train.
class RunDataIntegrationTest {

    static final int ROUNDS = 3;
    static final int NODES = 2;
    /// 16 Ki tokens per shard: the ~300 KB test text becomes ~19 shards, so a round reads only some of them.
    static final int SHARD_TOKENS = 16 << 10;

    @TempDir
    Path dir;

    /// A text no one would mistake for the bundled Europarl proceedings: numbered lines of made-up words.
    private Path ownText() throws IOException {
        String[] words = {"hearth", "ember", "kiln", "bellows", "anvil", "tongs", "flue", "grate", "cinder", "spark"};
        Random r = new Random(17);
        StringBuilder b = new StringBuilder();
        for (int line = 0; b.length() < 300_000; line++) {
            b.append("line ").append(line).append(':');
            for (int w = 0; w < 12; w++) {
                b.append(' ').append(words[r.nextInt(words.length)]);
            }
            b.append('\n');
        }
        Path f = dir.resolve("own-corpus.txt");
        Files.writeString(f, b, StandardCharsets.UTF_8);
        return f;
    }

    private RunConfig config(Path text, int minNodes) {
        return RunConfig.parse("""
                [run]
                id = "it-own-data"
                total_rounds = %d
                [data]
                corpus = "%s"
                sequences_per_node = 8
                shard_tokens = %d
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
                [server]
                port = 0
                http_port = 0
                """.formatted(ROUNDS, text.toString().replace("\\", "\\\\"), SHARD_TOKENS, minNodes, minNodes), "test",
                Map.of("server.data_dir", new RunConfig.Override("data dir", dir.resolve("coordinator"))));
    }

    private static NodeRuntime node(Path dataDir) {
        return NodeRuntime.start(dataDir, Clock.systemUTC(), true,
                log -> new AwayOwnerProbes("Test machine: training on the CPU."));
    }

    @Test
    void everyNodeTrainsOnTheCoordinatorsOwnTextFile() throws Exception {
        RunConfig config = config(ownText(), NODES);
        CountDownLatch committed = new CountDownLatch(ROUNDS);
        try (CoordinatorService coordinator = CoordinatorService.start(config, Clock.systemUTC())) {
            coordinator.onCommit(e -> committed.countDown());
            Corpus published = coordinator.corpus();
            DatasetManifest manifest = published.manifest();
            assertNotEquals(Corpus.BUNDLED_CORPUS_ID, published.id());
            assertTrue(manifest.shards().size() > 8, "several shards: " + manifest.shards().size());
            List<NodeRuntime> nodes = new ArrayList<>();
            try {
                for (int i = 0; i < NODES; i++) {
                    NodeRuntime n = node(dir.resolve("node" + i));
                    n.joinRun(coordinator.address().toString());
                    nodes.add(n);
                }
                assertTrue(committed.await(3, TimeUnit.MINUTES), "rounds committed on the run's own data");
            } finally {
                nodes.forEach(NodeRuntime::close);
            }
            int context = config.recipe().model().context();
            Map<String, List<Long>> byNode = coordinator.ledger().committedBatchesByNode();
            for (NodeRuntime n : nodes) {
                List<Long> ids = byNode.get(n.nodeId());
                assertTrue(ids != null && !ids.isEmpty(), "node " + n.nodeId() + " contributed batches");
                // The node's data, opened exactly as its trainer opens it (the --corpus the session gave it).
                Path manifestFile = n.dataDir().resolve("datasets").resolve(manifest.sha256Hex() + Corpus.MANIFEST_SUFFIX);
                Corpus nodeData = Corpus.forWorker(manifestFile.toString(), dir.resolve("unused-cache"));
                assertEquals(published.id(), nodeData.id());
                for (long id : ids) {
                    assertArrayEquals(published.windowBytes(id, context), nodeData.windowBytes(id, context),
                            "batch " + id + ": the node's bytes are the coordinator's");
                }
                assertFalse(Files.exists(n.dataDir().resolve("corpus")), "the node never built the bundled corpus");
                long held;
                try (var files = Files.list(n.dataDir().resolve("datasets").resolve("shards"))) {
                    held = files.count();
                }
                assertTrue(held >= 1 && held <= manifest.shards().size(), "shards cached: " + held);
            }
        }
    }

    @Test
    void aShardAlteredAtTheSourceIsRefusedAndTheNodeDoesNotTrain() throws Exception {
        RunConfig config = config(ownText(), 1);
        try (CoordinatorService coordinator = CoordinatorService.start(config, Clock.systemUTC())) {
            Corpus published = coordinator.corpus();
            for (int s = 0; s < published.manifest().shards().size(); s++) {
                // one byte of every shard, in place (the coordinator maps these files: no truncation)
                try (RandomAccessFile f = new RandomAccessFile(published.shardFile(s).toFile(), "rw")) {
                    f.seek(16 + 100);
                    int b = f.read();
                    f.seek(16 + 100);
                    f.write(b ^ 0x20);
                }
            }
            CompletableFuture<NodeSnapshot> refused = new CompletableFuture<>();
            NodeRuntime n = node(dir.resolve("node"));
            try {
                n.addListener(new NodeService.Listener() {
                    @Override
                    public void onSnapshot(NodeSnapshot s) {
                        if (s.state() == NodeState.ERROR) refused.complete(s);
                    }
                }, Runnable::run);
                n.joinRun(coordinator.address().toString());
                NodeSnapshot s = refused.get(2, TimeUnit.MINUTES);
                assertTrue(s.reason().contains("do not match the run's manifest"), s.reason());
                assertTrue(s.reason().contains("Not training on it"), s.reason());
                try (var files = Files.list(n.dataDir().resolve("datasets").resolve("shards"))) {
                    assertEquals(0, files.count(), "nothing unverified is kept");
                }
            } finally {
                n.close();
            }
            assertTrue(coordinator.ledger().committedBatchesByNode().isEmpty(), "nothing was trained");
            assertEquals(0, coordinator.ledger().updates(0).size() + coordinator.ledger().updates(1).size(),
                    "the node uploaded nothing");
        }
    }
}

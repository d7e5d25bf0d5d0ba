package dev.hearth.coordinator.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.coordinator.config.RunConfig;
import dev.hearth.coordinator.run.RunPhase;
import dev.hearth.coordinator.storage.S3ObjectStore;
import dev.hearth.coordinator.storage.S3TestServer;
import dev.hearth.engine.checkpoint.Checkpoint;
import dev.hearth.node.AwayOwnerProbes;
import dev.hearth.node.NodeRuntime;
import dev.hearth.node.api.LogEntry;
import dev.hearth.node.api.NodeService;
import dev.hearth.protocol.Fingerprints;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// Issue 17, point 2 (the commits): every round's commit is written to the bucket (s3proxy in-process), and a node
/// that was away for several rounds catches up by fetching the commits it missed there by presigned URL, checking
/// each SHA-256 and applying it with the code that applies a live commit — no checkpoint byte, from the coordinator
/// or from storage, and it ends with the coordinator's parameters (SHA-256). A commit altered in the bucket is refused
/// with the reason and that node downloads the checkpoint instead.
class CommitCatchUpIntegrationTest {

    /// Rounds the away nodes miss at least: a sign commit of the nano model is ~1/16 of its checkpoint, so 3 are cheaper.
    static final int AWAY_ROUNDS = 3;
    static final Duration WAIT = Duration.ofMinutes(3);

    @TempDir
    Path dir;
    private S3TestServer s3;

    @BeforeEach
    void startS3() throws Exception {
        s3 = S3TestServer.start(dir.resolve("s3"));
    }

    @AfterEach
    void stopS3() throws Exception {
        s3.close();
    }

    @Test
    void aNodeAwayForRoundsCatchesUpFromStoredCommitsAndRefusesOneAlteredInTheBucket() throws Exception {
        RunConfig config = RunTestSupport.smallSignRun(dir, "it-catchup", 200, 2, "catch up line ",
                " from the stored commits", s3.toml("it/"));
        AtomicLong runVersion = new AtomicLong();
        try (CoordinatorService coordinator = CoordinatorService.start(config, Clock.systemUTC());
             S3ObjectStore bucket = s3.store("it/")) {
            coordinator.onCommit(e -> runVersion.set(e.version()));
            String address = coordinator.address().toString();
            NodeRuntime stays = node("stays");
            NodeRuntime away = node("away");
            NodeRuntime altered = node("altered");
            long awayAt;
            long alteredAt;
            try {
                stays.joinRun(address);
                away.joinRun(address);
                altered.joinRun(address);
                // in memory: a live commit applied (params.bin follows only at a download or the session's end)
                await("both away nodes hold version 1 or later",
                        () -> away.modelVersion() >= 1 && altered.modelVersion() >= 1);
            } finally {
                away.close();
                altered.close();
            }
            awayAt = localVersion("away");
            alteredAt = localVersion("altered");
            assertTrue(awayAt >= 1 && alteredAt >= 1, "closing saved the model each node held: away at " + awayAt
                    + ", altered at " + alteredAt);
            long target = Math.max(awayAt, alteredAt) + AWAY_ROUNDS;
            try {
                await("the run moved " + AWAY_ROUNDS + " versions on", () -> runVersion.get() >= target);
            } finally {
                stays.close();
            }
            await("the run is idle", () -> coordinator.connectionCount() == 0
                    && coordinator.phase() == RunPhase.WAITING_FOR_NODES);
            long version = runVersion.get();
            String sha = Fingerprints.hex(coordinator.paramsSha256());
            assertTrue(version - awayAt >= AWAY_ROUNDS, "away at " + awayAt + ", run at " + version);

            NodeRuntime back = node("away");
            try {
                var caughtUp = logged(back, "caught up to version");
                var lines = lines(back);
                back.joinRun(address);
                String line = caughtUp.get(WAIT.toSeconds(), TimeUnit.SECONDS);
                assertEquals("caught up to version " + version + " from " + (version - awayAt)
                        + " commit(s); model SHA-256 " + sha, line, "the node ends with the coordinator's parameters");
                assertTrue(lines.stream().anyMatch(m -> m.startsWith(
                        "catching up from version " + awayAt + " to " + version + " with " + (version - awayAt)
                                + " commit(s) from storage")), "the commits came from storage");
                assertFalse(lines.stream().anyMatch(m -> m.contains("downloaded and verified")), "no checkpoint: " + lines);
            } finally {
                back.close();
            }
            assertEquals(0, coordinator.checkpointBytesServed(), "no checkpoint byte went through the coordinator");
            var checkpoints = bucket.client().listObjectsV2(b -> b.bucket(S3TestServer.BUCKET).prefix("it/checkpoints/"
                    + version + "-")).contents();
            assertTrue(checkpoints.isEmpty(), "no checkpoint of version " + version + " was needed: " + checkpoints);
            var stored = bucket.client().listObjectsV2(b -> b.bucket(S3TestServer.BUCKET).prefix("it/commits/"))
                    .contents();
            assertTrue(stored.size() >= version, "every round's commit is in the bucket: " + stored.size());

            await("the run is idle again", () -> coordinator.connectionCount() == 0
                    && coordinator.phase() == RunPhase.WAITING_FOR_NODES);
            long now = runVersion.get();
            String object = coordinator.commits().name(alteredAt + 1).orElseThrow();
            byte[] bytes = bucket.get(object);
            bytes[bytes.length / 2] ^= 0x01;
            bucket.put(object, bytes);
            NodeRuntime refusing = node("altered");
            try {
                var downloaded = logged(refusing, "downloaded and verified");
                var lines = lines(refusing);
                refusing.joinRun(address);
                String line = downloaded.get(WAIT.toSeconds(), TimeUnit.SECONDS);
                assertEquals("model version " + now + " downloaded and verified", line);
                assertTrue(lines.stream().anyMatch(m -> m.equals(
                        "commit for version " + (alteredAt + 1) + " from storage is refused: its " + bytes.length
                                + " bytes do not match its SHA-256; downloading the checkpoint instead")),
                        "the altered commit was refused with the reason: " + lines);
            } finally {
                refusing.close();
            }
        }
    }

    private NodeRuntime node(String name) {
        return RunTestSupport.awayNode(dir.resolve(name));
    }

    /// The version of the node's saved model copy (what it starts from when it comes back), or -1 while it has none.
    private long localVersion(String name) {
        Path f = dir.resolve(name).resolve("runs").resolve("it-catchup").resolve("params.bin");
        if (!Files.exists(f)) return -1;
        try {
            return Checkpoint.read(f).metadata().version();
        } catch (java.io.IOException | RuntimeException e) {
            return -1; // being replaced
        }
    }

    /// Polls `condition` (a state reached, not a time) until it holds or [#WAIT] passes.
    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) throw new AssertionError("not reached within " + WAIT + ": " + what);
            Thread.sleep(50);
        }
    }

    /// Every log line the node writes from now on.
    private static java.util.List<String> lines(NodeRuntime node) {
        var lines = new java.util.concurrent.CopyOnWriteArrayList<String>();
        node.addListener(new NodeService.Listener() {
            @Override
            public void onLog(LogEntry entry) {
                lines.add(entry.message());
            }
        }, Runnable::run);
        return lines;
    }

    /// Completes with the first log line of the node that contains `text` (register before the node does the work).
    private static CompletableFuture<String> logged(NodeRuntime node, String text) {
        CompletableFuture<String> seen = new CompletableFuture<>();
        node.addListener(new NodeService.Listener() {
            @Override
            public void onLog(LogEntry entry) {
                if (entry.message().contains(text)) seen.complete(entry.message());
            }
        }, Runnable::run);
        return seen;
    }
}

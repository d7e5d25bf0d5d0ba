package dev.hearth.coordinator.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.coordinator.config.RunConfig;
import dev.hearth.coordinator.run.RunPhase;
import dev.hearth.coordinator.storage.S3TestServer;
import dev.hearth.engine.checkpoint.Checkpoint;
import dev.hearth.node.AwayOwnerProbes;
import dev.hearth.node.NodeRuntime;
import dev.hearth.protocol.Fingerprints;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// Catch-up by commits across a coordinator restart: the commit index is rebuilt at start from the objects in storage
/// (their names, bytes and the round the ledger committed each version in), so a node that was away for several
/// rounds before the restart is handed the commits it missed, not the checkpoint — on `[storage] kind = "s3"`
/// (s3proxy in-process) and on `local` (the commits under the data dir, served by the coordinator in chunks).
class CommitCatchUpRestartIntegrationTest {

    /// Rounds the away node misses at least: a sign commit of `nano` is ~1/16 of its checkpoint, so 3 are cheaper.
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
    void aNodeBehindARestartedCoordinatorCatchesUpFromTheCommitsInTheBucket() throws Exception {
        long served = catchesUpAcrossARestart("it-restart-s3", s3.toml("it/"), "from storage");
        assertEquals(0, served, "the commits came from the bucket, none through the coordinator");
    }

    @Test
    void aNodeBehindARestartedLocalCoordinatorCatchesUpFromTheCommitsItServes() throws Exception {
        long served = catchesUpAcrossARestart("it-restart-local", "", "from the coordinator");
        assertTrue(served > 0, "the coordinator served the stored commits' bytes itself");
    }

    /// @return the stored commit bytes the restarted coordinator sent itself
    private long catchesUpAcrossARestart(String runId, String storageToml, String source) throws Exception {
        RunConfig config = config(runId, storageToml);
        AtomicLong runVersion = new AtomicLong();
        long awayAt;
        long version;
        try (CoordinatorService coordinator = CoordinatorService.start(config, Clock.systemUTC())) {
            coordinator.onCommit(e -> runVersion.set(e.version()));
            String address = coordinator.address().toString();
            NodeRuntime stays = node("stays");
            try {
                NodeRuntime away = node("away");
                try {
                    stays.joinRun(address);
                    away.joinRun(address);
                    RunTestSupport.await("a round committed with both nodes", WAIT, () -> runVersion.get() >= 1);
                } finally {
                    away.close(); // writes its model copy: the version it holds
                }
                awayAt = localVersion(runId, "away");
                assertTrue(awayAt >= 0, "the away node saved its model at leaving");
                RunTestSupport.await("the run moved " + AWAY_ROUNDS + " versions on", WAIT,
                        () -> runVersion.get() >= awayAt + AWAY_ROUNDS);
            } finally {
                stays.close();
            }
            RunTestSupport.await("the run is idle", WAIT, () -> coordinator.connectionCount() == 0
                    && coordinator.phase() == RunPhase.WAITING_FOR_NODES);
            version = runVersion.get();
        }

        try (CoordinatorService restarted = CoordinatorService.start(config, Clock.systemUTC())) {
            String sha = Fingerprints.hex(restarted.paramsSha256());
            assertEquals(version, restarted.ledger().position().lastVersion(), "the restart resumed at the last version");
            NodeRuntime back = node("away");
            try {
                var caughtUp = RunTestSupport.loggedLine(back, "caught up to version");
                var lines = RunTestSupport.lines(back);
                back.joinRun(restarted.address().toString());
                String line = caughtUp.get(WAIT.toSeconds(), TimeUnit.SECONDS);
                assertEquals("caught up to version " + version + " from " + (version - awayAt)
                        + " commit(s); model SHA-256 " + sha, line, "the node ends with the coordinator's parameters");
                assertTrue(lines.stream().anyMatch(m -> m.startsWith("catching up from version " + awayAt + " to "
                        + version + " with " + (version - awayAt) + " commit(s) " + source)),
                        "the commits stored before the restart came " + source + ": " + lines);
                assertFalse(lines.stream().anyMatch(m -> m.contains("downloaded and verified")), "no checkpoint: " + lines);
            } finally {
                back.close();
            }
            assertEquals(0, restarted.checkpointBytesServed(), "no checkpoint byte went through the restarted coordinator");
            return restarted.commitBytesServed();
        }
    }

    private RunConfig config(String runId, String storageToml) throws java.io.IOException {
        // A checkpoint every version: the restart resumes at the run's last version, not rolled back to an older one.
        return RunTestSupport.smallSignRun(dir, runId, 200, 2, "restart line ", " from the stored commits",
                "[checkpoint]\nevery_rounds = 1\n" + storageToml);
    }

    private NodeRuntime node(String name) {
        return RunTestSupport.awayNode(dir.resolve(name));
    }

    /// The version of the node's saved model copy, or -1 while it has none.
    private long localVersion(String runId, String name) {
        Path f = dir.resolve(name).resolve("runs").resolve(runId).resolve("params.bin");
        if (!Files.exists(f)) return -1;
        try {
            return Checkpoint.read(f).metadata().version();
        } catch (java.io.IOException | RuntimeException e) {
            return -1; // being replaced
        }
    }
}

package dev.hearth.coordinator.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.coordinator.config.RunConfig;
import dev.hearth.coordinator.storage.S3TestServer;
import dev.hearth.node.AwayOwnerProbes;
import dev.hearth.node.NodeRuntime;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// A round commit too large for its frame (gpt2-small's 21.5 MB against 16 MiB) is handed to nodes by reference
/// (`live_commit`): here the coordinator's inline limit is set to 0, so every `nano` commit goes that way. The node
/// fetches each from storage (s3proxy) or from the coordinator (`local`), verifies and applies it, and trains the
/// next round on it: every round's upload is accepted, no checkpoint after the first is downloaded, and no
/// RoundCommit frame is broadcast.
class LargeCommitIntegrationTest {

    static final Duration WAIT = Duration.ofMinutes(3);
    static final int ROUNDS = 3;
    /// 4 KiB per node: a `live_commit` announcement (a presigned URL) counted as 1 KiB, far below a 218 KB commit.
    static final long ANNOUNCEMENT_BYTES = 4 * 1024;

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
    void commitsTooLargeForAFrameReachTheNodeFromTheBucket() throws Exception {
        long served = trainsOnCommitsByReference("it-large-s3", s3.toml("it/"));
        assertEquals(0, served, "the commits came from the bucket");
    }

    @Test
    void commitsTooLargeForAFrameReachTheNodeFromALocalCoordinator() throws Exception {
        long served = trainsOnCommitsByReference("it-large-local", "");
        assertTrue(served > 0, "the coordinator served the commits' bytes itself");
    }

    /// @return the stored commit bytes the coordinator sent itself
    private long trainsOnCommitsByReference(String runId, String storageToml) throws Exception {
        List<CoordinatorService.CommitEvent> events = new CopyOnWriteArrayList<>();
        try (CoordinatorService coordinator = CoordinatorService.start(config(runId, storageToml), Clock.systemUTC(), 0)) {
            coordinator.onCommit(events::add);
            NodeRuntime node = NodeRuntime.start(dir.resolve("node-" + runId), Clock.systemUTC(), true,
                    log -> new AwayOwnerProbes("Test machine: training on the CPU."));
            try {
                var lines = RunTestSupport.lines(node);
                node.joinRun(coordinator.address().toString());
                RunTestSupport.await(ROUNDS + " rounds committed", WAIT, () -> events.size() >= ROUNDS);
                for (var e : events) {
                    assertEquals(1, e.updates(), "round " + e.round() + " counted the node's update: it trained on the"
                            + " version the commit before made");
                    assertTrue(e.bytesOut() <= ANNOUNCEMENT_BYTES, "round " + e.round() + " broadcast no commit frame: "
                            + e.bytesOut() + " bytes out");
                }
                assertEquals(List.of("model version 0 downloaded and verified"),
                        lines.stream().filter(m -> m.contains("downloaded and verified")).toList(),
                        "only the first model came as a checkpoint: " + lines);
                assertTrue(lines.stream().noneMatch(m -> m.contains("is refused")), "no commit refused: " + lines);
            } finally {
                node.close();
            }
            if (!storageToml.isEmpty()) {
                assertEquals(0, coordinator.checkpointBytesServed(), "with a bucket, no checkpoint byte went through the"
                        + " coordinator");
            }
            return coordinator.commitBytesServed();
        }
    }

    private RunConfig config(String runId, String storageToml) throws java.io.IOException {
        return RunTestSupport.smallSignRun(dir, runId, ROUNDS, 2, "large commit line ", " by reference", storageToml);
    }
}

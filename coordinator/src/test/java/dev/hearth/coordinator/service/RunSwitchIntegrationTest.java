package dev.hearth.coordinator.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.coordinator.config.RunConfig;
import dev.hearth.node.NodeRuntime;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// Issue 16 item 2, the answering side: a node on the local run switches to a coordinator that answers — only once
/// its Welcome came — and the headline names the run by host and port, not by its fingerprint.
class RunSwitchIntegrationTest {

    private static boolean onTheLocalRunWithItsData(dev.hearth.node.api.NodeSnapshot s) {
        return "local run".equals(s.coordinator()) && (s.state() == dev.hearth.node.api.NodeState.WAITING_FOR_ROUND
                || s.state() == dev.hearth.node.api.NodeState.TRAINING || s.state() == dev.hearth.node.api.NodeState.UPLOADING
                || s.state() == dev.hearth.node.api.NodeState.PAUSED);
    }

    @Test
    void aRunThatAnswersIsJoinedAndSaved(@TempDir Path dir) throws Exception {
        RunConfig config = RunConfig.parse("""
                [run]
                id = "it-switch"
                total_rounds = 2
                [data]
                sequences_per_node = 8
                [quorum]
                min_nodes = 1
                min_uploads = 1
                [server]
                port = 0
                http_port = 0
                """, "test", Map.of("server.data_dir", new RunConfig.Override("data dir", dir.resolve("coordinator"))));
        try (CoordinatorService coordinator = CoordinatorService.start(config, Clock.systemUTC());
             NodeRuntime node = NodeRuntime.start(dir.resolve("node"), Clock.systemUTC(), true,
                     log -> new dev.hearth.node.AwayOwnerProbes("Test machine: training on the CPU."))) {
            node.joinConfiguredRun();
            // on the local run, its data in place (a switch mid-download leaves the data thread writing into the
            // data dir after close, which the temporary directory's cleanup then trips over)
            long ready = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!onTheLocalRunWithItsData(node.settledSnapshot()) && System.nanoTime() < ready) Thread.sleep(50);
            assertTrue(onTheLocalRunWithItsData(node.settledSnapshot()), "local run: " + node.snapshot());
            String address = coordinator.address().toString();
            List<String> attempts = new CopyOnWriteArrayList<>();
            node.switchRun(address, attempts::add).toCompletableFuture().get(60, TimeUnit.SECONDS);
            assertEquals(address, node.settings().runAddress(), "the new run is saved once it answered");
            String label = "run at " + coordinator.address().host() + ":" + coordinator.address().port();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30); // settledSnapshot's wait is short under load
            while (!label.equals(node.settledSnapshot().coordinator()) && System.nanoTime() < deadline) Thread.sleep(50);
            assertEquals(label, node.settledSnapshot().coordinator());
            assertTrue(attempts.isEmpty(), "it answered at the first attempt: " + attempts);
        }
    }
}

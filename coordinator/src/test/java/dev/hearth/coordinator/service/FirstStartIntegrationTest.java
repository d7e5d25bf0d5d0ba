package dev.hearth.coordinator.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.node.NodeRuntime;
import dev.hearth.node.api.GpuCheck;
import dev.hearth.node.api.HardwareSample;
import dev.hearth.node.api.NodeService;
import dev.hearth.node.api.NodeSettings;
import dev.hearth.node.api.NodeState;
import dev.hearth.node.api.RoundRecord;
import dev.hearth.node.policy.Readings;
import dev.hearth.node.probe.MachineProbes;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// Issue 16 item 1, on the real local run: the owner is at the keyboard the whole time (they just clicked), the
/// policy is the default "only when I am away", and still "Start contributing" trains a first round at once,
/// and "Finish round, then pause" finishes the round it is in instead of dropping it at the next mouse move.
class FirstStartIntegrationTest {

    /// The owner touched the keyboard a second ago, every time the node looks.
    static final class OwnerAtTheKeyboard implements MachineProbes {
        @Override public Readings readings() { return Readings.idleFor(Duration.ofSeconds(1), ZoneOffset.UTC); }
        @Override public HardwareSample hardware() { return HardwareSample.empty(Instant.now()); }
        @Override public GpuCheck gpuCheck() { return new GpuCheck("no NVIDIA GPU found", 0, "", "", false, "test: CPU"); }
        @Override public void setWorkerPid(long pid) {}
        @Override public void close() {}
    }

    @Test
    void startTrainsAFirstRoundWhileTheOwnerIsActiveAndFinishFinishesTheNextOne(@TempDir Path dir) throws Exception {
        BlockingQueue<RoundRecord> rounds = new LinkedBlockingQueue<>();
        try (NodeRuntime node = NodeRuntime.start(dir, Clock.systemUTC(), true, log -> new OwnerAtTheKeyboard())) {
            assertEquals(NodeSettings.Policy.WHEN_IDLE, node.settings().policy());
            node.addListener(new NodeService.Listener() {
                @Override
                public void onRoundRecorded(RoundRecord r) {
                    rounds.add(r);
                }
            }, Runnable::run);
            long t0 = System.nanoTime();
            node.startLocalRun();
            node.startNow();

            RoundRecord first = rounds.poll(3, TimeUnit.MINUTES);
            double seconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf("first round recorded %.1f s after Start (accepted %s)%n", seconds, first == null ? "-" : first.accepted());
            assertTrue(first != null && first.accepted(), "a first round was trained and accepted: " + first);
            // After the first round the default policy holds again: the owner is active, so it steps aside.
            assertTrue(waitFor(() -> node.snapshot().state() == NodeState.PAUSED, Duration.ofSeconds(10)), node.snapshot().line());
            assertEquals("Paused — you are using the computer", node.snapshot().line());

            // "Finish round, then pause" while at the keyboard: the owner starts a round, then asks to finish it.
            node.startNow();
            assertTrue(waitFor(() -> node.snapshot().state() == NodeState.TRAINING, Duration.ofMinutes(2)), node.snapshot().line());
            node.finishRoundThenPause();
            assertTrue(waitFor(() -> node.snapshot().line().endsWith("finishing this round, then pausing"), Duration.ofSeconds(10))
                    || node.snapshot().state() == NodeState.UPLOADING || node.snapshot().pausedByOwner(), node.snapshot().line());
            RoundRecord finished = rounds.poll(3, TimeUnit.MINUTES);
            assertTrue(finished != null && finished.accepted(), "the round in progress was finished and accepted: " + finished);
            assertTrue(waitFor(() -> node.snapshot().pausedByOwner(), Duration.ofSeconds(10)), node.snapshot().line());
            assertEquals(NodeState.PAUSED, node.snapshot().state());
        }
    }

    private static boolean waitFor(java.util.function.BooleanSupplier condition, Duration limit) throws InterruptedException {
        long end = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < end) {
            if (condition.getAsBoolean()) return true;
            Thread.sleep(50);
        }
        return condition.getAsBoolean();
    }
}

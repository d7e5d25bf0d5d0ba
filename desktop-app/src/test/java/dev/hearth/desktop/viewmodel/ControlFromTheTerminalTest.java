package dev.hearth.desktop.viewmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.node.AwayOwnerProbes;
import dev.hearth.node.NodeRuntime;
import dev.hearth.node.control.ControlClient;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// Issue 16 item 4: `hearth pause` from a terminal reaches the app's node, and the dashboard shows it at its
/// next sample (the real node, its control API, the real client the CLI uses).
class ControlFromTheTerminalTest {

    @Test
    void theDashboardReflectsAPauseAndASnoozeFromTheTerminal(@TempDir Path dir) throws Exception {
        try (NodeRuntime node = NodeRuntime.start(dir, Clock.systemUTC(), true, log -> new AwayOwnerProbes("test machine"))) {
            var vm = new DashboardViewModel(node, ZoneOffset.UTC);
            node.settledSnapshot();
            vm.sample();
            assertFalse(vm.pausedProperty().get());

            var answer = ControlClient.find(dir).orElseThrow().post("pause", null);
            vm.sample();

            assertEquals("Paused — you paused Hearth", answer.path("line").asText());
            assertTrue(vm.pausedProperty().get(), "the big button offers Resume");
            assertEquals("Paused — you paused Hearth", vm.stateLineProperty().get());

            ControlClient.find(dir).orElseThrow().post("snooze", Duration.ofMinutes(30));
            vm.sample();
            assertTrue(vm.pausedProperty().get());
            assertTrue(vm.detailLineProperty().get().contains("snoozed until"), vm.detailLineProperty().get());

            ControlClient.find(dir).orElseThrow().post("resume", null);
            vm.sample();
            assertFalse(vm.pausedProperty().get());
        }
    }
}

package dev.hearth.desktop.viewmodel;

import static org.junit.jupiter.api.Assertions.*;

import dev.hearth.desktop.fake.FakeNodeService;
import dev.hearth.node.api.NodeSnapshot;
import dev.hearth.node.api.NodeState;
import java.nio.file.Path;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DashboardViewModelTest {
    @TempDir Path dir;

    @Test
    void stateLineAddsTheReasonWhenTheHeadlineLacksIt() {
        var s = new NodeSnapshot(null, NodeState.PAUSED, "Paused", "you are using the computer", "", "", 0, 0, 0, Double.NaN, "", null, false);
        assertEquals("Paused — you are using the computer", DashboardViewModel.stateLine(s));
        var same = new NodeSnapshot(null, NodeState.PAUSED, "Paused — you are using the computer", "you are using the computer",
                "", "", 0, 0, 0, Double.NaN, "", null, false);
        assertEquals("Paused — you are using the computer", DashboardViewModel.stateLine(same));
    }

    @Test
    void pauseAndResumeChangeTheStateLineAndTheButton() {
        var node = new FakeNodeService(dir);
        node.startLocalRun();
        var vm = new DashboardViewModel(node, ZoneOffset.UTC);
        vm.sample();
        assertEquals("Training round 1", vm.stateLineProperty().get());
        assertFalse(vm.pausedProperty().get());

        vm.pause();
        assertTrue(vm.pausedProperty().get());
        assertEquals("Paused — you paused Hearth", vm.stateLineProperty().get());

        vm.resume();
        assertFalse(vm.pausedProperty().get());
        assertEquals("Training round 1", vm.stateLineProperty().get());
        assertEquals(java.util.List.of("startLocalRun", "pause", "resume"), node.calls());
    }

    @Test
    void snoozeAsksForOneHourAndShowsUntilWhen() {
        var node = new FakeNodeService(dir);
        node.startLocalRun();
        var vm = new DashboardViewModel(node, ZoneOffset.UTC);
        vm.snooze();
        assertTrue(node.calls().contains("snooze PT1H"));
        assertTrue(vm.detailLineProperty().get().contains("snoozed until 13:00"), vm.detailLineProperty().get());
    }

    @Test
    void finishRoundThenPauseIsShownUntilTheRoundEnds() {
        var node = new FakeNodeService(dir);
        node.startLocalRun();
        var vm = new DashboardViewModel(node, ZoneOffset.UTC);
        vm.finishRoundThenPause();
        assertTrue(vm.pauseAfterRoundProperty().get());
        assertTrue(vm.detailLineProperty().get().contains("will pause after this round"));
    }

    @Test
    void showsTrainingNumbers() {
        var node = new FakeNodeService(dir);
        node.startLocalRun();
        node.training(0.5, 5123.4, 2.71828);
        var vm = new DashboardViewModel(node, ZoneOffset.UTC);
        vm.sample();
        assertEquals("5123", vm.tokensPerSecondProperty().get());
        assertEquals("2.718", vm.localLossProperty().get());
        assertEquals("Round 1 · 50 %", vm.roundTextProperty().get());
        assertEquals(0.5, vm.roundProgressProperty().get());
    }

    @Test
    void keepsABoundedHardwareHistoryAndAddsOnlyNewSamples() {
        var node = new FakeNodeService(dir);
        var vm = new DashboardViewModel(node, ZoneOffset.UTC);
        for (int i = 0; i < DashboardViewModel.CHART_POINTS + 30; i++) {
            node.now(node.now().plusSeconds(1));
            node.hardware(true, 0.9, 0.4, 0.2);
            vm.sample();
            vm.sample(); // the same sample twice adds one point
        }
        assertEquals(DashboardViewModel.CHART_POINTS, vm.hardwareHistory().size());
        assertEquals(node.now(), vm.hardwareHistory().getLast().at());
        assertTrue(vm.gpuVisibleProperty().get());
        assertEquals(90, HardwareMetric.GPU_UTILIZATION.total(vm.hardwareHistory().getLast(), -1), 1e-9);
        assertEquals(20, HardwareMetric.CPU.hearth(vm.hardwareHistory().getLast(), -1), 1e-9);
    }

    @Test
    void saysSoWhenNoGpuIsVisible() {
        var node = new FakeNodeService(dir);
        node.hardware(false, 0, 0.3, 0.1);
        var vm = new DashboardViewModel(node, ZoneOffset.UTC);
        vm.sample();
        assertFalse(vm.gpuVisibleProperty().get());
        assertEquals("No GPU visible — Hearth trains on the CPU", vm.gpuNameProperty().get());
        assertTrue(Double.isNaN(HardwareMetric.VRAM.total(vm.latestHardwareProperty().get(), -1)));
    }

    @Test
    void anEmptySampleMeansNotMeasuredYetAndIsNotPlotted() {
        var node = new FakeNodeService(dir);
        node.hardware(dev.hearth.node.api.HardwareSample.empty(node.now()));
        var vm = new DashboardViewModel(node, ZoneOffset.UTC);
        vm.sample();
        assertTrue(vm.hardwareHistory().isEmpty());
        node.hardware(false, 0, 0.3, 0.1);
        vm.sample();
        assertEquals(1, vm.hardwareHistory().size());
    }

    @Test
    void aRoundThatWasSentDoesNotReadZeroPercent() {
        var waiting = new NodeSnapshot(null, NodeState.WAITING_FOR_ROUND, "Waiting for the round to open", "", "local", "local run",
                5, 0, 0, 3.0, "", null, false);
        var training = new NodeSnapshot(null, NodeState.TRAINING, "Training round 6", "", "local", "local run", 6, 0.4, 900, 3.0, "", null, false);
        assertEquals("Round 5", DashboardViewModel.roundText(waiting));
        assertEquals("Round 6 · 40 %", DashboardViewModel.roundText(training));
    }

    @Test
    void theRoundShowsHowLongItHasLeft() {
        var node = new FakeNodeService(dir);
        node.startLocalRun();
        var vm = new DashboardViewModel(node, ZoneOffset.UTC);
        node.training(0.0, 900, 3.0);
        vm.sample();
        node.now(node.now().plusSeconds(10));
        node.training(0.25, 900, 3.0); // a quarter in 10 s: 30 s to go
        vm.sample();
        assertEquals("Round 1 · 25 % · about 30 s left", vm.roundTextProperty().get());
    }

    @Test
    void aPauseFromTheCommandLineShowsAtOnce() {
        var node = new FakeNodeService(dir);
        node.startLocalRun();
        var vm = new DashboardViewModel(node, ZoneOffset.UTC);
        vm.sample();
        assertFalse(vm.pausedProperty().get());
        node.pause(); // `hearth pause` reaches the node, not this view model
        vm.sample();
        assertTrue(vm.pausedProperty().get(), "the big button offers Resume");
        node.resume();
        vm.sample();
        assertFalse(vm.pausedProperty().get());
    }

    @Test
    void aPauseByThePolicyOffersPauseNotResume() {
        var node = new FakeNodeService(dir);
        node.startLocalRun();
        var vm = new DashboardViewModel(node, ZoneOffset.UTC);
        node.snapshot(new NodeSnapshot(node.now(), NodeState.PAUSED, "Paused", "you are using the computer", "local", "local run",
                1, 0.2, 0, 3.0, "", null, false));
        vm.sample();
        assertEquals("Paused — you are using the computer", vm.stateLineProperty().get());
        assertFalse(vm.pausedProperty().get(), "Resume would change nothing; Pause keeps it off when you walk away");
    }

    @Test
    void whenTheSnoozeEndsThePolicyDecidesAgain() {
        var node = new FakeNodeService(dir);
        node.startLocalRun();
        var vm = new DashboardViewModel(node, ZoneOffset.UTC);
        vm.snooze();
        assertTrue(vm.pausedProperty().get());
        node.training(0.1, 5000, 3.0); // the node's own snooze ran out
        vm.sample();
        assertFalse(vm.pausedProperty().get());
    }

    @Test
    void afterFinishingTheRoundTheOwnersPauseOffersResume() {
        var node = new FakeNodeService(dir);
        node.startLocalRun();
        var vm = new DashboardViewModel(node, ZoneOffset.UTC);
        vm.finishRoundThenPause();
        assertFalse(vm.pausedProperty().get(), "still training this round");
        node.snapshot(new NodeSnapshot(node.now(), NodeState.PAUSED, "Paused", "round finished; paused as you asked", "local",
                "local run", 2, 0, 0, 3.0, "", null, false).withOwner(true, null));
        vm.sample();
        assertTrue(vm.pausedProperty().get());
        vm.resume();
        assertFalse(vm.pausedProperty().get());
    }
}

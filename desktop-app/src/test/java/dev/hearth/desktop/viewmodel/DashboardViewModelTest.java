package dev.hearth.desktop.viewmodel;

import static org.junit.jupiter.api.Assertions.*;

import dev.hearth.desktop.fake.FakeNodeService;
import dev.hearth.node.api.HardwareSample;
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
    void theDashboardSaysTheCpuLimitAndFollowsAChangeInSettings() throws Exception {
        var node = new FakeNodeService(dir);
        node.startLocalRun();
        var vm = new DashboardViewModel(node, ZoneOffset.UTC, 2);
        vm.sample();
        assertEquals("CPU limit: none (all 2 cores, all of their time)", vm.cpuLimitProperty().get());

        node.updateSettings(node.settings().toBuilder().cpuPercent(50).build());
        vm.sample();
        assertEquals("CPU limit: 50 % of 2 cores", vm.cpuLimitProperty().get());
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

    @Test
    void withACardTheGpuPanelShowsItsReadingsAndHearthsOwnTokensPerSecond() {
        var node = new FakeNodeService(dir);
        node.startLocalRun();
        node.training(0.5, 5123.4, 2.7);
        node.hardware(true, 0.9, 0.4, 0.2);
        var vm = new DashboardViewModel(node, ZoneOffset.UTC);
        vm.sample();
        assertEquals("NVIDIA GeForce RTX 3060", vm.gpuNameProperty().get());
        // 2.5 GiB of other programs + the trainer's 5 GiB; 50 + 20·0.9 °C; 40 + 120·0.9 W (the fake's readings)
        assertEquals("90 % busy · 7.5 GiB of 12 GiB VRAM in use · 68 °C · 148 W", vm.gpuReadingsProperty().get());
        assertEquals("Hearth trains on this GPU: 5123 tokens/s, holding 5.0 GiB of its VRAM", vm.gpuHearthProperty().get());
        HardwareSample h = vm.latestHardwareProperty().get();
        assertEquals(5.0, HardwareMetric.VRAM.hearth(h, vm.gpuIndex()), 1e-9);
        assertEquals(7.5, HardwareMetric.VRAM.total(h, vm.gpuIndex()), 1e-9);
        assertEquals(12.0, HardwareMetric.VRAM.upperBound(h, vm.gpuIndex()), 1e-9);
    }

    @Test
    void pausingShowsTheVramHearthHeldBeforeAndNoneAfter() {
        var node = new FakeNodeService(dir);
        node.startLocalRun();
        node.training(0.3, 5000, 2.9);
        node.hardware(true, 0.9, 0.4, 0.2, 5L << 30);
        var vm = new DashboardViewModel(node, ZoneOffset.UTC);
        vm.sample();
        assertTrue(vm.gpuHearthProperty().get().endsWith("holding 5.0 GiB of its VRAM"), vm.gpuHearthProperty().get());

        vm.pause();
        assertEquals("Pausing: Hearth's trainer still holds 5.0 GiB of VRAM while it saves and ends",
                vm.gpuHearthProperty().get(), "the last reading is from before the worker ended");
        node.now(node.now().plusSeconds(1));
        node.hardware(true, 0.02, 0.1, 0.01, 0); // the worker ended: NVML no longer lists it
        vm.sample();
        assertEquals("Paused: Hearth's trainer ended and gave back its VRAM — 5.0 GiB before the pause, 0 B now",
                vm.gpuHearthProperty().get());
        HardwareSample after = vm.hardwareHistory().getLast();
        assertEquals(0, HardwareMetric.VRAM.hearth(after, vm.gpuIndex()), "the chart's Hearth line drops to 0");
        assertEquals(2.5, HardwareMetric.VRAM.total(after, vm.gpuIndex()), 1e-9, "the card keeps the other programs' 2.5 GiB");

        vm.resume();
        node.now(node.now().plusSeconds(1));
        node.hardware(true, 0.9, 0.4, 0.2, 5L << 30);
        vm.sample();
        assertTrue(vm.gpuHearthProperty().get().startsWith("Hearth trains on this GPU"), vm.gpuHearthProperty().get());
    }

    @Test
    void withoutACardTheGpuCellSaysWhyInTheTrainersWords() {
        var node = new FakeNodeService(dir);
        node.withoutGpu();
        var vm = new DashboardViewModel(node, ZoneOffset.UTC);
        vm.sample();
        assertEquals(DashboardViewModel.NO_GPU_YET, vm.noGpuReasonProperty().get(), "before the trainer said where it trains");
        node.startLocalRun();
        vm.sample();
        assertFalse(vm.gpuVisibleProperty().get());
        assertEquals("No GPU visible: " + FakeNodeService.CPU_BACKEND + ".", vm.noGpuReasonProperty().get());
        assertEquals("", vm.gpuReadingsProperty().get());
        assertEquals("", vm.gpuHearthProperty().get());
    }

    @Test
    void aCardHearthDoesNotUseSaysWhereHearthTrainsInstead() {
        var node = new FakeNodeService(dir);
        String cpu = "the owner chose to train on the CPU (settings); training on the CPU (2 of 2 cores, matrix"
                + " multiplies on OpenBLAS 0.3.31)";
        node.snapshot(new NodeSnapshot(node.now(), NodeState.TRAINING, "Training round 1", "", "local", "local run", 1, 0.2,
                900, 3.0, cpu, null, false));
        node.hardware(true, 0.05, 0.4, 0.2, 0);
        var vm = new DashboardViewModel(node, ZoneOffset.UTC);
        vm.sample();
        assertEquals("Hearth does not train on this GPU: " + cpu, vm.gpuHearthProperty().get());
    }

    @Test
    void whereTheDriverDoesNotTellProcessMemoryTheBackendSentenceDecides() {
        var node = new FakeNodeService(dir);
        node.startLocalRun(); // the fake's GPU sentence: "training on NVIDIA GeForce RTX 3060 (compute capability 8.6) …"
        node.training(0.5, 4000, 3.0);
        node.hardware(true, 0.9, 0.4, 0.2, -1); // Windows: NVML gives no per-process memory
        var vm = new DashboardViewModel(node, ZoneOffset.UTC);
        vm.sample();
        assertEquals("Hearth trains on this GPU: 4000 tokens/s", vm.gpuHearthProperty().get());
        assertTrue(Double.isNaN(HardwareMetric.VRAM.hearth(vm.latestHardwareProperty().get(), vm.gpuIndex())));
    }

    @Test
    void theShownCardIsTheOneHearthsTrainerHoldsVramOn() {
        var game = new HardwareSample.GpuSample("NVIDIA GeForce RTX 4090", 0.99, 20L << 30, 24L << 30, 70, 400, 0);
        var ours = new HardwareSample.GpuSample("NVIDIA GeForce RTX 3060", 0.9, 7L << 30, 12L << 30, 60, 150, 5L << 30);
        var both = new HardwareSample(java.time.Instant.EPOCH, 0.5, 0.2, 8L << 30, 16L << 30, 1L << 30, java.util.List.of(game, ours));
        assertEquals(1, HardwareMetric.shownGpu(both, -1), "automatic: where the trainer is");
        assertEquals(1, HardwareMetric.shownGpu(both, 0), "measured beats the settings' index (CUDA and NVML may number cards differently)");
        var idle = new HardwareSample(java.time.Instant.EPOCH, 0.5, 0.2, 8L << 30, 16L << 30, 1L << 30,
                java.util.List.of(game, new HardwareSample.GpuSample("NVIDIA GeForce RTX 3060", 0, 1L << 30, 12L << 30, 40, 20, 0)));
        assertEquals(1, HardwareMetric.shownGpu(idle, 1), "paused: the picked card");
        assertEquals(0, HardwareMetric.shownGpu(idle, -1), "paused, automatic: the first");
        assertEquals(0, HardwareMetric.shownGpu(idle, -2), "CPU only: the first card's readings, still shown");
    }
}

package dev.hearth.desktop.viewmodel;

import static org.junit.jupiter.api.Assertions.*;

import dev.hearth.desktop.fake.FakeNodeService;
import dev.hearth.desktop.os.AppMarkers;
import dev.hearth.node.api.EnergySettings;
import dev.hearth.node.api.NodeSettings;
import dev.hearth.node.api.NodeSettings.Policy;
import java.nio.file.Path;
import java.time.LocalTime;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FirstStartViewModelTest {
    @TempDir Path dir;
    FakeNodeService node;
    AppMarkers markers;
    FirstStartViewModel vm;
    final AtomicBoolean done = new AtomicBoolean();

    @BeforeEach
    void setUp() {
        node = new FakeNodeService(dir);
        markers = new AppMarkers(dir);
        vm = new FirstStartViewModel(node, BackgroundTasks.sameThread(), markers);
    }

    @Test
    void theDefaultStartsTheLocalRunOnlyWhenIdle() {
        assertFalse(markers.firstStartDone());
        vm.start(() -> done.set(true));
        assertTrue(done.get());
        assertTrue(node.calls().contains("startLocalRun"));
        assertEquals("startNow", node.calls().getLast(), "the first round starts at once, after the settings are saved");
        assertEquals(Policy.WHEN_IDLE, node.settings().policy());
        assertEquals("local", node.settings().runAddress());
        assertTrue(markers.firstStartDone());
    }

    @Test
    void savingTheFirstStartKeepsTheOwnersCacheCapCpuLimitAndTariff() throws Exception {
        // set before the first start's save, e.g. by `hearth node --cpu-percent 50` or an earlier install
        var tariff = new EnergySettings(0.30, "EUR", LocalTime.of(23, 0), LocalTime.of(6, 0), true, "", 150, false);
        node.updateSettings(node.settings().toBuilder().dataCacheCapBytes(512L << 20).cpuCores(1).cpuPercent(50)
                .energy(tariff).build());

        vm.policyProperty().set(Policy.ALWAYS);
        vm.start(() -> done.set(true));

        assertTrue(done.get());
        NodeSettings saved = node.settings();
        assertEquals(Policy.ALWAYS, saved.policy(), "the choice on the screen is saved");
        assertEquals(512L << 20, saved.dataCacheCapBytes());
        assertEquals(1, saved.cpuCores());
        assertEquals(50, saved.cpuPercent());
        assertEquals(tariff, saved.energy());
    }

    @Test
    void theScreenSaysWhatRunsAndWhatLeaves() {
        assertTrue(FirstStartViewModel.WHAT_RUNS.contains("never programs"));
        assertTrue(FirstStartViewModel.WHAT_RUNS.contains("compressed updates"));
        assertTrue(FirstStartViewModel.WHAT_RUNS.contains("public key"));
        var asRoot = new FirstStartViewModel(node, BackgroundTasks.sameThread(), markers, "Hearth is running as root.");
        assertEquals("Hearth is running as root.", asRoot.elevatedWarning());
        assertEquals("", new FirstStartViewModel(node, BackgroundTasks.sameThread(), markers, "").elevatedWarning());
    }

    @Test
    void theScreenSaysBeforeTheClickWhenHearthStepsAside() {
        assertTrue(vm.afterStartProperty().get().contains("starts training at once"));
        assertTrue(vm.afterStartProperty().get().contains("pauses the moment you use the computer"));
        assertTrue(vm.afterStartProperty().get().contains("You can change this in Settings"));
        vm.policyProperty().set(Policy.ALWAYS);
        assertTrue(vm.afterStartProperty().get().contains("keeps training while you use the computer"));
    }

    @Test
    void aMalformedAddressIsRefusedBeforeAskingTheNode() {
        vm.joinByAddressProperty().set(true);
        vm.addressProperty().set("hearth://example.org" + RunAddressTest.FP);
        vm.start(() -> done.set(true));
        assertFalse(done.get());
        assertEquals("needs a host and a port, e.g. hearth://run.example.org:7443#sha256=…", vm.addressErrorProperty().get());
        assertTrue(node.calls().isEmpty());
        assertFalse(markers.firstStartDone());

        vm.addressProperty().set("hearth://example.org:7443" + RunAddressTest.FP);
        assertEquals("", vm.addressErrorProperty().get(), "the message goes as soon as the address is fixed");
    }

    @Test
    void joinsAWellFormedAddressAndKeepsIt() {
        vm.joinByAddressProperty().set(true);
        vm.addressProperty().set(" hearth://run.example.org:7443" + RunAddressTest.FP + " ");
        vm.policyProperty().set(Policy.SCHEDULE);
        vm.start(() -> done.set(true));
        assertTrue(done.get());
        assertTrue(node.calls().contains("joinRun hearth://run.example.org:7443" + RunAddressTest.FP));
        assertEquals("hearth://run.example.org:7443" + RunAddressTest.FP, node.settings().runAddress());
        assertEquals(Policy.SCHEDULE, node.settings().policy());
        assertEquals(java.util.List.of(FirstStartViewModel.DEFAULT_WINDOW), node.settings().schedule(), "a schedule with no windows would never run");
    }

    @Test
    void gpuCheckInPlainWords() {
        vm.checkGpu();
        assertEquals("NVIDIA GeForce RTX 3060 with 12 GiB of video memory, compute capability 8.6, driver 550.54. "
                + "✔ " + FakeNodeService.RTX_3060.verdict(), vm.gpuTextProperty().get());
        // Nothing was measured on a real card yet: the first start must not suggest a speed.
        assertTrue(vm.gpuTextProperty().get().endsWith("has not yet been measured on a real card."));
        node.gpuCheck(FakeNodeService.NO_GPU);
        vm.checkGpu();
        assertEquals("no NVIDIA GPU found. ✘ Hearth will train on the processor instead; it helps, just more slowly.",
                vm.gpuTextProperty().get());
    }

    @Test
    void theGpuLineSaysEachThingOnce() {
        var none = new dev.hearth.node.api.GpuCheck("no NVIDIA GPU found", 0, "", "", false,
                "No NVIDIA GPU found — Hearth will train on your CPU (slower, still useful).");
        assertEquals("✘ No NVIDIA GPU found — Hearth will train on your CPU (slower, still useful).",
                FirstStartViewModel.describe(none));
        var card = new dev.hearth.node.api.GpuCheck("NVIDIA GeForce RTX 3060", 12L << 30, "8.6", "550.54", true,
                "Your NVIDIA GeForce RTX 3060 is supported.");
        String text = FirstStartViewModel.describe(card);
        assertTrue(text.startsWith("NVIDIA GeForce RTX 3060 with "), text);
        assertTrue(text.contains("compute capability 8.6, driver 550.54. ✔ Your"), text);
    }
}

package dev.hearth.desktop.viewmodel;

import static org.junit.jupiter.api.Assertions.*;

import dev.hearth.desktop.fake.FakeNodeService;
import dev.hearth.desktop.os.Autostart;
import dev.hearth.node.api.InvalidSettingException;
import dev.hearth.node.api.NodeSettings;
import dev.hearth.node.api.NodeSettings.Policy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DayOfWeek;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsViewModelTest {
    @TempDir Path dir;
    FakeNodeService node;
    SettingsViewModel vm;

    @BeforeEach
    void setUp() {
        node = new FakeNodeService(dir);
        vm = new SettingsViewModel(node, BackgroundTasks.sameThread(), new Autostart(dir.resolve("autostart"), List.of("/opt/hearth/bin/Hearth")));
    }

    @Test
    void refusesIdleMinutesOutOfRangeWithTheValidatorsMessage() {
        vm.setIdleMinutes("0");
        assertEquals("must be between 1 and 240 minutes", vm.errors().get("idleMinutes"));
        assertEquals(3, node.settings().idleMinutes());
        assertFalse(node.calls().contains("updateSettings"));

        vm.setIdleMinutes("10");
        assertNull(vm.errors().get("idleMinutes"));
        assertEquals(10, node.settings().idleMinutes());
        assertEquals("Saved — in effect now", vm.statusProperty().get());
    }

    @Test
    void refusesTextThatIsNotANumber() {
        vm.setTemperatureCap("hot");
        assertEquals("\"hot\" is not a whole number", vm.errors().get("gpuTemperatureCapC"));
        vm.setPowerCap("");
        assertEquals("enter a number", vm.errors().get("gpuPowerCapWatts"));
    }

    @Test
    void refusesCapsBelowTheMinimumAndAcceptsZeroAsNoCap() {
        vm.setUploadCapKiB("8");
        assertEquals("must be 0 (no cap) or at least 16 KiB/s", vm.errors().get("uploadCapBytesPerSec"));
        vm.setUploadCapKiB("0");
        assertNull(vm.errors().get("uploadCapBytesPerSec"));
        vm.setDownloadCapKiB("64");
        assertEquals(64 * 1024, node.settings().downloadCapBytesPerSec());
        vm.setDailyCapMiB("500");
        assertEquals(500L << 20, node.settings().dailyVolumeCapBytes());
        vm.setPowerCap("10");
        assertEquals("must be 0 (no cap) or between 30 and 1000 W", vm.errors().get("gpuPowerCapWatts"));
    }

    @Test
    void theTwoPolicySwitchesMapToThePolicy() {
        vm.setOnlyWhenIdle(false);
        assertEquals(Policy.ALWAYS, node.settings().policy());
        vm.setOnlyWhenIdle(true);
        assertEquals(Policy.WHEN_IDLE, node.settings().policy());
        vm.setUseSchedule(true);
        assertEquals(Policy.SCHEDULE, node.settings().policy());
        vm.setUseSchedule(false);
        assertEquals(Policy.WHEN_IDLE, node.settings().policy());
    }

    @Test
    void withoutAGpuTheGpuSettingsSayWhyTheyAreOff() {
        assertEquals("", vm.gpuSettingsNoteProperty().get(), "not measured yet: no claim");
        node.withoutGpu();
        vm.reload();
        assertEquals(SettingsViewModel.NO_GPU_NOTE, vm.gpuSettingsNoteProperty().get());
        node.hardware(true, 0.5, 0.3, 0.2);
        vm.reload();
        assertEquals("", vm.gpuSettingsNoteProperty().get());
    }

    @Test
    void switchingTheScheduleOffRestoresAlways() {
        vm.setOnlyWhenIdle(false);
        vm.setUseSchedule(true);
        assertEquals(Policy.SCHEDULE, node.settings().policy());
        vm.setUseSchedule(false);
        assertEquals(Policy.ALWAYS, node.settings().policy(), "the schedule switch must not quietly turn on 'only when idle'");
    }

    @Test
    void hugeNumbersAreTooLargeNotNotANumberAndNeverOverflow() {
        vm.setIdleMinutes("99999999999999999999");
        assertEquals("that number is too large", vm.errors().get("idleMinutes"));
        vm.setUploadCapKiB("9000000000000000000"); // × 1024 overflows a long: it used to wrap to "at least 16 KiB/s"
        assertEquals("that number is too large", vm.errors().get("uploadCapBytesPerSec"));
        vm.setDownloadCapKiB("999999999999"); // ~931 PiB/s: no link is that fast, so it is a typo
        assertEquals("must be at most 16 GiB/s (16777216 KiB/s); 0 means no cap", vm.errors().get("downloadCapBytesPerSec"));
        vm.setDailyCapMiB("2000000000"); // ~1.9 PiB a day
        assertEquals("must be at most 1 PiB (1073741824 MiB) a day; 0 means no cap", vm.errors().get("dailyVolumeCapBytes"));
        assertEquals(0, node.settings().uploadCapBytesPerSec());
        assertEquals(0, node.settings().downloadCapBytesPerSec());
        assertFalse(node.calls().contains("updateSettings"));
    }

    @Test
    void savedIsSaidOnlyWhenNothingIsRed() {
        vm.setIdleMinutes("0");
        assertEquals("Not saved: idle minutes (marked in red)", vm.statusProperty().get());
        vm.setUploadCapKiB("64");
        assertEquals(64 * 1024, node.settings().uploadCapBytesPerSec());
        assertEquals("Saved, except idle minutes (marked in red: fix it to save)", vm.statusProperty().get());
        assertEquals(3, node.settings().idleMinutes(), "the red field is not saved");
        vm.setIdleMinutes("5");
        assertEquals("Saved — in effect now", vm.statusProperty().get());
        assertTrue(vm.errors().isEmpty());
    }

    @Test
    void scheduleWindowsAreCheckedAndAdded() {
        assertFalse(vm.addScheduleWindow(EnumSet.of(DayOfWeek.MONDAY), "25:00", "07:00"));
        assertEquals("enter times as HH:MM, e.g. 22:00", vm.errors().get("schedule"));
        assertFalse(vm.addScheduleWindow(EnumSet.noneOf(DayOfWeek.class), "22:00", "07:00"));
        assertEquals("a window needs at least one day", vm.errors().get("schedule"));
        assertTrue(vm.addScheduleWindow(EnumSet.of(DayOfWeek.SATURDAY, DayOfWeek.SUNDAY), "22:00", "07:00"));
        assertEquals(1, node.settings().schedule().size());
        assertEquals("Sat, Sun 22:00–07:00 (next day)", SettingsViewModel.describe(node.settings().schedule().getFirst()));
        vm.removeScheduleWindow(0);
        assertTrue(node.settings().schedule().isEmpty());
    }

    @Test
    void aMalformedRunAddressIsRefusedInTheField() {
        vm.setRunAddress("http://example.org");
        assertEquals("must start with hearth:// (or \"local\" for the local run)", vm.errors().get("runAddress"));
        vm.setRunAddress("hearth://run.example.org:7443" + RunAddressTest.FP);
        assertNull(vm.errors().get("runAddress"));
        assertFalse(node.calls().stream().anyMatch(c -> c.startsWith("joinRun")), "asks first");
        assertEquals("Leave the local run and join the run at run.example.org:7443? Hearth keeps contributing to the"
                + " current run until the new one answers.", vm.runSwitchQuestionProperty().get());
        vm.confirmRunSwitch();
        assertTrue(node.calls().contains("joinRun hearth://run.example.org:7443" + RunAddressTest.FP));
        assertEquals("hearth://run.example.org:7443" + RunAddressTest.FP, node.settings().runAddress());
        assertEquals(node.settings().runAddress(), vm.appliedProperty().get().runAddress());
        assertEquals("Switched to the run at run.example.org:7443", vm.statusProperty().get());
        assertEquals("", vm.runSwitchQuestionProperty().get());
        vm.setRunAddress("local");
        vm.confirmRunSwitch();
        assertEquals("startLocalRun", node.calls().getLast());
        assertEquals("local", vm.appliedProperty().get().runAddress());
    }

    @Test
    void keepingTheCurrentRunWithdrawsTheQuestionAndJoinsNothing() {
        vm.setRunAddress("hearth://run.example.org:7443" + RunAddressTest.FP);
        vm.cancelRunSwitch();
        assertEquals("", vm.runSwitchQuestionProperty().get());
        vm.confirmRunSwitch(); // nothing waits for a yes any more
        assertFalse(node.calls().stream().anyMatch(c -> c.startsWith("joinRun")));
        assertEquals("local", node.settings().runAddress());
    }

    @Test
    void theCpuLimitIsSavedWithTheValidatorsMessagesAndTheMachinesCores() {
        vm = new SettingsViewModel(node, BackgroundTasks.sameThread(),
                new Autostart(dir.resolve("autostart"), List.of("/opt/hearth/bin/Hearth")), 2);
        vm.setCpuCores("3");
        assertEquals("this computer has 2 cores; enter 1 to 2, or 0 for all", vm.errors().get("cpuCores"));
        assertEquals("Not saved: CPU cores (marked in red)", vm.statusProperty().get());
        vm.setCpuCores("1");
        assertNull(vm.errors().get("cpuCores"));
        vm.setCpuPercent("0");
        assertEquals("must be between 1 and 100 % of CPU time", vm.errors().get("cpuPercent"));
        vm.setCpuPercent("50 %");
        assertNull(vm.errors().get("cpuPercent"));
        assertEquals(1, node.settings().cpuCores());
        assertEquals(50, node.settings().cpuPercent());
        assertEquals("Saved — in effect now", vm.statusProperty().get());
        vm.setCpuCores("0");
        assertEquals(0, node.settings().cpuCores(), "0 is every core");
    }

    @Test
    void aRefusalFromTheNodeLandsBesideItsField() {
        node.refuseNextUpdate(new InvalidSettingException("gpuIndex", "there is no GPU 3"));
        vm.setRunOnBattery(true);
        assertEquals("there is no GPU 3", vm.errors().get("gpuIndex"));
        assertEquals("Not saved: gpuIndex: there is no GPU 3", vm.statusProperty().get());
        assertEquals(NodeSettings.defaults(), vm.appliedProperty().get(), "the view goes back to what the node has");
    }

    @Test
    void startWithOsWritesAndRemovesTheAutostartEntry() {
        vm.setStartWithOs(true);
        Path entry = dir.resolve("autostart").resolve(Autostart.FILE_NAME);
        assertTrue(Files.exists(entry));
        assertTrue(node.settings().startWithOs());
        assertTrue(vm.autostartNoteProperty().get().startsWith("Hearth will start when you log in"));
        vm.setStartWithOs(false);
        assertFalse(Files.exists(entry));
    }

    @Test
    void gpuChoiceMapsToTheIndex() {
        node.hardware(true, 0.1, 0.1, 0.0);
        vm.reload();
        assertEquals(List.of("Automatic", SettingsViewModel.CPU_ONLY, "0: NVIDIA GeForce RTX 3060"), vm.gpuChoices());
        vm.setGpu("0: NVIDIA GeForce RTX 3060");
        assertEquals(0, node.settings().gpuIndex());
        assertEquals("0: NVIDIA GeForce RTX 3060", vm.gpuChoice());
        vm.setGpu("Automatic");
        assertEquals(-1, node.settings().gpuIndex());
    }

    @Test
    void cpuOnlyIsAChoiceOfItsOwnAndReadsBackAsCpuOnly() {
        node.hardware(true, 0.1, 0.1, 0.0);
        vm.reload();
        vm.setGpu(SettingsViewModel.CPU_ONLY);
        assertEquals(NodeSettings.GPU_INDEX_CPU, node.settings().gpuIndex());
        assertEquals("cpu", node.settings().device(), "the worker is started with --device cpu");
        vm.reload(); // as on the next visit to the screen: -2 is shown as what it is, not as "Automatic"
        assertEquals(SettingsViewModel.CPU_ONLY, vm.gpuChoice());
        assertTrue(vm.gpuChoices().contains(vm.gpuChoice()), "the combo box can show the choice");
        vm.setGpu(SettingsViewModel.AUTOMATIC_GPU);
        assertEquals(NodeSettings.GPU_INDEX_AUTOMATIC, node.settings().gpuIndex());
    }

    @Test
    void aPickedCardThatIsGoneStaysListed() {
        node.hardware(true, 0.1, 0.1, 0.0);
        vm.reload();
        vm.setGpu("0: NVIDIA GeForce RTX 3060");
        node.hardware(false, 0, 0.1, 0.0); // the card went away (driver update, eGPU unplugged)
        vm.reload();
        assertEquals(List.of("Automatic", SettingsViewModel.CPU_ONLY, "0: (not visible now)"), vm.gpuChoices());
        assertEquals("0: (not visible now)", vm.gpuChoice());
    }

    @Test
    void logLevelIsApplied() {
        vm.setLogLevel("DEBUG");
        assertEquals("DEBUG", node.settings().logLevel());
    }
}

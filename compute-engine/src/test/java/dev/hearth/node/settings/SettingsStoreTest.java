package dev.hearth.node.settings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.node.api.EnergySettings;
import dev.hearth.node.api.InvalidSettingException;
import dev.hearth.node.api.LogEntry;
import dev.hearth.node.api.NodeSettings;
import dev.hearth.node.api.NodeSettings.Policy;
import dev.hearth.node.api.NodeSettings.ScheduleWindow;
import dev.hearth.node.log.EventLog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsStoreTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-25T18:30:05Z"), ZoneOffset.UTC);

    @TempDir Path dir;
    private EventLog log;
    private SettingsStore store;

    @BeforeEach
    void setUp() {
        log = new EventLog(CLOCK);
        store = new SettingsStore(dir, log, CLOCK);
    }

    private static NodeSettings custom() {
        return new NodeSettings(Policy.SCHEDULE, 10,
                List.of(new ScheduleWindow(List.of(DayOfWeek.MONDAY, DayOfWeek.FRIDAY), LocalTime.of(22, 0), LocalTime.of(7, 0))),
                true, 80, 250, 1 << 20, 2 << 20, 5L << 30, 1, true, "DEBUG", "hearth://example.org:7443#sha256=ab",
                256L << 20, 1, 50, new EnergySettings(0.30, "EUR", LocalTime.of(23, 0), LocalTime.of(6, 0), true, "", 150, false));
    }

    @Test
    void missingFileGivesDefaultsAndWritesThem() {
        var result = store.load();
        assertEquals(NodeSettings.defaults(), result.settings());
        assertFalse(result.recovered());
        assertTrue(Files.exists(store.file()));
    }

    @Test
    void savedSettingsRoundTrip() throws Exception {
        store.save(custom());
        var result = store.load();
        assertEquals(custom(), result.settings());
        assertEquals("", result.problem());
    }

    @Test
    void theCpuOnlyDeviceChoiceIsSavedAndReachesTheWorkerAsCpu() throws Exception {
        var d = NodeSettings.defaults();
        var cpu = d.toBuilder().gpuIndex(NodeSettings.gpuIndexOf("cpu")).build();
        store.save(cpu);
        assertEquals("cpu", store.load().settings().device());
        assertEquals("auto", NodeSettings.defaults().device());
        assertEquals(1, NodeSettings.gpuIndexOf("1"));
        assertEquals("1", d.toBuilder().gpuIndex(1).build().device());
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> NodeSettings.gpuIndexOf("gpu0"));
        assertEquals("device 'gpu0': expected auto, cpu or a GPU index (0, 1, ...)", e.getMessage());
        var tooLow = d.toBuilder().gpuIndex(-3).build();
        org.junit.jupiter.api.Assertions.assertThrows(dev.hearth.node.api.InvalidSettingException.class,
                tooLow::validate);
    }

    @Test
    void theCpuLimitIsSavedAndSurvivesAChangeOfRunAddressOrPolicy() throws Exception {
        var limited = cpuLimit(NodeSettings.defaults(), 1, 50);
        store.save(limited.toBuilder().runAddress("hearth://example.org:7443#sha256=ab").policy(Policy.ALWAYS).build());
        var loaded = store.load().settings();
        assertEquals(1, loaded.cpuCores());
        assertEquals(50, loaded.cpuPercent());
        assertEquals(1, loaded.cpuThreads(8));
        assertEquals(8, NodeSettings.defaults().cpuThreads(8), "by default every core");
        assertEquals(2, cpuLimit(NodeSettings.defaults(), 16, 100).cpuThreads(2), "never more than the machine has");
        assertEquals(100, NodeSettings.defaults().cpuPercent());
    }

    private static NodeSettings cpuLimit(NodeSettings s, int cores, int percent) {
        return s.toBuilder().cpuCores(cores).cpuPercent(percent).build();
    }

    @Test
    void aCpuLimitOutOfRangeIsRefusedNamingTheField() {
        var d = NodeSettings.defaults();
        var percent = assertThrows(InvalidSettingException.class, () -> cpuLimit(d, 0, 0).validate());
        assertEquals("cpuPercent", percent.field());
        assertEquals("must be between 1 and 100 % of CPU time", percent.problem());
        assertThrows(InvalidSettingException.class, () -> cpuLimit(d, 0, 101).validate());
        var cores = assertThrows(InvalidSettingException.class, () -> cpuLimit(d, -1, 50).validate());
        assertEquals("cpuCores", cores.field());
        assertEquals("must be 0 (every core) or between 1 and 1024 cores", cores.problem());
        assertThrows(InvalidSettingException.class, () -> cpuLimit(d, 1025, 50).validate());
    }

    @Test
    void saveRejectsInvalidSettingsAndKeepsTheOldFile() throws Exception {
        store.save(custom());
        var bad = NodeSettings.defaults().toBuilder().idleMinutes(0).build();
        var e = assertThrows(InvalidSettingException.class, () -> store.save(bad));
        assertEquals("idleMinutes", e.field());
        assertEquals(custom(), store.load().settings());
    }

    @Test
    void brokenJsonIsReportedMovedAsideAndReplacedByDefaults() throws Exception {
        Files.writeString(store.file(), "{ \"policy\": \"ALWAYS\", ");
        var result = store.load();
        assertEquals(NodeSettings.defaults(), result.settings());
        assertTrue(result.problem().contains("not valid JSON"), result.problem());
        assertEquals(dir.resolve("settings.json.corrupt-20261125T183005Z"), result.movedAside());
        assertEquals("{ \"policy\": \"ALWAYS\", ", Files.readString(result.movedAside()));
        assertEquals(NodeSettings.defaults(), store.load().settings(), "defaults were written back");
        LogEntry warn = log.recent(LogEntry.Level.WARN).getFirst();
        assertTrue(warn.message().contains(store.file().toString()) && warn.message().contains("not valid JSON"), warn.message());
    }

    @Test
    void wrongTypeNamesTheField() throws Exception {
        Files.writeString(store.file(), "{\"idleMinutes\": \"five\"}");
        var result = store.load();
        assertTrue(result.problem().contains("idleMinutes should be a whole number"), result.problem());
        assertNotNull(result.movedAside());
    }

    @Test
    void valueFailingValidationIsReportedByField() throws Exception {
        Files.writeString(store.file(), "{\"gpuTemperatureCapC\": 140}");
        var result = store.load();
        assertEquals(NodeSettings.defaults(), result.settings());
        assertTrue(result.problem().contains("gpuTemperatureCapC"), result.problem());
    }

    @Test
    void badScheduleTimeIsReportedWithItsPosition() throws Exception {
        Files.writeString(store.file(), "{\"schedule\": [{\"days\": [\"MONDAY\"], \"start\": \"25:00\", \"end\": \"07:00\"}]}");
        assertTrue(store.load().problem().contains("schedule[0].start"));
    }

    @Test
    void emptyFileAndNonObjectAreCorrupt() throws Exception {
        Files.writeString(store.file(), "");
        assertTrue(store.load().recovered());
        Files.writeString(store.file(), "[1, 2]");
        var second = store.load();
        assertTrue(second.problem().contains("not an object"));
        assertEquals("settings.json.corrupt-20261125T183005Z-2", second.movedAside().getFileName().toString(),
                "a second bad file in the same second does not overwrite the first");
    }

    @Test
    void binaryGarbageIsReportedAsNotText() throws Exception {
        Files.write(store.file(), new byte[] {(byte) 0xC3, (byte) 0x28, 0, (byte) 0xFF, 0x7B});
        var result = store.load();
        assertEquals("it is not UTF-8 text (a binary or damaged file)", result.problem());
        assertEquals(NodeSettings.defaults(), result.settings());
    }

    @Test
    void missingFieldsTakeDefaultsAndUnknownFieldsAreIgnored() throws Exception {
        Files.writeString(store.file(), "{\"policy\": \"ALWAYS\", \"aFieldFromTheFuture\": 3}");
        var result = store.load();
        assertFalse(result.recovered());
        assertEquals(Policy.ALWAYS, result.settings().policy());
        assertEquals(NodeSettings.defaults().idleMinutes(), result.settings().idleMinutes());
    }

    @Test
    void newerFormatIsNotGuessedAt() throws Exception {
        Files.writeString(store.file(), "{\"format\": 99}");
        assertTrue(store.load().problem().contains("newer"));
    }

    @Test
    void fileIsOwnerOnlyAndNoTempFileRemains() throws Exception {
        store.save(custom());
        assertFalse(Files.exists(dir.resolve("settings.json.tmp")));
        if (Files.getFileStore(dir).supportsFileAttributeView("posix")) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(store.file())));
        }
    }

    @Test
    void dataDirFollowsEachPlatformsConvention() {
        assertEquals(Path.of("/x/data/hearth"), DataDirs.userDataDir("Linux", Map.of("XDG_DATA_HOME", "/x/data"), "/home/a"));
        assertEquals(Path.of("/home/a/.local/share/hearth"), DataDirs.userDataDir("Linux", Map.of(), "/home/a"));
        assertEquals(Path.of("/home/a/.local/share/hearth"), DataDirs.userDataDir("Linux", Map.of("XDG_DATA_HOME", "rel"), "/home/a"));
        assertEquals(Path.of("C:\\Users\\a\\AppData\\Roaming", "Hearth"),
                DataDirs.userDataDir("Windows 11", Map.of("APPDATA", "C:\\Users\\a\\AppData\\Roaming"), "C:\\Users\\a"));
        assertEquals(Path.of("/Users/a/Library/Application Support/Hearth"), DataDirs.userDataDir("Mac OS X", Map.of(), "/Users/a"));
    }

    @Test
    void ensureCreatesOwnerOnlyDir() throws Exception {
        Path d = DataDirs.ensure(dir.resolve("a/b"));
        assertTrue(Files.isDirectory(d));
        if (Files.getFileStore(dir).supportsFileAttributeView("posix")) {
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(d)));
        }
    }

    @Test
    void ensureNamesTheFolderWhenItIsAFile() throws Exception {
        Path f = Files.writeString(dir.resolve("file"), "x");
        var e = assertThrows(DataDirs.DataDirException.class, () -> DataDirs.ensure(f));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("not a folder"), e.getMessage());
    }

    @Test
    void ensureReportsAReadOnlyFolder() throws Exception {
        // root writes through any permission bits, so the check can only be seen as a normal user
        Assumptions.assumeTrue(Files.getFileStore(dir).supportsFileAttributeView("posix")
                && !"root".equals(System.getProperty("user.name")), "needs POSIX and a non-root user");
        Path ro = Files.createDirectory(dir.resolve("ro"));
        Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("r-x------"));
        var e = assertThrows(DataDirs.DataDirException.class, () -> DataDirs.ensure(ro));
        assertTrue(e.getMessage().contains("cannot write"), e.getMessage());
    }

    @Test
    void ensureReportsAFolderThatCannotBeCreatedEvenByRoot() {
        Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self")), "needs Linux /proc");
        var e = assertThrows(DataDirs.DataDirException.class, () -> DataDirs.ensure(Path.of("/proc/self/hearth")));
        assertTrue(e.getMessage().contains("/proc/self/hearth") && e.getMessage().contains("--data-dir"), e.getMessage());
    }
}

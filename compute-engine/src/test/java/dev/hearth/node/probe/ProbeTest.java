package dev.hearth.node.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.node.hardware.HearthProcesses;
import dev.hearth.node.hardware.Nvml.GpuProcess;
import dev.hearth.node.policy.Reading;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import oshi.hardware.PowerSource;
import org.junit.jupiter.api.Test;

class ProbeTest {
    private static final Instant NOW = Instant.parse("2026-11-25T12:00:00Z");

    @Test
    void logindIdleHintYesMeansIdleSinceTheHint() {
        long since = NOW.minusSeconds(400).toEpochMilli() * 1000;
        assertEquals(Reading.of(Duration.ofSeconds(400)), LogindIdleProbe.parse("IdleHint=yes\nIdleSinceHint=" + since + "\n", NOW));
        assertEquals(Reading.of(Duration.ZERO), LogindIdleProbe.parse("IdleHint=no\nIdleSinceHint=0\n", NOW));
        assertFalse(LogindIdleProbe.parse("", NOW).isAvailable());
    }

    @Test
    void logindNeedsASession() {
        var r = new LogindIdleProbe(null, c -> Reading.of(""), Clock.fixed(NOW, ZoneOffset.UTC)).ownerIdle();
        assertEquals("unavailable: no logind session ($XDG_SESSION_ID is not set)", r.describe());
    }

    @Test
    void logindAsksLoginctlForItsSession() {
        List<List<String>> calls = new ArrayList<>();
        CommandRunner fake = c -> {
            calls.add(c);
            return Reading.of("IdleHint=no\nIdleSinceHint=0\n");
        };
        assertEquals(Reading.of(Duration.ZERO), new LogindIdleProbe("c2", fake, Clock.fixed(NOW, ZoneOffset.UTC)).ownerIdle());
        assertEquals(List.of("loginctl", "show-session", "c2", "-p", "IdleHint", "-p", "IdleSinceHint"), calls.getFirst());
    }

    @Test
    void gnomeIdleMonitorAnswerIsParsed() {
        assertEquals(Reading.of(Duration.ofMillis(123456)), GnomeIdleProbe.parse("(uint64 123456,)\n"));
        assertFalse(GnomeIdleProbe.parse("Error: GDBus.Error:org.freedesktop.DBus.Error.ServiceUnknown").isAvailable());
    }

    @Test
    void macIoregHidIdleTimeIsNanoseconds() {
        String out = "+-o IOHIDSystem  <class IOHIDSystem>\n    {\n      \"HIDIdleTime\" = 5123000000\n    }\n";
        assertEquals(Reading.of(Duration.ofNanos(5_123_000_000L)), MacIdleProbe.parseIoreg(out));
    }

    @Test
    void windowsTickDifferenceSurvivesTheWrap() {
        assertEquals(1500, WindowsIdleProbe.idleMillis(2000, 500));
        assertEquals(20, WindowsIdleProbe.idleMillis(10, -10)); // 0xFFFFFFF6 → 10 after the wrap
    }

    @Test
    void windowsShellStatesThatMeanFullScreen() {
        assertTrue(WindowsFullscreenProbe.isFullscreen(WindowsFullscreenProbe.QUNS_RUNNING_D3D_FULL_SCREEN));
        assertTrue(WindowsFullscreenProbe.isFullscreen(WindowsFullscreenProbe.QUNS_BUSY));
        assertFalse(WindowsFullscreenProbe.isFullscreen(5), "QUNS_ACCEPTS_NOTIFICATIONS: a normal desktop");
        assertFalse(WindowsFullscreenProbe.isFullscreen(6), "QUNS_QUIET_TIME after a fresh install is not a film");
        if (!com.sun.jna.Platform.isWindows()) assertEquals("unavailable: not Windows", new WindowsFullscreenProbe().fullscreenApp().describe());
    }

    @Test
    void wmClassInstanceNamesTheApp() {
        assertEquals("vlc", X11.wmClassName("vlc\0Vlc\0".getBytes(StandardCharsets.ISO_8859_1)));
        assertEquals("a full-screen window", X11.wmClassName(new byte[0]));
    }

    @Test
    void probesSayWhyOnMachinesWithoutTheThing() {
        assertEquals("unavailable: no X display ($DISPLAY is not set)", new X11(null).ownerIdle().describe());
        assertEquals("unavailable: no X display ($DISPLAY is not set)", new X11("").fullscreenApp().describe());
        if (!com.sun.jna.Platform.isWindows()) assertEquals("unavailable: not Windows", new WindowsIdleProbe().ownerIdle().describe());
        if (!com.sun.jna.Platform.isMac()) assertEquals("unavailable: not macOS", new MacIdleProbe(c -> Reading.of("")).ownerIdle().describe());
    }

    private record FakeProbe(String name, List<Reading<Duration>> answers, int[] calls) implements IdleProbe {
        FakeProbe(String name, List<Reading<Duration>> answers) {
            this(name, answers, new int[1]);
        }

        @Override
        public Reading<Duration> ownerIdle() {
            return answers.get(Math.min(calls[0]++, answers.size() - 1));
        }
    }

    @Test
    void chooserSticksWithTheFirstProbeThatWorks() {
        FakeProbe broken = new FakeProbe("X11", List.of(Reading.unavailable("no X display")));
        FakeProbe works = new FakeProbe("logind", List.of(Reading.of(Duration.ofSeconds(5))));
        IdleProbes chooser = new IdleProbes(List.of(broken, works), Clock.fixed(NOW, ZoneOffset.UTC));
        assertEquals(Reading.of(Duration.ofSeconds(5)), chooser.ownerIdle());
        assertEquals(Reading.of(Duration.ofSeconds(5)), chooser.ownerIdle());
        assertSame(works, chooser.current());
        assertEquals(1, broken.calls()[0], "the broken probe is not asked again while the other works");
    }

    @Test
    void chooserExplainsEveryFailureAndRescansOnlyOccasionally() {
        FakeProbe a = new FakeProbe("X11", List.of(Reading.unavailable("no X display")));
        FakeProbe b = new FakeProbe("logind", List.of(Reading.unavailable("no session")));
        MutableClock clock = new MutableClock(NOW);
        IdleProbes chooser = new IdleProbes(List.of(a, b), clock);
        assertEquals("unavailable: X11: no X display; logind: no session", chooser.ownerIdle().describe());
        chooser.ownerIdle();
        assertEquals(1, a.calls()[0]);
        clock.now = NOW.plus(IdleProbes.RESCAN_AFTER);
        chooser.ownerIdle();
        assertEquals(2, a.calls()[0]);
    }

    @Test
    void chooserMovesOnWhenItsProbeStopsWorking() {
        FakeProbe first = new FakeProbe("GNOME", List.of(Reading.of(Duration.ofSeconds(1)), Reading.unavailable("gone")));
        FakeProbe second = new FakeProbe("logind", List.of(Reading.of(Duration.ofSeconds(2))));
        IdleProbes chooser = new IdleProbes(List.of(first, second), Clock.fixed(NOW, ZoneOffset.UTC));
        chooser.ownerIdle();
        assertEquals(Reading.of(Duration.ofSeconds(2)), chooser.ownerIdle());
        assertSame(second, chooser.current());
    }

    @Test
    void waylandSessionsTryTheCompositorBeforeX11() {
        Clock c = Clock.fixed(NOW, ZoneOffset.UTC);
        var wayland = IdleProbes.candidatesFor("unix", Map.of("XDG_SESSION_TYPE", "wayland", "DISPLAY", ":0"), x -> Reading.of(""), c);
        assertEquals(List.of("GNOME", "logind", "X11"), wayland.stream().map(IdleProbe::name).toList());
        var x11 = IdleProbes.candidatesFor("unix", Map.of("DISPLAY", ":0"), x -> Reading.of(""), c);
        assertEquals(List.of("X11", "GNOME", "logind"), x11.stream().map(IdleProbe::name).toList());
        assertEquals(List.of("Windows"), IdleProbes.candidatesFor("windows", Map.of(), x -> Reading.of(""), c).stream().map(IdleProbe::name).toList());
    }

    @Test
    void gpuProbeCountsComputeAndBigGraphicsButNotOursOrTheDesktop() {
        long self = ProcessHandle.current().pid();
        List<GpuProcess> seen = List.of(
                new GpuProcess(self, 900L << 20, false),          // our own worker
                new GpuProcess(999_001, 100L << 20, false),      // someone's CUDA job: counts
                new GpuProcess(999_002, 40L << 20, true),        // a browser's small context: ignored
                new GpuProcess(999_003, 3L << 30, true),         // a game's 3 GB: counts
                new GpuProcess(999_004, -1, true));              // unknown memory (WDDM): ignored
        GpuProcessProbe probe = new GpuProcessProbe(() -> () -> seen, new HearthProcesses());
        List<String> names = probe.foreignProcesses().orElse(List.of("failed"));
        assertEquals(List.of("process 999001", "process 999003"), names);
    }

    @Test
    void gpuProbeWithoutDriverSaysSo() {
        GpuProcessProbe probe = new GpuProcessProbe(() -> null, new HearthProcesses());
        assertInstanceOf(Reading.Unavailable.class, probe.foreignProcesses());
    }

    @Test
    void theDesktopIsNeverAGameEvenWithALargeContext() {
        assertFalse(GpuProcessProbe.isForeign(new GpuProcess(1, 2L << 30, true), "Xorg"));
        assertFalse(GpuProcessProbe.isForeign(new GpuProcess(1, 2L << 30, true), "dwm.exe"));
        assertTrue(GpuProcessProbe.isForeign(new GpuProcess(1, 2L << 30, true), "steam_app.exe"));
        assertTrue(GpuProcessProbe.isForeign(new GpuProcess(1, 10L << 20, false), "Xorg"), "compute always competes");
    }

    private static PowerSource battery(boolean online, boolean discharging) {
        return (PowerSource) Proxy.newProxyInstance(PowerSource.class.getClassLoader(), new Class<?>[] {PowerSource.class},
                (p, m, a) -> switch (m.getName()) {
                    case "isPowerOnLine" -> online;
                    case "isDischarging" -> discharging;
                    case "toString" -> "battery";
                    default -> throw new UnsupportedOperationException(m.getName());
                });
    }

    @Test
    void batteryMeansDischargingWithoutExternalPower() {
        assertFalse(BatteryProbe.onBattery(List.of()), "a desktop has no battery");
        assertTrue(BatteryProbe.onBattery(List.of(battery(false, true))));
        assertFalse(BatteryProbe.onBattery(List.of(battery(true, false))));
        assertTrue(new BatteryProbe().onBattery().isAvailable(), "this machine's power sources can be read");
    }

    static final class MutableClock extends Clock {
        Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}

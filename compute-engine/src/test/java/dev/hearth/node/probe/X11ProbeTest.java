package dev.hearth.node.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.node.policy.Reading;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/// The X11 probes against a real X server (Xvfb), driven by xdotool and xprop. Skipped where Xvfb
/// is not installed (`apt-get install xvfb x11-utils xdotool`).
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class X11ProbeTest {

    private static Process xvfb;
    private static String display;

    @BeforeAll
    static void startXvfb() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/Xvfb")) && Files.isExecutable(Path.of("/usr/bin/xdotool"))
                && Files.isExecutable(Path.of("/usr/bin/xprop")), "needs Xvfb, xdotool and xprop");
        // -displayfd: Xvfb picks a free display number and writes it to fd 1 when ready.
        xvfb = new ProcessBuilder("/usr/bin/Xvfb", "-displayfd", "1", "-screen", "0", "640x480x24", "-nolisten", "tcp")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(xvfb.getInputStream(), StandardCharsets.US_ASCII));
        String n = out.readLine();
        Assumptions.assumeTrue(n != null && n.strip().matches("\\d+"), "Xvfb did not start");
        display = ":" + n.strip();
    }

    @AfterAll
    static void stopXvfb() throws Exception {
        if (xvfb != null) {
            xvfb.destroy();
            xvfb.waitFor(5, TimeUnit.SECONDS);
        }
    }

    private static void run(String... cmd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("DISPLAY", display);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ": " + out);
    }

    /// Sets (or, with no value, removes) a property of the root window with xprop and waits until another client
    /// sees it. xprop only flushes its request before it exits; the X server orders requests per client, not across
    /// clients, so on a loaded machine the probe's next query could be served before xprop's change (CI saw "the
    /// window manager does not publish _NET_ACTIVE_WINDOW" right after setting it). Once a later `xprop -root`
    /// reports the change, the server has made it, and every later request of the probe sees it.
    private static void rootProperty(String name, String format, String value) throws Exception {
        if (value == null) {
            run("xprop", "-root", "-remove", name);
        } else {
            run("xprop", "-root", "-f", name, format, "-set", name, value);
        }
        String expected = value == null ? "not found" : value.toLowerCase(java.util.Locale.ROOT);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        String seen = "";
        while (System.nanoTime() < deadline) {
            ProcessBuilder pb = (format == null ? new ProcessBuilder("xprop", "-root", name)
                    : new ProcessBuilder("xprop", "-root", "-f", name, format, name)).redirectErrorStream(true);
            pb.environment().put("DISPLAY", display);
            Process p = pb.start();
            seen = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(5, TimeUnit.SECONDS);
            if (seen.toLowerCase(java.util.Locale.ROOT).contains(expected)) return;
            Thread.sleep(20); // polls the X server for the change (bounded by the deadline)
        }
        throw new AssertionError("xprop -root " + name + " still shows '" + seen.strip() + "', expected " + expected);
    }

    @Test
    void idleGrowsWithoutInputAndResetsWhenThePointerMoves() throws Exception {
        try (X11 x = new X11(display)) {
            run("xdotool", "mousemove", "5", "5");
            Thread.sleep(1200); // real time: the X server's idle counter is what is under test
            Duration before = x.ownerIdle().orElse(Duration.ZERO);
            assertTrue(before.toMillis() >= 1000, "idle after 1.2 s without input: " + before);
            run("xdotool", "mousemove", "100", "120");
            Duration after = x.ownerIdle().orElse(Duration.ofDays(1));
            assertTrue(after.toMillis() < 500, "idle right after moving the pointer: " + after);
        }
    }

    @Test
    void fullscreenActiveWindowIsNamedByItsClass() throws Exception {
        try (X11 x = new X11(display)) {
            // Without a window manager nobody publishes the active window: the probe says so.
            x.fullscreenApp(); // interns the EWMH atoms; xprop -set only uses atoms that exist
            rootProperty("_NET_ACTIVE_WINDOW", null, null);
            assertEquals("unavailable: the window manager does not publish _NET_ACTIVE_WINDOW", x.fullscreenApp().describe());

            // Play the window manager with xprop: the root window stands in for the active, full-screen "vlc".
            String rootId = rootWindowId();
            rootProperty("WM_CLASS", "8s", "vlc");
            rootProperty("_NET_ACTIVE_WINDOW", "32x", rootId);
            rootProperty("_NET_WM_STATE", "32a", "_NET_WM_STATE_ABOVE");
            assertEquals(Reading.of(Optional.empty()), x.fullscreenApp());
            rootProperty("_NET_WM_STATE", "32a", "_NET_WM_STATE_FULLSCREEN");
            assertEquals(Reading.of(Optional.of("vlc")), x.fullscreenApp());
        }
    }

    @Test
    void aWindowThatVanishedIsNotFullScreenAndDoesNotEndTheProcess() throws Exception {
        try (X11 x = new X11(display)) {
            // An active window id that no longer exists: Xlib's default handler would exit() on BadWindow.
            x.fullscreenApp(); // interns the EWMH atoms; xprop -set only uses atoms that exist
            rootProperty("_NET_ACTIVE_WINDOW", "32x", "0x3a00001");
            int before = X11.ignoredErrors();
            assertEquals(Reading.of(Optional.empty()), x.fullscreenApp());
            assertTrue(X11.ignoredErrors() > before, "the BadWindow error reached Hearth's handler");
            assertTrue(x.ownerIdle().isAvailable(), "the connection still works");
        }
    }

    @Test
    void anXServerThatGoesAwayIsReportedAndDoesNotEndTheProcess() throws Exception {
        Process own = new ProcessBuilder("/usr/bin/Xvfb", "-displayfd", "1", "-screen", "0", "320x240x24", "-nolisten", "tcp")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            String n = new BufferedReader(new InputStreamReader(own.getInputStream(), StandardCharsets.US_ASCII)).readLine();
            Assumptions.assumeTrue(n != null && n.strip().matches("\\d+"), "second Xvfb did not start");
            try (X11 x = new X11(":" + n.strip())) {
                assertTrue(x.ownerIdle().isAvailable());
                own.destroy(); // the owner logs out; Xlib's default would exit() on the broken connection
                assertTrue(own.waitFor(10, TimeUnit.SECONDS));
                Reading<Duration> after = x.ownerIdle();
                assertEquals("unavailable: lost the connection to X display :" + n.strip(), after.describe());
                assertEquals("unavailable: cannot connect to X display :" + n.strip(), x.ownerIdle().describe(),
                        "then it tries to reconnect");
            }
        } finally {
            own.destroyForcibly();
        }
    }

    private static String rootWindowId() throws Exception {
        ProcessBuilder pb = new ProcessBuilder("xwininfo", "-root").redirectErrorStream(true);
        pb.environment().put("DISPLAY", display);
        Process p = pb.start();
        List<String> lines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        p.waitFor(5, TimeUnit.SECONDS);
        for (String l : lines) {
            int i = l.indexOf("Window id: ");
            if (i >= 0) return l.substring(i + "Window id: ".length()).split(" ")[0];
        }
        throw new AssertionError("xwininfo printed no window id: " + lines);
    }
}

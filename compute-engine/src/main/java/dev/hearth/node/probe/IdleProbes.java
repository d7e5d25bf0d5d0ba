package dev.hearth.node.probe;

import com.sun.jna.Platform;
import dev.hearth.node.policy.Reading;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/// Picks the owner-idle probe that works on this desktop and sticks with it.
///
/// Candidates by platform: Windows → `GetLastInputInfo`; macOS → CoreGraphics/IOKit; Linux and BSDs
/// on an X11 session → X11 screensaver extension, then GNOME, then logind; on a Wayland session →
/// GNOME's idle monitor, then logind, then X11 (XWayland sees only X clients' input, so it is last).
/// The first candidate that answers is used until it fails; then all are tried again, at most once
/// per [#RESCAN_AFTER]. When none works the reading says why for each, and the policy follows the
/// owner's toggle.
public final class IdleProbes implements IdleProbe {

    /// 60 s: trying every candidate spawns processes (gdbus, loginctl); once a minute is plenty to
    /// notice that, say, the X server came up after the node.
    public static final Duration RESCAN_AFTER = Duration.ofSeconds(60);

    private final List<IdleProbe> candidates;
    private final Clock clock;
    private IdleProbe chosen;
    private Instant lastScan;
    private String lastProblem = "not probed yet";

    public IdleProbes(List<IdleProbe> candidates, Clock clock) {
        this.candidates = List.copyOf(candidates);
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /// The candidates for this machine's platform and session environment.
    public static IdleProbes forThisMachine(Clock clock) {
        return new IdleProbes(candidatesFor(osFamily(), System.getenv(), CommandRunner.SYSTEM, clock), clock);
    }

    static String osFamily() {
        if (Platform.isWindows()) return "windows";
        if (Platform.isMac()) return "mac";
        return "unix";
    }

    static List<IdleProbe> candidatesFor(String os, Map<String, String> env, CommandRunner runner, Clock clock) {
        List<IdleProbe> out = new ArrayList<>();
        switch (os) {
            case "windows" -> out.add(new WindowsIdleProbe());
            case "mac" -> out.add(new MacIdleProbe(runner));
            default -> {
                boolean wayland = "wayland".equals(env.getOrDefault("XDG_SESSION_TYPE", "").toLowerCase(Locale.ROOT))
                        || env.containsKey("WAYLAND_DISPLAY");
                X11 x11 = new X11(env.get("DISPLAY"));
                GnomeIdleProbe gnome = new GnomeIdleProbe(runner);
                LogindIdleProbe logind = new LogindIdleProbe(env.get("XDG_SESSION_ID"), runner, clock);
                if (wayland) out.addAll(List.of(gnome, logind, x11));
                else out.addAll(List.of(x11, gnome, logind));
            }
        }
        return out;
    }

    @Override
    public String name() {
        IdleProbe c = current();
        return c == null ? "none" : c.name();
    }

    /// The probe in use, or null when none works.
    public synchronized IdleProbe current() {
        return chosen;
    }

    @Override
    public synchronized Reading<Duration> ownerIdle() {
        if (chosen != null) {
            Reading<Duration> r = chosen.ownerIdle();
            if (r.isAvailable()) return r;
            chosen = null;
            lastScan = null; // it just failed: look for another at once
        }
        Instant now = clock.instant();
        if (lastScan != null && Duration.between(lastScan, now).compareTo(RESCAN_AFTER) < 0) {
            return Reading.unavailable(lastProblem);
        }
        lastScan = now;
        List<String> whys = new ArrayList<>();
        for (IdleProbe p : candidates) {
            Reading<Duration> r = p.ownerIdle();
            if (r instanceof Reading.Available<Duration>) {
                chosen = p;
                return r;
            }
            whys.add(p.name() + ": " + ((Reading.Unavailable<Duration>) r).why());
        }
        lastProblem = whys.isEmpty() ? "no idle detection for this system" : String.join("; ", whys);
        return Reading.unavailable(lastProblem);
    }
}

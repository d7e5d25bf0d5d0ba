package dev.hearth.node.probe;

import dev.hearth.node.policy.Reading;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/// Owner idle time from GNOME's compositor (`org.gnome.Mutter.IdleMonitor.GetIdletime` on the session
/// bus, via `gdbus`): exact, in milliseconds, and the only precise source on GNOME Wayland, where X11's
/// screensaver extension sees only XWayland clients.
public final class GnomeIdleProbe implements IdleProbe {

    private static final Pattern UINT64 = Pattern.compile("\\(uint64 (\\d+),\\)");
    private final CommandRunner runner;

    public GnomeIdleProbe(CommandRunner runner) {
        this.runner = Objects.requireNonNull(runner, "runner");
    }

    @Override
    public String name() {
        return "GNOME";
    }

    @Override
    public Reading<Duration> ownerIdle() {
        return switch (runner.run(List.of("gdbus", "call", "--session", "--dest", "org.gnome.Mutter.IdleMonitor",
                "--object-path", "/org/gnome/Mutter/IdleMonitor/Core", "--method", "org.gnome.Mutter.IdleMonitor.GetIdletime"))) {
            case Reading.Unavailable<String>(String why) -> Reading.unavailable("GNOME idle monitor: " + why);
            case Reading.Available<String>(String out) -> parse(out);
        };
    }

    /// Parses gdbus's `(uint64 12345,)`.
    static Reading<Duration> parse(String out) {
        Matcher m = UINT64.matcher(out.strip());
        if (!m.matches()) return Reading.unavailable("unexpected answer from the GNOME idle monitor: " + out.strip());
        return Reading.of(Duration.ofMillis(Long.parseLong(m.group(1))));
    }
}

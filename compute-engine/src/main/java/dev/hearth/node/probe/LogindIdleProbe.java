package dev.hearth.node.probe;

import dev.hearth.node.policy.Reading;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/// Owner idle time from systemd-logind's session `IdleHint` — what works on any Wayland desktop that
/// reports idleness to logind (GNOME, KDE, most compositors with an idle daemon).
///
/// Coarse by nature: the desktop sets `IdleHint=yes` only after its own idle delay (GNOME: 5 min by
/// default), and `IdleSinceHint` is when it did. The probe reports the time since then — an underestimate
/// of the real idle time, so Hearth starts later than the owner asked, never earlier. `IdleHint=no`
/// reads as "just used" (zero).
public final class LogindIdleProbe implements IdleProbe {

    private final String sessionId;
    private final CommandRunner runner;
    private final Clock clock;

    /// @param sessionId `$XDG_SESSION_ID`, or null
    public LogindIdleProbe(String sessionId, CommandRunner runner, Clock clock) {
        this.sessionId = sessionId;
        this.runner = Objects.requireNonNull(runner, "runner");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public String name() {
        return "logind";
    }

    @Override
    public Reading<Duration> ownerIdle() {
        if (sessionId == null || sessionId.isBlank()) return Reading.unavailable("no logind session ($XDG_SESSION_ID is not set)");
        if (!sessionId.matches("[A-Za-z0-9_.-]+")) return Reading.unavailable("odd session id " + sessionId);
        return switch (runner.run(List.of("loginctl", "show-session", sessionId, "-p", "IdleHint", "-p", "IdleSinceHint"))) {
            case Reading.Unavailable<String>(String why) -> Reading.unavailable(why);
            case Reading.Available<String>(String out) -> parse(out, clock.instant());
        };
    }

    /// Parses `IdleHint=yes|no` and `IdleSinceHint=<µs since the epoch>`.
    static Reading<Duration> parse(String out, Instant now) {
        String hint = null;
        long sinceMicros = -1;
        for (String line : out.split("\\R")) {
            int eq = line.indexOf('=');
            if (eq < 0) continue;
            String key = line.substring(0, eq).strip();
            String value = line.substring(eq + 1).strip();
            if (key.equals("IdleHint")) hint = value;
            if (key.equals("IdleSinceHint")) {
                try {
                    sinceMicros = Long.parseLong(value);
                } catch (NumberFormatException e) {
                    return Reading.unavailable("logind reported IdleSinceHint=" + value);
                }
            }
        }
        if (hint == null) return Reading.unavailable("logind did not report IdleHint");
        if (hint.equals("no")) return Reading.of(Duration.ZERO);
        if (!hint.equals("yes")) return Reading.unavailable("logind reported IdleHint=" + hint);
        if (sinceMicros <= 0) return Reading.unavailable("the desktop sets IdleHint without IdleSinceHint");
        Instant since = Instant.ofEpochSecond(sinceMicros / 1_000_000, (sinceMicros % 1_000_000) * 1000);
        Duration idle = Duration.between(since, now);
        return Reading.of(idle.isNegative() ? Duration.ZERO : idle);
    }
}

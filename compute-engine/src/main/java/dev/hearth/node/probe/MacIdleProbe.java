package dev.hearth.node.probe;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import dev.hearth.node.policy.Reading;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/// Owner idle time on macOS. First choice: CoreGraphics'
/// `CGEventSourceSecondsSinceLastEventType(kCGEventSourceStateCombinedSessionState, kCGAnyInputEventType)`
/// through JNA (no process per sample). Fallback: IOKit's `HIDIdleTime` (nanoseconds) as printed by
/// `ioreg -c IOHIDSystem`.
public final class MacIdleProbe implements IdleProbe {

    interface CoreGraphics extends Library {
        double CGEventSourceSecondsSinceLastEventType(int sourceStateId, int eventType);
    }

    private static final int COMBINED_SESSION_STATE = 0;
    /// kCGAnyInputEventType = ~0.
    private static final int ANY_INPUT_EVENT = ~0;
    private static final Pattern HID_IDLE = Pattern.compile("\"HIDIdleTime\"\\s*=\\s*(\\d+)");

    private final CommandRunner runner;
    private CoreGraphics cg;
    private boolean cgTried;

    public MacIdleProbe(CommandRunner runner) {
        this.runner = Objects.requireNonNull(runner, "runner");
    }

    @Override
    public String name() {
        return "macOS";
    }

    @Override
    public synchronized Reading<Duration> ownerIdle() {
        if (!Platform.isMac()) return Reading.unavailable("not macOS");
        if (!cgTried) {
            cgTried = true;
            try {
                cg = Native.load("CoreGraphics", CoreGraphics.class);
            } catch (UnsatisfiedLinkError e) {
                cg = null;
            }
        }
        if (cg != null) {
            try {
                double s = cg.CGEventSourceSecondsSinceLastEventType(COMBINED_SESSION_STATE, ANY_INPUT_EVENT);
                if (s >= 0 && Double.isFinite(s)) return Reading.of(Duration.ofNanos((long) (s * 1e9)));
            } catch (UnsatisfiedLinkError | RuntimeException e) {
                cg = null;
            }
        }
        return switch (runner.run(List.of("ioreg", "-c", "IOHIDSystem", "-d", "4", "-r", "-k", "HIDIdleTime"))) {
            case Reading.Unavailable<String>(String why) -> Reading.unavailable(why);
            case Reading.Available<String>(String out) -> parseIoreg(out);
        };
    }

    /// Parses the first `"HIDIdleTime" = <ns>` in `ioreg` output.
    static Reading<Duration> parseIoreg(String out) {
        Matcher m = HID_IDLE.matcher(out);
        if (!m.find()) return Reading.unavailable("ioreg did not report HIDIdleTime");
        return Reading.of(Duration.ofNanos(Long.parseLong(m.group(1))));
    }
}

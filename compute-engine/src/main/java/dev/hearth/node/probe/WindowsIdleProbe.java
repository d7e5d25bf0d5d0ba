package dev.hearth.node.probe;

import com.sun.jna.Platform;
import com.sun.jna.platform.win32.Kernel32;
import com.sun.jna.platform.win32.User32;
import com.sun.jna.platform.win32.WinUser;
import dev.hearth.node.policy.Reading;
import java.time.Duration;

/// Owner idle time on Windows: `GetLastInputInfo` (tick of the last input in this session) against
/// `GetTickCount`. Both are 32-bit millisecond counters that wrap every 49.7 days; unsigned
/// subtraction stays correct across the wrap. A node running as a service (session 0) sees no input —
/// the desktop app runs in the owner's session.
public final class WindowsIdleProbe implements IdleProbe {

    @Override
    public String name() {
        return "Windows";
    }

    @Override
    public Reading<Duration> ownerIdle() {
        if (!Platform.isWindows()) return Reading.unavailable("not Windows");
        try {
            WinUser.LASTINPUTINFO info = new WinUser.LASTINPUTINFO();
            if (!User32.INSTANCE.GetLastInputInfo(info)) return Reading.unavailable("GetLastInputInfo failed");
            return Reading.of(Duration.ofMillis(idleMillis(Kernel32.INSTANCE.GetTickCount(), info.dwTime)));
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return Reading.unavailable("GetLastInputInfo could not be called (" + e.getMessage() + ")");
        }
    }

    /// Unsigned 32-bit difference of two tick counts.
    static long idleMillis(int nowTicks, int lastInputTicks) {
        return (nowTicks - lastInputTicks) & 0xFFFFFFFFL;
    }
}

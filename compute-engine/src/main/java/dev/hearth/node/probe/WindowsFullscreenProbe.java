package dev.hearth.node.probe;

import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.platform.win32.User32;
import com.sun.jna.platform.win32.WinDef;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.win32.StdCallLibrary;
import dev.hearth.node.policy.Reading;
import java.util.Optional;

/// A full-screen app on Windows: the shell's own answer (`SHQueryUserNotificationState`, the call
/// Windows uses to hold back notifications during games, films and presentations), named by the
/// foreground window's process.
public final class WindowsFullscreenProbe {

    interface Shell32Ext extends StdCallLibrary {
        int SHQueryUserNotificationState(IntByReference state);
    }

    // QUERY_USER_NOTIFICATION_STATE from shellapi.h.
    static final int QUNS_BUSY = 2;                   // a full-screen app
    static final int QUNS_RUNNING_D3D_FULL_SCREEN = 3; // exclusive-mode Direct3D: a game
    static final int QUNS_PRESENTATION_MODE = 4;
    static final int QUNS_APP = 7;                    // a Store app in full screen

    private Shell32Ext shell;

    public synchronized Reading<Optional<String>> fullscreenApp() {
        if (!Platform.isWindows()) return Reading.unavailable("not Windows");
        try {
            if (shell == null) shell = Native.load("shell32", Shell32Ext.class);
            IntByReference state = new IntByReference();
            if (shell.SHQueryUserNotificationState(state) != 0) return Reading.unavailable("SHQueryUserNotificationState failed");
            if (!isFullscreen(state.getValue())) return Reading.of(Optional.empty());
            return Reading.of(Optional.of(foregroundProcessName()));
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return Reading.unavailable("the Windows shell could not be asked (" + e.getMessage() + ")");
        }
    }

    static boolean isFullscreen(int state) {
        return state == QUNS_BUSY || state == QUNS_RUNNING_D3D_FULL_SCREEN || state == QUNS_PRESENTATION_MODE || state == QUNS_APP;
    }

    private static String foregroundProcessName() {
        WinDef.HWND hwnd = User32.INSTANCE.GetForegroundWindow();
        if (hwnd == null) return "a full-screen app";
        IntByReference pid = new IntByReference();
        User32.INSTANCE.GetWindowThreadProcessId(hwnd, pid);
        String name = GpuProcessProbe.processName(pid.getValue() & 0xFFFFFFFFL);
        return name.startsWith("process ") ? "a full-screen app" : name;
    }
}

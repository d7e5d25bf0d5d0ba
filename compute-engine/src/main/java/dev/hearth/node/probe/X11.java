package dev.hearth.node.probe;

import com.sun.jna.Callback;
import com.sun.jna.Function;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.NativeLongByReference;
import com.sun.jna.ptr.PointerByReference;
import dev.hearth.node.policy.Reading;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/// An X11 display connection for the two X probes: owner idle time (the MIT-SCREEN-SAVER extension's
/// `XScreenSaverQueryInfo`, libXss) and the full-screen window (`_NET_WM_STATE_FULLSCREEN` on
/// `_NET_ACTIVE_WINDOW`, per the EWMH spec). One connection, opened on first use, used under a lock
/// (Xlib connections are not thread-safe).
public final class X11 implements IdleProbe, AutoCloseable {

    interface XLib extends Library {
        Pointer XOpenDisplay(String name);
        int XCloseDisplay(Pointer display);
        NativeLong XDefaultRootWindow(Pointer display);
        NativeLong XInternAtom(Pointer display, String name, boolean onlyIfExists);
        int XGetWindowProperty(Pointer display, NativeLong window, NativeLong property, NativeLong offset, NativeLong length,
                               boolean delete, NativeLong reqType, NativeLongByReference actualType, IntByReference actualFormat,
                               NativeLongByReference nItems, NativeLongByReference bytesAfter, PointerByReference prop);
        int XFree(Pointer data);
        Pointer XSetErrorHandler(XErrorHandler handler);
        Pointer XSetIOErrorHandler(XIOErrorHandler handler);
        void XSetIOErrorExitHandler(Pointer display, XIOErrorExitHandler handler, Pointer userData); // libX11 ≥ 1.7
        int XSync(Pointer display, boolean discard);
    }

    /// `int (*XErrorHandler)(Display*, XErrorEvent*)`.
    interface XErrorHandler extends Callback {
        int callback(Pointer display, Pointer errorEvent);
    }

    /// `int (*XIOErrorHandler)(Display*)`.
    interface XIOErrorHandler extends Callback {
        int callback(Pointer display);
    }

    /// `void (*XIOErrorExitHandler)(Display*, void*)`.
    interface XIOErrorExitHandler extends Callback {
        void callback(Pointer display, Pointer userData);
    }

    /// Xlib's error handler is process-wide, and its default *exits the process* — on a plain BadWindow,
    /// which a window closing between two of our requests causes. So one chained handler is installed
    /// (once, for the process): errors on Hearth's own connections are counted and ignored, errors on
    /// anyone else's (the desktop app's GTK) go to the handler that was there before, unchanged.
    private static final class ErrorHandlers {
        static final Set<Long> OURS = ConcurrentHashMap.newKeySet();
        static volatile Pointer previous;
        static volatile Pointer previousIo;
        static volatile int ignored;
        static XErrorHandler installed; // strong references: JNA callbacks must not be collected
        static XIOErrorHandler installedIo;

        static synchronized void install(XLib x) {
            if (installed != null) return;
            installed = (display, event) -> {
                if (display != null && OURS.contains(Pointer.nativeValue(display))) {
                    ignored++;
                    return 0;
                }
                Pointer prev = previous;
                return prev == null ? 0 : Function.getFunction(prev).invokeInt(new Object[] {display, event});
            };
            previous = x.XSetErrorHandler(installed);
            // The default I/O error handler prints and exits; on our connections only print-and-return,
            // so that the per-display exit handler below decides (libX11 ≥ 1.7).
            installedIo = display -> {
                if (display != null && OURS.contains(Pointer.nativeValue(display))) return 0;
                Pointer prev = previousIo;
                return prev == null ? 0 : Function.getFunction(prev).invokeInt(new Object[] {display});
            };
            previousIo = x.XSetIOErrorHandler(installedIo);
        }
    }

    interface Xss extends Library {
        boolean XScreenSaverQueryExtension(Pointer display, IntByReference eventBase, IntByReference errorBase);
        Pointer XScreenSaverAllocInfo();
        int XScreenSaverQueryInfo(Pointer display, NativeLong drawable, XScreenSaverInfo info);
    }

    /// `XScreenSaverInfo` from `<X11/extensions/scrnsaver.h>`.
    @Structure.FieldOrder({"window", "state", "kind", "tilOrSince", "idle", "eventMask"})
    public static class XScreenSaverInfo extends Structure {
        public NativeLong window;
        public int state;
        public int kind;
        public NativeLong tilOrSince;
        public NativeLong idle; // milliseconds since the last input
        public NativeLong eventMask;
    }

    private static final int SUCCESS = 0;
    /// Long words of a property read at once: an EWMH state list is a handful of atoms.
    private static final int PROPERTY_WORDS = 64;
    /// XA_ATOM, XA_WINDOW, XA_STRING, XA_CARDINAL from `<X11/Xatom.h>`; AnyPropertyType = 0.
    private static final long ANY_PROPERTY_TYPE = 0;

    private final String displayName;
    private XLib x;
    private Xss xss;
    private Pointer display;
    private String openProblem;
    private boolean xssChecked;
    /// Set from Xlib's I/O-error exit handler when the X server goes away (logout, crash). Without the
    /// handler (libX11 before 1.7, 2020) Xlib would exit the process; with it, the probe reconnects later.
    private volatile boolean connectionLost;
    private final XIOErrorExitHandler onConnectionLost = (d, u) -> connectionLost = true; // strong reference
    private String xssProblem;

    /// @param displayName the `$DISPLAY` value, or null when unset
    public X11(String displayName) {
        this.displayName = displayName;
    }

    public static X11 fromEnvironment() {
        return new X11(System.getenv("DISPLAY"));
    }

    @Override
    public String name() {
        return "X11";
    }

    private String open() {
        if (display != null && connectionLost) {
            // The Display is unusable and closing it would fail again; drop it and connect afresh later.
            ErrorHandlers.OURS.remove(Pointer.nativeValue(display));
            display = null;
            connectionLost = false;
            xssChecked = false;
            xssProblem = null;
        }
        if (display != null) return null;
        if (openProblem != null) return openProblem;
        if (displayName == null || displayName.isBlank()) return openProblem = "no X display ($DISPLAY is not set)";
        try {
            x = Native.load("X11", XLib.class);
        } catch (UnsatisfiedLinkError e) {
            return openProblem = "libX11 is not installed";
        }
        ErrorHandlers.install(x);
        Pointer d = x.XOpenDisplay(displayName);
        if (d == null) return "cannot connect to X display " + displayName; // may appear later: not cached
        ErrorHandlers.OURS.add(Pointer.nativeValue(d));
        try {
            x.XSetIOErrorExitHandler(d, onConnectionLost, null);
        } catch (UnsatisfiedLinkError e) {
            // libX11 < 1.7: a lost X server still ends the process, as it does for every Xlib client there.
        }
        display = d;
        return null;
    }

    @Override
    public synchronized Reading<Duration> ownerIdle() {
        try {
            String problem = open();
            if (problem != null) return Reading.unavailable(problem);
            if (!xssChecked) {
                xssChecked = true;
                try {
                    xss = Native.load("Xss", Xss.class);
                    if (!xss.XScreenSaverQueryExtension(display, new IntByReference(), new IntByReference())) {
                        xssProblem = "the X server lacks the MIT-SCREEN-SAVER extension";
                    }
                } catch (UnsatisfiedLinkError e) {
                    xssProblem = "libXss is not installed (package libxss1)";
                }
            }
            if (xssProblem != null) return Reading.unavailable(xssProblem);
            XScreenSaverInfo info = new XScreenSaverInfo();
            if (xss.XScreenSaverQueryInfo(display, x.XDefaultRootWindow(display), info) == 0 || connectionLost) {
                if (connectionLost) return Reading.unavailable("lost the connection to X display " + displayName);
                return Reading.unavailable("XScreenSaverQueryInfo failed on " + displayName);
            }
            info.read();
            return Reading.of(Duration.ofMillis(info.idle.longValue() & 0xFFFFFFFFL));
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return Reading.unavailable("X11 idle query failed (" + e.getMessage() + ")");
        }
    }

    /// The app class (WM_CLASS) of the active window when it is full-screen; empty when it is not.
    public synchronized Reading<Optional<String>> fullscreenApp() {
        try {
            String problem = open();
            if (problem != null) return Reading.unavailable(problem);
            NativeLong root = x.XDefaultRootWindow(display);
            long[] active = longs(root, "_NET_ACTIVE_WINDOW");
            if (connectionLost) return Reading.unavailable("lost the connection to X display " + displayName);
            if (active == null) return Reading.unavailable("the window manager does not publish _NET_ACTIVE_WINDOW");
            if (active.length == 0 || active[0] == 0) return Reading.of(Optional.empty());
            NativeLong window = new NativeLong(active[0]);
            long[] state = longs(window, "_NET_WM_STATE");
            long fullscreen = x.XInternAtom(display, "_NET_WM_STATE_FULLSCREEN", false).longValue();
            boolean isFull = false;
            if (state != null) for (long a : state) if (a == fullscreen) isFull = true;
            if (!isFull) return Reading.of(Optional.empty());
            return Reading.of(Optional.of(windowClass(window)));
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return Reading.unavailable("X11 window query failed (" + e.getMessage() + ")");
        }
    }

    /// A 32-bit-format property as longs (Xlib returns format-32 items as C longs); null when absent.
    private long[] longs(NativeLong window, String property) {
        NativeLong atom = x.XInternAtom(display, property, false);
        NativeLongByReference type = new NativeLongByReference();
        IntByReference format = new IntByReference();
        NativeLongByReference n = new NativeLongByReference();
        NativeLongByReference after = new NativeLongByReference();
        PointerByReference data = new PointerByReference();
        int rc = x.XGetWindowProperty(display, window, atom, new NativeLong(0), new NativeLong(PROPERTY_WORDS), false,
                new NativeLong(ANY_PROPERTY_TYPE), type, format, n, after, data);
        Pointer p = data.getValue();
        try {
            if (rc != SUCCESS || p == null || type.getValue().longValue() == 0 || format.getValue() != 32) return null;
            int count = (int) n.getValue().longValue();
            long[] out = new long[count];
            for (int i = 0; i < count; i++) out[i] = p.getNativeLong((long) i * Native.LONG_SIZE).longValue();
            return out;
        } finally {
            if (p != null) x.XFree(p);
        }
    }

    private String windowClass(NativeLong window) {
        NativeLong atom = x.XInternAtom(display, "WM_CLASS", false);
        NativeLongByReference type = new NativeLongByReference();
        IntByReference format = new IntByReference();
        NativeLongByReference n = new NativeLongByReference();
        NativeLongByReference after = new NativeLongByReference();
        PointerByReference data = new PointerByReference();
        int rc = x.XGetWindowProperty(display, window, atom, new NativeLong(0), new NativeLong(PROPERTY_WORDS), false,
                new NativeLong(ANY_PROPERTY_TYPE), type, format, n, after, data);
        Pointer p = data.getValue();
        try {
            if (rc != SUCCESS || p == null || format.getValue() != 8) return "a full-screen window";
            byte[] bytes = p.getByteArray(0, (int) n.getValue().longValue());
            return wmClassName(bytes);
        } finally {
            if (p != null) x.XFree(p);
        }
    }

    /// WM_CLASS is "instance\0Class\0"; the instance is the program's own name ("vlc", "steam_app_123").
    static String wmClassName(byte[] wmClass) {
        String s = new String(wmClass, StandardCharsets.ISO_8859_1);
        String instance = s.split("\0", -1)[0];
        return instance.isBlank() ? "a full-screen window" : instance;
    }

    /// X protocol errors on Hearth's connections that were ignored instead of ending the process.
    static int ignoredErrors() {
        return ErrorHandlers.ignored;
    }

    @Override
    public synchronized void close() {
        if (display != null) {
            ErrorHandlers.OURS.remove(Pointer.nativeValue(display));
            x.XCloseDisplay(display);
            display = null;
        }
    }
}

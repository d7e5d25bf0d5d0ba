package dev.hearth.node.probe;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.NativeLongByReference;
import com.sun.jna.ptr.PointerByReference;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

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
        if (display != null) return null;
        if (openProblem != null) return openProblem;
        if (displayName == null || displayName.isBlank()) return openProblem = "no X display ($DISPLAY is not set)";
        try {
            x = Native.load("X11", XLib.class);
        } catch (UnsatisfiedLinkError e) {
            return openProblem = "libX11 is not installed";
        }
        Pointer d = x.XOpenDisplay(displayName);
        if (d == null) return "cannot connect to X display " + displayName; // may appear later: not cached
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
            if (xss.XScreenSaverQueryInfo(display, x.XDefaultRootWindow(display), info) == 0) {
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

    @Override
    public synchronized void close() {
        if (display != null) {
            x.XCloseDisplay(display);
            display = null;
        }
    }
}

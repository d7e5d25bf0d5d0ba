package dev.hearth.desktop.os;

import java.awt.AWTException;
import java.awt.EventQueue;
import java.awt.GraphicsEnvironment;
import java.awt.Image;
import java.awt.MenuItem;
import java.awt.PopupMenu;
import java.awt.SystemTray;
import java.awt.Toolkit;
import java.awt.TrayIcon;
import java.net.URL;
import java.util.Optional;

/// The tray icon (where the OS has a tray) with Pause (or Resume, when paused) / Snooze 1 h / Open / Quit.
///
/// AWT owns it: every call here hops to the AWT event thread. Menu actions run there too; the node's
/// methods are thread-safe and non-blocking, and the app's own callbacks hop to the FX thread themselves.
public final class Tray {
    /// Tray icons: light strokes for dark panels (most Linux and Windows panels), dark for light ones.
    public static final String DARK_PANEL_ICON = "/dev/hearth/assets/tray-dark.png";
    public static final String LIGHT_PANEL_ICON = "/dev/hearth/assets/tray-light.png";

    /// What the menu does.
    public record Actions(Runnable pause, Runnable resume, Runnable snooze, Runnable open, Runnable quit) {}

    private final TrayIcon icon;
    private final MenuItem pauseResume;
    private volatile boolean paused;

    private Tray(TrayIcon icon, MenuItem pauseResume) {
        this.icon = icon;
        this.pauseResume = pauseResume;
    }

    /// Installs the icon, or says why not (no tray on this desktop, headless, or the tray refused it).
    public static Optional<Tray> install(Actions actions, boolean lightPanel) {
        if (GraphicsEnvironment.isHeadless()) return Optional.empty();
        try {
            if (!SystemTray.isSupported()) return Optional.empty();
            URL url = Tray.class.getResource(lightPanel ? LIGHT_PANEL_ICON : DARK_PANEL_ICON);
            if (url == null) return Optional.empty();
            Image image = Toolkit.getDefaultToolkit().getImage(url);
            PopupMenu menu = new PopupMenu();
            // One item that says what it will do (Pause while contributing, Resume when paused), not both at once.
            MenuItem pauseResume = new MenuItem(label(false));
            Tray[] self = new Tray[1];
            pauseResume.addActionListener(e -> (self[0] != null && self[0].paused ? actions.resume() : actions.pause()).run());
            menu.add(pauseResume);
            menu.add(item("Snooze 1 h", actions.snooze()));
            menu.addSeparator();
            menu.add(item("Open Hearth", actions.open()));
            menu.add(item("Quit", actions.quit()));
            TrayIcon icon = new TrayIcon(image, "Hearth", menu);
            icon.setImageAutoSize(true);
            icon.addActionListener(e -> actions.open().run());
            SystemTray.getSystemTray().add(icon);
            self[0] = new Tray(icon, pauseResume);
            return Optional.of(self[0]);
        } catch (AWTException | RuntimeException | java.awt.AWTError | LinkageError e) {
            // HeadlessException, no X server, a tray that vanished: the app simply runs without one.
            return Optional.empty();
        }
    }

    private static MenuItem item(String label, Runnable action) {
        MenuItem item = new MenuItem(label);
        item.addActionListener(e -> action.run());
        return item;
    }

    /// The menu's first item: "Resume" when the owner paused, "Pause" otherwise.
    static String label(boolean paused) {
        return paused ? "Resume" : "Pause";
    }

    /// Follows the dashboard's paused state (from any front end: the window, this menu, `hearth pause`).
    public void paused(boolean now) {
        paused = now;
        EventQueue.invokeLater(() -> pauseResume.setLabel(label(now)));
    }

    public void tooltip(String text) {
        EventQueue.invokeLater(() -> icon.setToolTip(text));
    }

    public void notify(String caption, String text) {
        EventQueue.invokeLater(() -> icon.displayMessage(caption, text, TrayIcon.MessageType.INFO));
    }

    public void remove() {
        EventQueue.invokeLater(() -> SystemTray.getSystemTray().remove(icon));
    }
}

package dev.hearth.desktop.view;

import java.awt.Desktop;
import java.net.URI;

/// Opens a web page in the owner's browser (AWT's Desktop, off the FX thread); where that cannot work it puts the
/// address on the clipboard instead, and says which it did.
final class Browser {

    private Browser() {}

    /// @return what happened, in words, for a label beside the link
    static String open(String url) {
        if (url == null || url.isBlank()) return "";
        try {
            if (!java.awt.GraphicsEnvironment.isHeadless() && Desktop.isDesktopSupported()
                    && Desktop.getDesktop().isSupported(Desktop.Action.BROWSE)) {
                URI uri = URI.create(url);
                Thread t = new Thread(() -> {
                    try {
                        Desktop.getDesktop().browse(uri);
                    } catch (Exception ignored) {
                        // the browser may still open; nothing useful to add
                    }
                }, "hearth-open-browser");
                t.setDaemon(true);
                t.start();
                return "Opening in your browser…";
            }
        } catch (RuntimeException | LinkageError e) {
            // fall through to the clipboard
        }
        var content = new javafx.scene.input.ClipboardContent();
        content.putString(url);
        javafx.scene.input.Clipboard.getSystemClipboard().setContent(content);
        return "No browser could be opened from here; the address is on the clipboard.";
    }
}

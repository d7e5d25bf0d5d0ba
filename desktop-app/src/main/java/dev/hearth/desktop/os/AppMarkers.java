package dev.hearth.desktop.os;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/// The desktop app's own one-time facts, kept as empty files under `<dataDir>/desktop/`.
///
/// The node API has no "settings were saved by a person" flag, so the app remembers that the owner finished
/// the first start itself; the tray hint ("Hearth keeps contributing in the tray") is shown once the same way.
public final class AppMarkers {
    private static final String DIR = "desktop";
    private static final String FIRST_START_DONE = "first-start-done";
    private static final String TRAY_HINT_SHOWN = "tray-hint-shown";

    private final Path dir;

    public AppMarkers(Path dataDir) {
        this.dir = dataDir.resolve(DIR);
    }

    public boolean firstStartDone() {
        return Files.exists(dir.resolve(FIRST_START_DONE));
    }

    public void markFirstStartDone() {
        touch(FIRST_START_DONE);
    }

    public boolean trayHintShown() {
        return Files.exists(dir.resolve(TRAY_HINT_SHOWN));
    }

    public void markTrayHintShown() {
        touch(TRAY_HINT_SHOWN);
    }

    private void touch(String name) {
        try {
            Files.createDirectories(dir);
            Path file = dir.resolve(name);
            if (!Files.exists(file)) Files.createFile(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve(name) + ": " + e.getMessage(), e);
        }
    }
}

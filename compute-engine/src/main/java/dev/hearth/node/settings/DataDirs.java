package dev.hearth.node.settings;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/// Where Hearth keeps everything on this machine (identity key, settings, history, checkpoints).
///
/// * Linux and other Unix: `$XDG_DATA_HOME/hearth`, default `~/.local/share/hearth` (XDG Base Directory spec)
/// * Windows: `%APPDATA%\Hearth` (roaming profile, like most desktop apps)
/// * macOS: `~/Library/Application Support/Hearth`
public final class DataDirs {

    /// rwx------: the folder holds the node's private key and the owner's history.
    public static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");
    /// rw-------: files inside the data dir.
    public static final Set<PosixFilePermission> OWNER_ONLY_FILE = PosixFilePermissions.fromString("rw-------");

    private DataDirs() {}

    /// The platform's user data dir for Hearth (not created; see [#ensure(Path)]).
    public static Path userDataDir() {
        return userDataDir(System.getProperty("os.name", ""), System.getenv(), System.getProperty("user.home", "."));
    }

    /// The rule behind [#userDataDir()], with the environment as inputs so it can be tested on any OS.
    public static Path userDataDir(String osName, Map<String, String> env, String userHome) {
        String os = osName.toLowerCase(Locale.ROOT);
        if (os.startsWith("windows")) {
            String appData = env.get("APPDATA");
            if (appData != null && !appData.isBlank()) return Path.of(appData, "Hearth");
            return Path.of(userHome, "AppData", "Roaming", "Hearth");
        }
        if (os.startsWith("mac") || os.startsWith("darwin")) {
            return Path.of(userHome, "Library", "Application Support", "Hearth");
        }
        String xdg = env.get("XDG_DATA_HOME");
        // The XDG spec says a relative $XDG_DATA_HOME is invalid and must be ignored.
        if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) return Path.of(xdg, "hearth");
        return Path.of(userHome, ".local", "share", "hearth");
    }

    /// Creates `dir` (and parents) if needed, owner-only where the file system is POSIX, and checks
    /// that Hearth can write there.
    ///
    /// @return `dir`, absolute and normalised
    /// @throws DataDirException naming the folder and what to do when it cannot be created or written
    public static Path ensure(Path dir) throws DataDirException {
        Path abs = dir.toAbsolutePath().normalize();
        boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
        try {
            if (Files.exists(abs) && !Files.isDirectory(abs)) {
                throw new DataDirException(abs, "it is a file, not a folder");
            }
            if (!Files.exists(abs)) {
                if (posix) {
                    Files.createDirectories(abs, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR));
                    // createDirectories applies the umask; set the bits explicitly.
                    Files.setPosixFilePermissions(abs, OWNER_ONLY_DIR);
                } else {
                    Files.createDirectories(abs);
                }
            }
        } catch (AccessDeniedException e) {
            throw new DataDirException(abs, "permission denied creating " + e.getFile());
        } catch (DataDirException e) {
            throw e;
        } catch (IOException e) {
            throw new DataDirException(abs, "cannot create it (" + e.getMessage() + ")");
        }
        // Files.isWritable can lie on network shares and ACL systems; writing a probe file cannot.
        Path probe = abs.resolve(".write-test-" + ProcessHandle.current().pid());
        try {
            Files.writeString(probe, "ok");
        } catch (IOException e) {
            throw new DataDirException(abs, "Hearth cannot write there (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
        } finally {
            try {
                Files.deleteIfExists(probe);
            } catch (IOException ignored) {
                // a leftover probe file is harmless
            }
        }
        return abs;
    }

    /// Sets owner-only permissions on a file where the file system supports POSIX; a no-op elsewhere.
    public static void restrictToOwner(Path file) {
        try {
            if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
                Files.setPosixFilePermissions(file, Files.isDirectory(file) ? OWNER_ONLY_DIR : OWNER_ONLY_FILE);
            }
        } catch (IOException | UnsupportedOperationException e) {
            // best effort: the folder itself is already owner-only
        }
    }

    /// The data dir cannot be used; the message names the folder, the problem and the remedy.
    public static final class DataDirException extends IOException {
        private final Path dir;

        public DataDirException(Path dir, String problem) {
            super("Hearth cannot use its data folder " + dir + ": " + problem
                    + ". Fix the folder's permissions or choose another one with --data-dir.");
            this.dir = dir;
        }

        public Path dir() {
            return dir;
        }
    }
}

package dev.hearth.node.control;

import dev.hearth.node.settings.DataDirs;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Properties;

/// Where the running node's control API listens and the token it wants: `control.properties` in the
/// data dir, readable by the owner only (the token is the whole of the API's protection: whoever can
/// read this file can pause the node, which is exactly the owner and root).
///
/// @param port  the loopback TCP port
/// @param token the bearer token (256 random bits, base64url)
/// @param pid   the process serving it (a file left by a crash names a dead process)
public record ControlFile(int port, String token, long pid) {

    public static final String FILE_NAME = "control.properties";

    public ControlFile {
        if (port < 1 || port > 65_535) throw new IllegalArgumentException("control port " + port + " is not a TCP port");
        if (token == null || token.isBlank()) throw new IllegalArgumentException("control token is empty");
    }

    /// Writes the file atomically, owner-only from its creation (no moment where another user could read it).
    void write(Path dataDir) throws IOException {
        Path tmp = dataDir.resolve(FILE_NAME + ".tmp");
        Files.deleteIfExists(tmp);
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(DataDirs.OWNER_ONLY_FILE));
        } else {
            Files.createFile(tmp); // Windows: the data dir itself is the user's own profile folder
        }
        Properties p = new Properties();
        p.setProperty("port", Integer.toString(port));
        p.setProperty("token", token);
        p.setProperty("pid", Long.toString(pid));
        try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            p.store(w, "Hearth control API of the running node (loopback only; keep this file private)");
        }
        Files.move(tmp, dataDir.resolve(FILE_NAME), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /// @return empty when no node has served its control API from `dataDir`
    /// @throws IOException when the file exists but cannot be read or is damaged, naming it
    public static Optional<ControlFile> read(Path dataDir) throws IOException {
        Path f = dataDir.resolve(FILE_NAME);
        if (!Files.isRegularFile(f)) return Optional.empty();
        Properties p = new Properties();
        try (var r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
            p.load(r);
        }
        try {
            return Optional.of(new ControlFile(Integer.parseInt(p.getProperty("port", "0")), p.getProperty("token"),
                    Long.parseLong(p.getProperty("pid", "-1"))));
        } catch (IllegalArgumentException e) {
            throw new IOException(f + " is damaged (" + e.getMessage() + "); it is rewritten when Hearth starts", e);
        }
    }

    /// Removes the file if it is still this one (a newer node may have replaced it).
    void deleteIfMine(Path dataDir) {
        try {
            if (read(dataDir).filter(this::equals).isPresent()) Files.deleteIfExists(dataDir.resolve(FILE_NAME));
        } catch (IOException ignored) {
            // a stale file only costs the CLI a refused connection
        }
    }
}

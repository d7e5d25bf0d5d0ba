package dev.hearth.node;

import dev.hearth.node.api.NodeSnapshot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Properties;

/// The running node's last state as a small properties file in the data dir, for `./hearth status`
/// from another process (no IPC endpoint to secure). Written on every state change; cheap.
public final class StatusFile {

    public static final String FILE_NAME = "status.properties";

    private StatusFile() {}

    static void write(Path dataDir, NodeSnapshot s) {
        Properties p = new Properties();
        p.setProperty("pid", Long.toString(ProcessHandle.current().pid()));
        p.setProperty("at", s.at().toString());
        p.setProperty("state", s.state().name());
        p.setProperty("headline", s.headline());
        p.setProperty("reason", s.reason());
        p.setProperty("run", s.runName());
        p.setProperty("coordinator", s.coordinator());
        p.setProperty("round", Long.toString(s.round()));
        p.setProperty("backend", s.backend());
        Path tmp = dataDir.resolve(FILE_NAME + ".tmp");
        try (var w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            p.store(w, "Hearth node status (written by the running node)");
        } catch (IOException e) {
            return; // status is a convenience; the node keeps going
        }
        try {
            Files.move(tmp, dataDir.resolve(FILE_NAME), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException ignored) {
            // same
        }
    }

    /// @return null when no node has written a status here
    public static Properties read(Path dataDir) throws IOException {
        Path f = dataDir.resolve(FILE_NAME);
        if (!Files.exists(f)) return null;
        Properties p = new Properties();
        try (var r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
            p.load(r);
        }
        return p;
    }
}

package dev.hearth.node.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/// Whether Hearth runs with more rights than it needs. It needs none: it reads its own data folder, talks to
/// one coordinator and runs its own trainer. As root a bug in it, or in a library it uses, could do anything to
/// the machine, so the node and the app say so, once, in words.
public final class Privileges {

    private Privileges() {}

    /// The warning to show, or empty when Hearth runs as an ordinary user.
    public static Optional<String> elevatedWarning() {
        return elevatedWarning(System.getProperty("os.name", ""), System.getProperty("user.name", ""),
                uidFromProc(Path.of("/proc/self/status")));
    }

    /// @param uid the real user id (Linux `/proc/self/status`), or -1 where unknown
    static Optional<String> elevatedWarning(String osName, String userName, long uid) {
        boolean windows = osName.toLowerCase(Locale.ROOT).startsWith("windows");
        boolean elevated = windows ? userName.equalsIgnoreCase("Administrator") : uid == 0 || (uid < 0 && userName.equals("root"));
        if (!elevated) return Optional.empty();
        String who = windows ? "the Administrator account" : "root";
        return Optional.of("Hearth is running as " + who + ". It does not need that: run it as your ordinary user. "
                + "It never runs code it downloads, but a mistake in Hearth would then have the rights of " + who + ".");
    }

    /// The real uid from a `/proc/<pid>/status` file, or -1 (no such file: not Linux).
    static long uidFromProc(Path status) {
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("Uid:")) return Long.parseLong(line.substring(4).strip().split("\\s+")[0]);
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or an unusual /proc: fall back to the user name
        }
        return -1;
    }
}

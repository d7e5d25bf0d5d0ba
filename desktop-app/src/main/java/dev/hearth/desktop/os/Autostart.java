package dev.hearth.desktop.os;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/// "Start with the OS": on Linux an XDG autostart entry (`$XDG_CONFIG_HOME/autostart/hearth.desktop`, see the
/// freedesktop Desktop Application Autostart spec); elsewhere the installer owns the login item, so this only explains.
///
/// @param autostartDir where the entry goes, or null when this OS has no XDG autostart
/// @param command      the command line that starts Hearth (jpackage launcher, or java with the classpath)
public record Autostart(Path autostartDir, List<String> command) {
    public static final String FILE_NAME = "hearth.desktop";

    /// For this machine: Linux gets `$XDG_CONFIG_HOME/autostart` (default `~/.config/autostart`).
    public static Autostart forThisMachine(Path dataDirOrNull) {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        Path dir = null;
        if (os.contains("linux") || os.contains("bsd")) {
            String xdg = System.getenv("XDG_CONFIG_HOME");
            Path config = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".config");
            dir = config.resolve("autostart");
        }
        return new Autostart(dir, launchCommand(dataDirOrNull));
    }

    /// The jpackage launcher when there is one, else this JVM with its classpath and the `Launcher` main.
    static List<String> launchCommand(Path dataDirOrNull) {
        String appPath = System.getProperty("jpackage.app-path");
        List<String> cmd = new java.util.ArrayList<>();
        if (appPath != null && !appPath.isBlank()) {
            cmd.add(appPath);
        } else {
            cmd.add(ProcessHandle.current().info().command().orElse("java"));
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add("dev.hearth.desktop.Launcher");
        }
        if (dataDirOrNull != null) {
            cmd.add("--data-dir");
            cmd.add(dataDirOrNull.toAbsolutePath().toString());
        }
        return List.copyOf(cmd);
    }

    public boolean supported() {
        return autostartDir != null;
    }

    public Path entry() {
        return autostartDir == null ? null : autostartDir.resolve(FILE_NAME);
    }

    /// Writes or removes the entry. @return what happened, in a sentence for the settings screen
    public String apply(boolean enabled) throws IOException {
        if (!supported()) {
            return enabled
                    ? "This system has no XDG autostart: add Hearth to Login Items (macOS) or the Startup apps (Windows); the installer offers it."
                    : "Remove Hearth from Login Items (macOS) or the Startup apps (Windows) if you added it.";
        }
        Path entry = entry();
        if (!enabled) {
            Files.deleteIfExists(entry);
            return "Hearth will not start when you log in.";
        }
        Files.createDirectories(autostartDir);
        Files.writeString(entry, desktopEntry());
        return "Hearth will start when you log in (" + entry + ").";
    }

    String desktopEntry() {
        String exec = command.stream().map(Autostart::quote).collect(Collectors.joining(" "));
        return String.join("\n",
                "[Desktop Entry]",
                "Type=Application",
                "Name=Hearth",
                "Comment=Train a public language model while your computer is idle",
                "Exec=" + exec,
                "Icon=hearth",
                "Terminal=false",
                "X-GNOME-Autostart-enabled=true",
                "") ;
    }

    /// Desktop Entry "Exec" quoting: arguments with reserved characters go in double quotes with `\" \` $` escaped.
    private static String quote(String arg) {
        if (!arg.isEmpty() && arg.chars().noneMatch(c -> " \t\n\"'\\><~|&;$*?#()`".indexOf(c) >= 0)) return arg;
        StringBuilder b = new StringBuilder("\"");
        for (char c : arg.toCharArray()) {
            if (c == '"' || c == '`' || c == '$' || c == '\\') b.append('\\');
            b.append(c);
        }
        return b.append('"').toString().replace("%", "%%");
    }

    static Map<String, String> parse(String entry) {
        return entry.lines().filter(l -> l.contains("="))
                .collect(Collectors.toMap(l -> l.substring(0, l.indexOf('=')), l -> l.substring(l.indexOf('=') + 1)));
    }
}

package dev.hearth.desktop;

import java.nio.file.Path;
import java.util.List;

/// The app's command line.
///
/// @param dataDir        where the node keeps everything; null = the platform's user data dir
/// @param screenshotTour when set, visit every screen, save `<screen>.png` there and exit
/// @param runAddress     a `hearth://` link the app was opened with (the OS passes it when the owner clicks one):
///                       join that run; null otherwise
public record AppOptions(Path dataDir, Path screenshotTour, String runAddress) {

    public AppOptions(Path dataDir, Path screenshotTour) {
        this(dataDir, screenshotTour, null);
    }

    public static final String USAGE = """
            Usage: hearth [--data-dir DIR] [--screenshot-tour DIR] [hearth://host:port#sha256=...]
              --data-dir DIR          keep identity, settings, history and checkpoints in DIR
                                      (default: the platform's user data folder)
              --screenshot-tour DIR   show each screen, save DIR/<screen>.png, then quit
              hearth://...            join the run at this address (what a clicked hearth:// link passes)
            """;

    public static AppOptions defaults() {
        return new AppOptions(null, null, null);
    }

    /// @throws IllegalArgumentException naming the bad argument
    public static AppOptions parse(List<String> args) {
        Path dataDir = null;
        Path tour = null;
        String address = null;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "--data-dir" -> dataDir = Path.of(value(args, ++i, a));
                case "--screenshot-tour" -> tour = Path.of(value(args, ++i, a));
                default -> {
                    if (a.startsWith("--data-dir=")) dataDir = Path.of(nonEmpty(a.substring("--data-dir=".length()), "--data-dir"));
                    else if (a.startsWith("--screenshot-tour=")) tour = Path.of(nonEmpty(a.substring("--screenshot-tour=".length()), "--screenshot-tour"));
                    else if (a.startsWith("hearth://")) address = a;
                    else throw new IllegalArgumentException("unknown option " + a);
                }
            }
        }
        return new AppOptions(dataDir, tour, address);
    }

    private static String value(List<String> args, int i, String option) {
        if (i >= args.size()) throw new IllegalArgumentException(option + " needs a folder");
        return nonEmpty(args.get(i), option);
    }

    private static String nonEmpty(String v, String option) {
        if (v.isBlank()) throw new IllegalArgumentException(option + " needs a folder");
        return v;
    }
}

package dev.hearth.desktop;

import java.util.List;

/// `main` for the classpath: a class that does not extend Application, so the JavaFX launcher check
/// ("JavaFX runtime components are missing") does not apply when JavaFX is on the classpath rather than the module path.
public final class Launcher {
    private Launcher() {}

    public static void main(String[] args) {
        List<String> list = List.of(args);
        if (list.contains("--help") || list.contains("-h")) {
            System.out.print(AppOptions.USAGE);
            return;
        }
        AppOptions options;
        try {
            options = AppOptions.parse(list);
        } catch (IllegalArgumentException e) {
            System.err.println("hearth: " + e.getMessage());
            System.err.print(AppOptions.USAGE);
            System.exit(2);
            return;
        }
        HearthApp.launch(options, HearthApp.SERVICE_LOADER);
        // The node's threads are gone after close(); exit anyway so a stuck library thread cannot keep the JVM alive.
        System.exit(0);
    }
}

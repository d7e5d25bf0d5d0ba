package dev.hearth.node;

/// Hearth's own version, as sent in Hello and shown in the app.
public final class Version {
    public static final String CURRENT = "0.1.0";

    private Version() {}
}

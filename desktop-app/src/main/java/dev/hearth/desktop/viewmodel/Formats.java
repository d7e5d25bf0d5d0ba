package dev.hearth.desktop.viewmodel;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import dev.hearth.node.api.Units;
import java.util.Locale;

/// How numbers read in the app: "38 KiB", "1.2 M tokens", "3.4 h". One place so every screen agrees; sizes and
/// credits come from the node's [Units], so the app, `hearth status` and the log agree too.
public final class Formats {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm");
    private static final DateTimeFormatter DATE_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

    private Formats() {}

    /// Binary multiples with IEC symbols (1 KiB = 1024 B), one decimal below 10 of a unit: [Units#bytes].
    public static String bytes(long bytes) {
        return Units.bytes(bytes);
    }

    /// One decimal, thousands grouped, the same in the header and every row: [Units#credits].
    public static String credits(double credits) {
        return Units.credits(credits);
    }

    public static String count(long n) {
        if (n < 1_000) return Long.toString(n);
        if (n < 1_000_000) return String.format(Locale.ROOT, "%.1f k", n / 1e3);
        if (n < 1_000_000_000) return String.format(Locale.ROOT, "%.1f M", n / 1e6);
        return String.format(Locale.ROOT, "%.2f G", n / 1e9);
    }

    public static String hours(double seconds) {
        if (seconds < 60) return String.format(Locale.ROOT, "%.0f s", seconds);
        if (seconds < 3600) return String.format(Locale.ROOT, "%.0f min", seconds / 60);
        return String.format(Locale.ROOT, "%.1f h", seconds / 3600);
    }

    public static String decimal(double value, int digits) {
        if (Double.isNaN(value)) return "—";
        return String.format(Locale.ROOT, "%." + digits + "f", value);
    }

    public static String percent(double fraction) {
        if (Double.isNaN(fraction)) return "—";
        return String.format(Locale.ROOT, "%.0f %%", fraction * 100);
    }

    public static String clock(Instant at, ZoneId zone) {
        return at == null ? "" : TIME.format(at.atZone(zone));
    }

    public static String dateTime(Instant at, ZoneId zone) {
        return at == null ? "" : DATE_TIME.format(at.atZone(zone));
    }

    public static String duration(Duration d) {
        long minutes = Math.max(0, d.toMinutes());
        return minutes < 60 ? minutes + " min" : (minutes / 60) + " h " + (minutes % 60) + " min";
    }
}

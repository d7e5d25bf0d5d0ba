package dev.hearth.engine.cuda;

import java.util.Locale;

/// Byte counts in words for messages: `512 MiB`, `1.2 GiB`, `300 B`.
final class ByteSize {

    private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB"};

    private ByteSize() {
    }

    /// Binary units with at most one decimal, dropped when it is zero (`512 MiB`, not `512.0 MiB`).
    static String format(long bytes) {
        if (bytes < 1024 && bytes > -1024) {
            return bytes + " B";
        }
        double value = bytes;
        int unit = 0;
        while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
            value /= 1024;
            unit++;
        }
        double rounded = Math.round(value * 10) / 10.0;
        if (Math.abs(rounded) >= 1024 && unit < UNITS.length - 1) { // 1023.96 MiB rounds to 1 GiB, not 1024 MiB
            rounded = Math.round(rounded / 1024 * 10) / 10.0;
            unit++;
        }
        String number = rounded == Math.rint(rounded)
                ? Long.toString((long) rounded)
                : String.format(Locale.ROOT, "%.1f", rounded);
        return number + " " + UNITS[unit];
    }
}

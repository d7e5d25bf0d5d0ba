package dev.hearth.node.api;

import java.util.Locale;

/// How sizes, rates and credits read everywhere Hearth shows them — the app, `hearth status`, `hearth node` and the
/// log — so that one number never reads two ways.
///
/// **Sizes are binary, with IEC symbols**: 1 KiB = 1024 B, 1 MiB = 1024 KiB (45,356 bytes is "44 KiB", not
/// "44 KB", which would be 44,000 bytes). Binary because the limits the owner types are binary (KiB/s, MiB per
/// day) and memory sizes are; IEC symbols because "KB" would then be wrong. Below 10 of a unit one decimal is
/// shown ("1.5 MiB"), above it none ("44 KiB").
///
/// **Credits** have one decimal and thousands separators everywhere ("40,960.0"): the coordinator grants
/// fractions, and a header and a table row must show the same figure the same way.
public final class Units {

    private static final String[] BYTE_UNITS = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

    private Units() {}

    /// "512 B", "44 KiB", "1.5 MiB", "12 GiB"; "unknown" for a negative count.
    public static String bytes(long bytes) {
        if (bytes < 0) return "unknown";
        if (bytes < 1024) return bytes + " B";
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
            value /= 1024;
            unit++;
        }
        // 1023.96 KiB would round to "1024 KiB": show it as the next unit instead
        if (Math.round(value) >= 1024 && unit < BYTE_UNITS.length - 1) {
            value /= 1024;
            unit++;
        }
        String number = value < 9.95 ? String.format(Locale.ROOT, "%.1f", value) : String.format(Locale.ROOT, "%.0f", value);
        return number + " " + BYTE_UNITS[unit];
    }

    /// "64 KiB/s"; "no cap" for 0.
    public static String rate(long bytesPerSecond) {
        return bytesPerSecond == 0 ? "no cap" : bytes(bytesPerSecond) + "/s";
    }

    /// "40,960.0": one decimal, thousands grouped.
    public static String credits(double credits) {
        if (Double.isNaN(credits)) return "—";
        return String.format(Locale.ROOT, "%,.1f", credits);
    }
}

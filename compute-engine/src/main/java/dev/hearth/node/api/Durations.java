package dev.hearth.node.api;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/// Durations as people type them on a command line (`1h`, `30m`, `1h30m`, `90s`, `2d`, or ISO `PT1H`)
/// and as they read them ("1 h 30 min").
public final class Durations {

    private static final Pattern HUMAN = Pattern.compile("(?:(\\d{1,4})d)?(?:(\\d{1,5})h)?(?:(\\d{1,6})m(?:in)?)?(?:(\\d{1,7})s)?");

    private Durations() {}

    /// @throws IllegalArgumentException naming the text, when it is neither form
    public static Duration parse(String text) {
        String t = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
        if (t.startsWith("p")) {
            try {
                return Duration.parse(t.toUpperCase(Locale.ROOT));
            } catch (java.time.format.DateTimeParseException e) {
                throw new IllegalArgumentException("'" + text + "' is not a duration (try 1h, 30m or 1h30m)");
            }
        }
        Matcher m = HUMAN.matcher(t);
        if (t.isEmpty() || !m.matches()) throw new IllegalArgumentException("'" + text + "' is not a duration (try 1h, 30m or 1h30m)");
        Duration d = Duration.ZERO;
        if (m.group(1) != null) d = d.plusDays(Long.parseLong(m.group(1)));
        if (m.group(2) != null) d = d.plusHours(Long.parseLong(m.group(2)));
        if (m.group(3) != null) d = d.plusMinutes(Long.parseLong(m.group(3)));
        if (m.group(4) != null) d = d.plusSeconds(Long.parseLong(m.group(4)));
        return d;
    }

    /// "1 h 30 min", "45 s", "2 d 3 h": whole units, largest first, zeros left out.
    public static String words(Duration d) {
        if (d.isNegative()) return "-" + words(d.negated());
        long s = d.toSeconds();
        if (s == 0) return "0 s";
        StringBuilder b = new StringBuilder();
        long days = s / 86_400, hours = s / 3600 % 24, minutes = s / 60 % 60, seconds = s % 60;
        if (days > 0) b.append(days).append(" d ");
        if (hours > 0) b.append(hours).append(" h ");
        if (minutes > 0) b.append(minutes).append(" min ");
        if (seconds > 0 && days == 0 && hours == 0) b.append(seconds).append(" s ");
        return b.toString().strip();
    }
}

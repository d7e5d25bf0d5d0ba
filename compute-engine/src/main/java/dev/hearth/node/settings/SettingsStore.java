package dev.hearth.node.settings;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.node.api.InvalidSettingException;
import dev.hearth.node.api.EnergySettings;
import dev.hearth.node.api.NodeSettings;
import dev.hearth.node.api.NodeSettings.Policy;
import dev.hearth.node.api.NodeSettings.ScheduleWindow;
import dev.hearth.node.log.EventLog;
import dev.hearth.node.log.NodeLogger;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.DayOfWeek;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/// The owner's [NodeSettings] as `settings.json` in the data dir.
///
/// Writes are atomic (temp file, fsync, rename), so a crash leaves the old or the new file, never half
/// of one. A file that cannot be read as settings — broken JSON, a wrong type, a value that fails
/// [NodeSettings#validate()] — is reported in the event log naming the file and the problem, moved
/// aside as `settings.json.corrupt-<UTC time>` for the owner to inspect, and replaced by the defaults.
/// Loading never throws.
///
/// Fields missing from the file take their default value, and unknown fields are ignored, so a file
/// written by an older or newer Hearth still loads.
public final class SettingsStore {

    public static final String FILE_NAME = "settings.json";
    /// Bumped when a field changes meaning; fields may be added without a bump (missing ⇒ default).
    public static final int FORMAT_VERSION = 1;
    /// 1 MiB: a real settings file is ~1 KB; anything this large is not ours and is not parsed.
    static final long MAX_FILE_BYTES = 1 << 20;
    private static final DateTimeFormatter CORRUPT_SUFFIX =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'", Locale.ROOT).withZone(ZoneOffset.UTC);

    private final Path file;
    private final NodeLogger log;
    private final Clock clock;
    private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /// The outcome of [#load()].
    ///
    /// @param settings   what to use: the file's settings, or the defaults
    /// @param problem    empty when the file was fine or absent; else what was wrong, for the owner
    /// @param movedAside where the bad file now is, or null
    public record LoadResult(NodeSettings settings, String problem, Path movedAside) {
        public boolean recovered() {
            return !problem.isEmpty();
        }
    }

    public SettingsStore(Path dataDir, EventLog eventLog, Clock clock) {
        this.file = dataDir.resolve(FILE_NAME);
        this.log = eventLog.logger("settings");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    public Path file() {
        return file;
    }

    /// Reads the settings; on a missing file writes and returns the defaults; on a bad file reports
    /// it, moves it aside and returns (and writes) the defaults. Never throws.
    public synchronized LoadResult load() {
        NodeSettings defaults = NodeSettings.defaults();
        String problem;
        try {
            long size = Files.size(file);
            if (size > MAX_FILE_BYTES) {
                problem = "the file is " + size + " bytes, larger than any settings file (" + MAX_FILE_BYTES + " bytes)";
            } else {
                return new LoadResult(parse(Files.readString(file)).validate(), "", null);
            }
        } catch (NoSuchFileException e) {
            log.info("no settings file yet; using the defaults and writing " + file);
            writeQuietly(defaults);
            return new LoadResult(defaults, "", null);
        } catch (java.nio.charset.CharacterCodingException e) {
            problem = "it is not UTF-8 text (a binary or damaged file)";
        } catch (JsonProcessingException e) {
            problem = "it is not valid JSON (" + e.getOriginalMessage() + " at line " + lineOf(e) + ")";
        } catch (SettingsFormatException e) {
            problem = e.getMessage();
        } catch (InvalidSettingException e) {
            problem = "the value of " + e.field() + " is not allowed (" + e.problem() + ")";
        } catch (IOException | RuntimeException e) {
            // Whatever else goes wrong reading one small file must not stop the node.
            problem = "it cannot be read (" + e + ")";
        }
        Path aside = moveAside();
        log.warn("Settings file " + file + " is unusable: " + problem + ". "
                + (aside != null ? "It was moved to " + aside.getFileName() + " and the defaults are in use."
                                 : "It could not be moved aside; the defaults are in use."));
        writeQuietly(defaults);
        return new LoadResult(defaults, problem, aside);
    }

    /// The settings in `dataDir` if its file is there and sound; never writes, moves or logs (for
    /// `./hearth status`, which must not change a running node's data dir).
    public static java.util.Optional<NodeSettings> peek(Path dataDir) {
        Path f = dataDir.resolve(FILE_NAME);
        try {
            if (!Files.isRegularFile(f) || Files.size(f) > MAX_FILE_BYTES) return java.util.Optional.empty();
            SettingsStore reader = new SettingsStore(dataDir, new EventLog(Clock.systemUTC()), Clock.systemUTC());
            return java.util.Optional.of(reader.parse(Files.readString(f)).validate());
        } catch (IOException | SettingsFormatException | InvalidSettingException | RuntimeException e) {
            return java.util.Optional.empty();
        }
    }

    /// Validates and writes atomically.
    ///
    /// @throws InvalidSettingException naming the first bad field; nothing is written then
    /// @throws IOException             when the file cannot be written
    public synchronized void save(NodeSettings settings) throws InvalidSettingException, IOException {
        Objects.requireNonNull(settings, "settings").validate();
        byte[] bytes = json.writeValueAsBytes(toJson(settings));
        Path tmp = file.resolveSibling(FILE_NAME + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(java.nio.ByteBuffer.wrap(bytes));
            ch.force(true); // the data must be on disk before the rename makes it the settings file
        }
        DataDirs.restrictToOwner(tmp);
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private void writeQuietly(NodeSettings settings) {
        try {
            save(settings);
        } catch (IOException | InvalidSettingException e) {
            log.error("cannot write " + file + "; settings will not survive a restart", e);
        }
    }

    private Path moveAside() {
        String base = FILE_NAME + ".corrupt-" + CORRUPT_SUFFIX.format(clock.instant());
        Path aside = file.resolveSibling(base);
        // Never overwrite an earlier bad file: it may be the one the owner wants back.
        for (int n = 2; Files.exists(aside) && n < 100; n++) aside = file.resolveSibling(base + "-" + n);
        try {
            return Files.move(file, aside);
        } catch (IOException e) {
            log.error("cannot move the bad settings file aside", e);
            return null;
        }
    }

    private static String lineOf(JsonProcessingException e) {
        return e.getLocation() == null ? "?" : Integer.toString(e.getLocation().getLineNr());
    }

    // ---- JSON mapping, by hand: every field gets a precise error and a default when missing.

    ObjectNode toJson(NodeSettings s) {
        ObjectNode o = json.createObjectNode();
        o.put("format", FORMAT_VERSION);
        o.put("policy", s.policy().name());
        o.put("idleMinutes", s.idleMinutes());
        ArrayNode windows = o.putArray("schedule");
        for (ScheduleWindow w : s.schedule()) {
            ObjectNode wn = windows.addObject();
            ArrayNode days = wn.putArray("days");
            w.days().forEach(d -> days.add(d.name()));
            wn.put("start", w.start().toString());
            wn.put("end", w.end().toString());
        }
        o.put("runOnBattery", s.runOnBattery());
        o.put("gpuTemperatureCapC", s.gpuTemperatureCapC());
        o.put("gpuPowerCapWatts", s.gpuPowerCapWatts());
        o.put("uploadCapBytesPerSec", s.uploadCapBytesPerSec());
        o.put("downloadCapBytesPerSec", s.downloadCapBytesPerSec());
        o.put("dailyVolumeCapBytes", s.dailyVolumeCapBytes());
        o.put("gpuIndex", s.gpuIndex());
        o.put("startWithOs", s.startWithOs());
        o.put("logLevel", s.logLevel());
        o.put("runAddress", s.runAddress());
        o.put("dataCacheCapBytes", s.dataCacheCapBytes());
        o.put("cpuCores", s.cpuCores());
        o.put("cpuPercent", s.cpuPercent());
        EnergySettings e = s.energy();
        ObjectNode en = o.putObject("energy");
        en.put("pricePerKwh", e.pricePerKwh());
        en.put("currency", e.currency());
        if (e.hasCheapHours()) {
            en.put("cheapFrom", e.cheapFrom().toString());
            en.put("cheapUntil", e.cheapUntil().toString());
        }
        en.put("onlyCheapHours", e.onlyCheapHours());
        en.put("carbonFeedUrl", e.carbonFeedUrl());
        en.put("greenBelowGramsPerKwh", e.greenBelowGramsPerKwh());
        en.put("onlyWhenGreen", e.onlyWhenGreen());
        return o;
    }

    NodeSettings parse(String text) throws JsonProcessingException, SettingsFormatException {
        JsonNode root = json.readTree(text);
        if (root == null || root.isMissingNode()) throw new SettingsFormatException("the file is empty");
        if (!root.isObject()) throw new SettingsFormatException("it holds a JSON " + root.getNodeType().name().toLowerCase(Locale.ROOT) + ", not an object of settings");
        JsonNode format = root.get("format");
        if (format != null && (!format.canConvertToInt() || format.asInt() > FORMAT_VERSION)) {
            throw new SettingsFormatException("it has format " + format + ", newer than this Hearth understands (" + FORMAT_VERSION + ")");
        }
        NodeSettings d = NodeSettings.defaults();
        return new NodeSettings(
                enumField(root, "policy", Policy.class, d.policy()),
                intField(root, "idleMinutes", d.idleMinutes()),
                scheduleField(root, d.schedule()),
                boolField(root, "runOnBattery", d.runOnBattery()),
                intField(root, "gpuTemperatureCapC", d.gpuTemperatureCapC()),
                intField(root, "gpuPowerCapWatts", d.gpuPowerCapWatts()),
                longField(root, "uploadCapBytesPerSec", d.uploadCapBytesPerSec()),
                longField(root, "downloadCapBytesPerSec", d.downloadCapBytesPerSec()),
                longField(root, "dailyVolumeCapBytes", d.dailyVolumeCapBytes()),
                intField(root, "gpuIndex", d.gpuIndex()),
                boolField(root, "startWithOs", d.startWithOs()),
                textField(root, "logLevel", d.logLevel()),
                textField(root, "runAddress", d.runAddress()),
                longField(root, "dataCacheCapBytes", d.dataCacheCapBytes()),
                intField(root, "cpuCores", d.cpuCores()),
                intField(root, "cpuPercent", d.cpuPercent()),
                energyField(root, d.energy()));
    }

    private static EnergySettings energyField(JsonNode root, EnergySettings d) throws SettingsFormatException {
        JsonNode e = present(root, "energy");
        if (e == null) return d;
        if (!e.isObject()) throw wrongType("energy", "an object", e);
        JsonNode price = present(e, "pricePerKwh");
        if (price != null && !price.isNumber()) throw wrongType("energy.pricePerKwh", "a number", price);
        return new EnergySettings(price == null ? d.pricePerKwh() : price.doubleValue(),
                textField(e, "currency", d.currency()),
                present(e, "cheapFrom") == null ? null : time(e, "energy.cheapFrom", "cheapFrom"),
                present(e, "cheapUntil") == null ? null : time(e, "energy.cheapUntil", "cheapUntil"),
                boolField(e, "onlyCheapHours", d.onlyCheapHours()),
                textField(e, "carbonFeedUrl", d.carbonFeedUrl()),
                intField(e, "greenBelowGramsPerKwh", d.greenBelowGramsPerKwh()),
                boolField(e, "onlyWhenGreen", d.onlyWhenGreen()));
    }

    private static JsonNode present(JsonNode root, String field) {
        JsonNode n = root.get(field);
        return n == null || n.isNull() ? null : n;
    }

    private static int intField(JsonNode root, String field, int dflt) throws SettingsFormatException {
        JsonNode n = present(root, field);
        if (n == null) return dflt;
        if (!n.isIntegralNumber() || !n.canConvertToInt()) throw wrongType(field, "a whole number", n);
        return n.intValue();
    }

    private static long longField(JsonNode root, String field, long dflt) throws SettingsFormatException {
        JsonNode n = present(root, field);
        if (n == null) return dflt;
        if (!n.isIntegralNumber() || !n.canConvertToLong()) throw wrongType(field, "a whole number", n);
        return n.longValue();
    }

    private static boolean boolField(JsonNode root, String field, boolean dflt) throws SettingsFormatException {
        JsonNode n = present(root, field);
        if (n == null) return dflt;
        if (!n.isBoolean()) throw wrongType(field, "true or false", n);
        return n.booleanValue();
    }

    private static String textField(JsonNode root, String field, String dflt) throws SettingsFormatException {
        JsonNode n = present(root, field);
        if (n == null) return dflt;
        if (!n.isTextual()) throw wrongType(field, "text", n);
        return n.textValue();
    }

    private static <E extends Enum<E>> E enumField(JsonNode root, String field, Class<E> type, E dflt) throws SettingsFormatException {
        String s = textField(root, field, null);
        if (s == null) return dflt;
        try {
            return Enum.valueOf(type, s);
        } catch (IllegalArgumentException e) {
            throw new SettingsFormatException(field + " is \"" + s + "\", which is not one of " + List.of(type.getEnumConstants()));
        }
    }

    private static List<ScheduleWindow> scheduleField(JsonNode root, List<ScheduleWindow> dflt) throws SettingsFormatException {
        JsonNode n = present(root, "schedule");
        if (n == null) return dflt;
        if (!n.isArray()) throw wrongType("schedule", "a list of windows", n);
        List<ScheduleWindow> out = new ArrayList<>();
        for (int i = 0; i < n.size(); i++) {
            JsonNode w = n.get(i);
            String where = "schedule[" + i + "]";
            if (!w.isObject()) throw wrongType(where, "a window {days, start, end}", w);
            JsonNode days = w.get("days");
            if (days == null || !days.isArray()) throw wrongType(where + ".days", "a list of days", days);
            List<DayOfWeek> dayList = new ArrayList<>();
            for (JsonNode d : days) {
                try {
                    dayList.add(DayOfWeek.valueOf(d.asText().toUpperCase(Locale.ROOT)));
                } catch (IllegalArgumentException e) {
                    throw new SettingsFormatException(where + ".days has \"" + d.asText() + "\", which is not a day (MONDAY..SUNDAY)");
                }
            }
            out.add(new ScheduleWindow(List.copyOf(dayList), time(w, where + ".start", "start"), time(w, where + ".end", "end")));
        }
        return List.copyOf(out);
    }

    private static LocalTime time(JsonNode w, String where, String field) throws SettingsFormatException {
        JsonNode n = w.get(field);
        if (n == null || !n.isTextual()) throw wrongType(where, "a time like \"22:00\"", n);
        try {
            return LocalTime.parse(n.textValue());
        } catch (DateTimeParseException e) {
            throw new SettingsFormatException(where + " is \"" + n.textValue() + "\", which is not a time like \"22:00\"");
        }
    }

    private static SettingsFormatException wrongType(String field, String expected, JsonNode found) {
        return new SettingsFormatException(field + " should be " + expected + " but is " + (found == null ? "missing" : found.toString()));
    }

    /// The file is JSON but not settings: a wrong type or an unparseable value.
    static final class SettingsFormatException extends Exception {
        SettingsFormatException(String message) {
            super(message);
        }
    }
}

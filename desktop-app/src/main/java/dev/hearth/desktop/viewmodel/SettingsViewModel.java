package dev.hearth.desktop.viewmodel;

import dev.hearth.desktop.os.Autostart;
import dev.hearth.node.api.HardwareSample;
import dev.hearth.node.api.InvalidSettingException;
import dev.hearth.node.api.NodeService;
import dev.hearth.node.api.EnergySettings;
import dev.hearth.node.api.NodeSettings;
import dev.hearth.node.api.NodeSettings.Policy;
import dev.hearth.node.api.NodeSettings.ScheduleWindow;
import java.time.DayOfWeek;
import java.time.LocalTime;
import java.time.format.DateTimeParseException;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import javafx.collections.ObservableMap;

/// Every setting the owner can change. Each edit is checked at once: a bad value is refused and the message
/// (from {@link NodeSettings#validate()} or from parsing) is put under the field's name in {@link #errors()};
/// a good one is applied through {@link NodeService#updateSettings} in the background, without a restart.
///
/// Error keys are the {@link NodeSettings} component names, as {@link InvalidSettingException#field()} gives them.
public final class SettingsViewModel {
    public static final String AUTOMATIC_GPU = "Automatic";
    private static final long KIB = 1024;
    private static final long MIB = 1024 * 1024;

    private final NodeService node;
    private final BackgroundTasks tasks;
    private final Autostart autostart;

    private final ReadOnlyObjectWrapper<NodeSettings> applied = new ReadOnlyObjectWrapper<>();
    private final ObservableMap<String, String> errors = FXCollections.observableHashMap();
    private final ReadOnlyStringWrapper status = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper autostartNote = new ReadOnlyStringWrapper("");
    private final ObservableList<String> gpuChoices = FXCollections.observableArrayList(AUTOMATIC_GPU);
    private final ReadOnlyStringWrapper gpuSettingsNote = new ReadOnlyStringWrapper("");
    // The policy before "only in the schedule windows" was switched on, so switching it off restores "Always".
    private Policy beforeSchedule;

    public SettingsViewModel(NodeService node, BackgroundTasks tasks, Autostart autostart) {
        this.node = Objects.requireNonNull(node, "node");
        this.tasks = Objects.requireNonNull(tasks, "tasks");
        this.autostart = Objects.requireNonNull(autostart, "autostart");
        reload();
    }

    /// Takes the node's current settings and GPU list (on activation: the tray or another front end may have changed them).
    public void reload() {
        applied.set(node.settings());
        errors.clear();
        HardwareSample h = node.hardware();
        List<String> choices = new ArrayList<>();
        choices.add(AUTOMATIC_GPU);
        if (h != null) for (int i = 0; i < h.gpus().size(); i++) choices.add(i + ": " + h.gpus().get(i).name());
        int chosen = applied.get().gpuIndex();
        if (chosen >= 0 && chosen + 1 >= choices.size()) choices.add(chosen + ": (not visible now)");
        gpuChoices.setAll(choices);
        boolean measured = h != null && h.memoryTotalBytes() > 0; // an empty sample says nothing yet
        gpuSettingsNote.set(measured && h.gpus().isEmpty() && chosen < 0 ? NO_GPU_NOTE : "");
    }

    /// Why the GPU settings are greyed out on a machine without one.
    public static final String NO_GPU_NOTE = "No NVIDIA GPU found: Hearth trains on the processor, so the GPU settings "
            + "below do nothing here. They apply once a GPU is found.";

    // --- the policy: "only when idle" and "only in the schedule windows" are two switches over one enum

    public void setOnlyWhenIdle(boolean on) {
        Policy p = applied.get().policy() == Policy.SCHEDULE ? Policy.SCHEDULE : on ? Policy.WHEN_IDLE : Policy.ALWAYS;
        edit("policy", d -> d.policy(p));
    }

    public void setUseSchedule(boolean on) {
        Policy current = applied.get().policy();
        if (on && current != Policy.SCHEDULE) beforeSchedule = current;
        Policy p = on ? Policy.SCHEDULE : beforeSchedule != null ? beforeSchedule : Policy.WHEN_IDLE;
        edit("policy", d -> d.policy(p));
    }

    public void setIdleMinutes(String text) {
        parseInt("idleMinutes", text).ifPresent(v -> edit("idleMinutes", d -> d.idleMinutes(v)));
    }

    /// @param start,end "HH:mm"; end before start wraps past midnight
    public boolean addScheduleWindow(Set<DayOfWeek> days, String start, String end) {
        LocalTime from;
        LocalTime to;
        try {
            from = LocalTime.parse(start.strip());
            to = LocalTime.parse(end.strip());
        } catch (DateTimeParseException | NullPointerException e) {
            errors.put("schedule", "enter times as HH:MM, e.g. 22:00");
            return false;
        }
        List<DayOfWeek> sorted = days.stream().sorted().toList();
        List<ScheduleWindow> next = new ArrayList<>(applied.get().schedule());
        next.add(new ScheduleWindow(sorted, from, to));
        return edit("schedule", d -> d.schedule(List.copyOf(next)));
    }

    public void removeScheduleWindow(int index) {
        List<ScheduleWindow> next = new ArrayList<>(applied.get().schedule());
        if (index < 0 || index >= next.size()) return;
        next.remove(index);
        edit("schedule", d -> d.schedule(List.copyOf(next)));
    }

    public void setRunOnBattery(boolean on) {
        edit("runOnBattery", d -> d.runOnBattery(on));
    }

    public void setTemperatureCap(String celsius) {
        parseInt("gpuTemperatureCapC", celsius).ifPresent(v -> edit("gpuTemperatureCapC", d -> d.gpuTemperatureCapC(v)));
    }

    public void setPowerCap(String watts) {
        parseInt("gpuPowerCapWatts", watts).ifPresent(v -> edit("gpuPowerCapWatts", d -> d.gpuPowerCapWatts(v)));
    }

    /// KiB/s as the owner types it; 0 = no cap.
    public void setUploadCapKiB(String kib) {
        scaled("uploadCapBytesPerSec", kib, KIB).ifPresent(v -> edit("uploadCapBytesPerSec", d -> d.uploadCapBytesPerSec(v)));
    }

    public void setDownloadCapKiB(String kib) {
        scaled("downloadCapBytesPerSec", kib, KIB).ifPresent(v -> edit("downloadCapBytesPerSec", d -> d.downloadCapBytesPerSec(v)));
    }

    /// MiB per day as the owner types it; 0 = no cap.
    public void setDailyCapMiB(String mib) {
        scaled("dailyVolumeCapBytes", mib, MIB).ifPresent(v -> edit("dailyVolumeCapBytes", d -> d.dailyVolumeCapBytes(v)));
    }

    // ---- energy (issue 16 item 6): tariff, cheap hours, grid feed

    /// The price of a kWh as the owner types it ("0.30", "0,30"); empty or 0 = no tariff.
    public void setPricePerKwh(String text) {
        String t = text == null ? "" : text.strip().replace(',', '.');
        double price;
        try {
            price = t.isEmpty() ? 0 : Double.parseDouble(t);
        } catch (NumberFormatException e) {
            errors.put("pricePerKwh", "\"" + t + "\" is not a price (e.g. 0.30)");
            updateStatusAfterRefusal();
            return;
        }
        edit("pricePerKwh", d -> d.energy(e -> new EnergySettings(price, e.currency(), e.cheapFrom(), e.cheapUntil(),
                e.onlyCheapHours(), e.carbonFeedUrl(), e.greenBelowGramsPerKwh(), e.onlyWhenGreen())));
    }

    /// ISO 4217, e.g. EUR; lower case is accepted and raised.
    public void setCurrency(String code) {
        String c = code == null ? "" : code.strip().toUpperCase(Locale.ROOT);
        edit("currency", d -> d.energy(e -> new EnergySettings(e.pricePerKwh(), c, e.cheapFrom(), e.cheapUntil(),
                e.onlyCheapHours(), e.carbonFeedUrl(), e.greenBelowGramsPerKwh(), e.onlyWhenGreen())));
    }

    /// "23:00" to "06:00"; both empty = no cheap hours.
    public void setCheapHours(String from, String until) {
        LocalTime f = null;
        LocalTime u = null;
        String a = from == null ? "" : from.strip();
        String b = until == null ? "" : until.strip();
        if (!a.isEmpty() || !b.isEmpty()) {
            try {
                f = LocalTime.parse(a);
                u = LocalTime.parse(b);
            } catch (java.time.format.DateTimeParseException e) {
                errors.put("cheapHours", "enter times as HH:MM, e.g. 23:00 and 06:00");
                updateStatusAfterRefusal();
                return;
            }
        }
        LocalTime from2 = f;
        LocalTime until2 = u;
        edit("cheapHours", d -> d.energy(e -> new EnergySettings(e.pricePerKwh(), e.currency(), from2, until2,
                e.onlyCheapHours() && from2 != null, e.carbonFeedUrl(), e.greenBelowGramsPerKwh(), e.onlyWhenGreen())));
    }

    public void setOnlyCheapHours(boolean on) {
        edit("onlyCheapHours", d -> d.energy(e -> new EnergySettings(e.pricePerKwh(), e.currency(), e.cheapFrom(), e.cheapUntil(),
                on, e.carbonFeedUrl(), e.greenBelowGramsPerKwh(), e.onlyWhenGreen())));
    }

    public void setCarbonFeedUrl(String url) {
        String u = url == null ? "" : url.strip();
        edit("carbonFeedUrl", d -> d.energy(e -> new EnergySettings(e.pricePerKwh(), e.currency(), e.cheapFrom(), e.cheapUntil(),
                e.onlyCheapHours(), u, e.greenBelowGramsPerKwh(), e.onlyWhenGreen() && !u.isEmpty())));
    }

    /// g CO₂/kWh.
    public void setGreenBelow(String grams) {
        parseInt("greenBelowGramsPerKwh", grams).ifPresent(v -> edit("greenBelowGramsPerKwh", d -> d.energy(e -> new EnergySettings(
                e.pricePerKwh(), e.currency(), e.cheapFrom(), e.cheapUntil(), e.onlyCheapHours(), e.carbonFeedUrl(), v,
                e.onlyWhenGreen()))));
    }

    public void setOnlyWhenGreen(boolean on) {
        edit("onlyWhenGreen", d -> d.energy(e -> new EnergySettings(e.pricePerKwh(), e.currency(), e.cheapFrom(), e.cheapUntil(),
                e.onlyCheapHours(), e.carbonFeedUrl(), e.greenBelowGramsPerKwh(), on)));
    }

    /// The typed number times `unit` bytes; a product past `long` is "too large", never a wrapped negative.
    private Optional<Long> scaled(String field, String text, long unit) {
        return parseLong(field, text).flatMap(v -> {
            try {
                return Optional.of(Math.multiplyExact(v, unit));
            } catch (ArithmeticException e) {
                errors.put(field, "that number is too large");
                updateStatusAfterRefusal();
                return Optional.empty();
            }
        });
    }

    /// @param choice an entry of {@link #gpuChoices()}
    public void setGpu(String choice) {
        int index = choice == null || choice.equals(AUTOMATIC_GPU) ? -1 : Integer.parseInt(choice.substring(0, choice.indexOf(':')));
        edit("gpuIndex", d -> d.gpuIndex(index));
    }

    public void setLogLevel(String level) {
        edit("logLevel", d -> d.logLevel(level));
    }

    /// Switches runs at once: "local" starts the embedded run, an address joins it (the node saves the address itself).
    public void setRunAddress(String address) {
        String value = address == null ? "" : address.strip();
        var problem = RunAddress.settingsProblem(value);
        if (problem.isPresent()) {
            errors.put("runAddress", problem.get());
            return;
        }
        errors.remove("runAddress");
        if (value.equals(applied.get().runAddress())) return;
        NodeSettings switched = new Draft(applied.get()).runAddress(value).build();
        status.set("Switching run…");
        tasks.run(() -> {
            if (value.equals(RunAddress.LOCAL)) node.startLocalRun(); else node.joinRun(value);
            return value;
        }, ok -> {
            applied.set(switched);
            status.set(value.equals(RunAddress.LOCAL) ? "Starting the local run" : "Joining " + value);
        }, failure -> {
            if (failure instanceof IllegalArgumentException) {
                errors.put("runAddress", BackgroundTasks.describe(failure));
                status.set("");
            } else {
                status.set("Could not switch runs: " + BackgroundTasks.describe(failure));
            }
        });
    }

    /// Saves the choice and writes (or removes) the login item in the background.
    public void setStartWithOs(boolean on) {
        if (!edit("startWithOs", d -> d.startWithOs(on))) return;
        tasks.run(() -> autostart.apply(on), autostartNote::set,
                failure -> autostartNote.set("Could not change the login item: " + BackgroundTasks.describe(failure)));
    }

    /// The chosen GPU's label in {@link #gpuChoices()}.
    public String gpuChoice() {
        int i = applied.get().gpuIndex();
        if (i < 0) return AUTOMATIC_GPU;
        return gpuChoices.stream().filter(c -> c.startsWith(i + ":")).findFirst().orElse(AUTOMATIC_GPU);
    }

    public String dataDir() {
        return node.dataDir().toAbsolutePath().toString();
    }

    /// Builds the candidate, validates it here (cheap, so the message appears at once), then applies it in the background.
    private boolean edit(String field, UnaryOperator<Draft> change) {
        NodeSettings candidate = change.apply(new Draft(applied.get())).build();
        try {
            candidate.validate();
        } catch (InvalidSettingException e) {
            errors.put(e.field(), e.problem());
            updateStatusAfterRefusal();
            return false;
        }
        errors.remove(field);
        if (candidate.equals(applied.get())) {
            if (errors.isEmpty()) status.set("");
            return true;
        }
        applied.set(candidate);
        status.set("Saving…");
        tasks.run(() -> {
            node.updateSettings(candidate);
            return candidate;
        }, ok -> status.set(errors.isEmpty() ? "Saved — in effect now"
                : "Saved, except " + pending() + " (marked in red: fix " + (errors.size() == 1 ? "it" : "them") + " to save)"), failure -> {
            applied.set(node.settings());
            if (failure instanceof InvalidSettingException e) {
                // The node may refuse a field this form does not show (e.g. "dataDir" when the disk is full).
                errors.put(e.field(), e.problem());
                status.set("Not saved: " + e.getMessage());
            } else {
                status.set("Could not save: " + BackgroundTasks.describe(failure));
            }
        });
        return true;
    }

    /// A refused value is never saved and never silently replaced: the status says which fields wait for a fix.
    private void updateStatusAfterRefusal() {
        status.set("Not saved: " + pending() + " (marked in red)");
    }

    private String pending() {
        return String.join(", ", errors.keySet().stream().sorted().map(SettingsViewModel::label).toList());
    }

    /// The field's name as the form shows it.
    static String label(String field) {
        return switch (field) {
            case "idleMinutes" -> "idle minutes";
            case "gpuTemperatureCapC" -> "GPU temperature cap";
            case "gpuPowerCapWatts" -> "GPU power cap";
            case "uploadCapBytesPerSec" -> "upload cap";
            case "downloadCapBytesPerSec" -> "download cap";
            case "dailyVolumeCapBytes" -> "daily data cap";
            case "runAddress" -> "run address";
            case "schedule" -> "schedule";
            case "pricePerKwh" -> "price per kWh";
            case "currency" -> "currency";
            case "cheapHours" -> "cheap hours";
            case "onlyCheapHours" -> "only in cheap hours";
            case "carbonFeedUrl" -> "grid feed address";
            case "greenBelowGramsPerKwh" -> "green threshold";
            case "onlyWhenGreen" -> "only when the grid is green";
            default -> field;
        };
    }

    private Optional<Integer> parseInt(String field, String text) {
        return parseLong(field, text).flatMap(v -> {
            if (v > Integer.MAX_VALUE || v < Integer.MIN_VALUE) {
                errors.put(field, "that number is too large");
                updateStatusAfterRefusal();
                return Optional.empty();
            }
            return Optional.of(v.intValue());
        });
    }

    private Optional<Long> parseLong(String field, String text) {
        String t = text == null ? "" : text.strip().replace("_", "");
        try {
            return Optional.of(Long.parseLong(t));
        } catch (NumberFormatException e) {
            // "99999999999999999999" is a whole number, just one too large for any setting
            errors.put(field, t.isEmpty() ? "enter a number"
                    : t.matches("[+-]?\\d+") ? "that number is too large" : "\"" + t + "\" is not a whole number");
            updateStatusAfterRefusal();
            return Optional.empty();
        }
    }

    public static String describe(ScheduleWindow w) {
        String days = w.days().size() == 7 ? "Every day"
                : String.join(", ", w.days().stream().map(d -> d.getDisplayName(TextStyle.SHORT, Locale.ENGLISH)).toList());
        return days + " " + w.start() + "–" + w.end() + (w.end().isBefore(w.start()) ? " (next day)" : "");
    }

    public ReadOnlyObjectProperty<NodeSettings> appliedProperty() { return applied.getReadOnlyProperty(); }
    /// Field name → what is wrong with the value typed there.
    public ObservableMap<String, String> errors() { return errors; }
    public ReadOnlyStringProperty statusProperty() { return status.getReadOnlyProperty(); }
    public ReadOnlyStringProperty autostartNoteProperty() { return autostartNote.getReadOnlyProperty(); }
    public ObservableList<String> gpuChoices() { return gpuChoices; }
    /// "" when a GPU is visible (or not measured yet); otherwise why the GPU settings are disabled.
    public ReadOnlyStringProperty gpuSettingsNoteProperty() { return gpuSettingsNote.getReadOnlyProperty(); }
    public boolean autostartSupported() { return autostart.supported(); }

    /// A mutable copy of the settings for one edit; NodeSettings itself stays immutable.
    private static final class Draft {
        private Policy policy;
        private int idleMinutes;
        private List<ScheduleWindow> schedule;
        private boolean runOnBattery;
        private int gpuTemperatureCapC;
        private int gpuPowerCapWatts;
        private long uploadCapBytesPerSec;
        private long downloadCapBytesPerSec;
        private long dailyVolumeCapBytes;
        private int gpuIndex;
        private boolean startWithOs;
        private String logLevel;
        private String runAddress;
        private long dataCacheCapBytes;
        private EnergySettings energy;

        Draft(NodeSettings s) {
            policy = s.policy(); idleMinutes = s.idleMinutes(); schedule = s.schedule(); runOnBattery = s.runOnBattery();
            gpuTemperatureCapC = s.gpuTemperatureCapC(); gpuPowerCapWatts = s.gpuPowerCapWatts();
            uploadCapBytesPerSec = s.uploadCapBytesPerSec(); downloadCapBytesPerSec = s.downloadCapBytesPerSec();
            dailyVolumeCapBytes = s.dailyVolumeCapBytes(); gpuIndex = s.gpuIndex(); startWithOs = s.startWithOs();
            logLevel = s.logLevel(); runAddress = s.runAddress(); dataCacheCapBytes = s.dataCacheCapBytes();
            energy = s.energy();
        }

        Draft policy(Policy v) { policy = v; return this; }
        Draft idleMinutes(int v) { idleMinutes = v; return this; }
        Draft schedule(List<ScheduleWindow> v) { schedule = v; return this; }
        Draft runOnBattery(boolean v) { runOnBattery = v; return this; }
        Draft gpuTemperatureCapC(int v) { gpuTemperatureCapC = v; return this; }
        Draft gpuPowerCapWatts(int v) { gpuPowerCapWatts = v; return this; }
        Draft uploadCapBytesPerSec(long v) { uploadCapBytesPerSec = v; return this; }
        Draft downloadCapBytesPerSec(long v) { downloadCapBytesPerSec = v; return this; }
        Draft dailyVolumeCapBytes(long v) { dailyVolumeCapBytes = v; return this; }
        Draft gpuIndex(int v) { gpuIndex = v; return this; }
        Draft startWithOs(boolean v) { startWithOs = v; return this; }
        Draft logLevel(String v) { logLevel = v; return this; }
        Draft runAddress(String v) { runAddress = v; return this; }
        Draft energy(UnaryOperator<EnergySettings> v) { energy = v.apply(energy); return this; }

        NodeSettings build() {
            return new NodeSettings(policy, idleMinutes, schedule, runOnBattery, gpuTemperatureCapC, gpuPowerCapWatts,
                    uploadCapBytesPerSec, downloadCapBytesPerSec, dailyVolumeCapBytes, gpuIndex, startWithOs, logLevel, runAddress,
                    dataCacheCapBytes, energy);
        }
    }
}

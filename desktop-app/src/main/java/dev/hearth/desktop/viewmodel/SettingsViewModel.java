package dev.hearth.desktop.viewmodel;

import dev.hearth.desktop.os.Autostart;
import dev.hearth.node.api.HardwareSample;
import dev.hearth.node.api.InvalidSettingException;
import dev.hearth.node.api.NodeService;
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
    /// The choice for {@link NodeSettings#GPU_INDEX_CPU}: the trainer never loads the GPU driver.
    public static final String CPU_ONLY = "CPU only (leave the GPU alone)";
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
    private final int machineCores;
    private final ReadOnlyStringWrapper runSwitchQuestion = new ReadOnlyStringWrapper("");
    private final javafx.beans.property.ReadOnlyBooleanWrapper switchPending = new javafx.beans.property.ReadOnlyBooleanWrapper(false);
    /// The address typed and checked, waiting for the owner's yes; null when none.
    private String pendingRunAddress;
    /// The address the node is asking (the owner said yes), until it answers or the owner cancels; null when none.
    private String switchingTo;
    /// Lets the view put the current run's address back into the field after a cancel.
    private Runnable refreshRunAddress = () -> {};

    public SettingsViewModel(NodeService node, BackgroundTasks tasks, Autostart autostart) {
        this(node, tasks, autostart, Runtime.getRuntime().availableProcessors());
    }

    /// @param machineCores the cores this computer has (the app and its node run on the same one)
    public SettingsViewModel(NodeService node, BackgroundTasks tasks, Autostart autostart, int machineCores) {
        this.machineCores = machineCores;
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
        choices.add(CPU_ONLY);
        if (h != null) for (int i = 0; i < h.gpus().size(); i++) choices.add(i + ": " + h.gpus().get(i).name());
        int chosen = applied.get().gpuIndex();
        if (chosen >= 0 && chosen + 2 >= choices.size()) choices.add(chosen + ": (not visible now)");
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
        edit("pricePerKwh", d -> d.energy(e -> e.toBuilder().pricePerKwh(price).build()));
    }

    /// ISO 4217, e.g. EUR; lower case is accepted and raised.
    public void setCurrency(String code) {
        String c = code == null ? "" : code.strip().toUpperCase(Locale.ROOT);
        edit("currency", d -> d.energy(e -> e.toBuilder().currency(c).build()));
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
        edit("cheapHours", d -> d.energy(e -> e.toBuilder().cheapHours(from2, until2)
                .onlyCheapHours(e.onlyCheapHours() && from2 != null).build()));
    }

    public void setOnlyCheapHours(boolean on) {
        edit("onlyCheapHours", d -> d.energy(e -> e.toBuilder().onlyCheapHours(on).build()));
    }

    public void setCarbonFeedUrl(String url) {
        String u = url == null ? "" : url.strip();
        edit("carbonFeedUrl", d -> d.energy(e -> e.toBuilder().carbonFeedUrl(u)
                .onlyWhenGreen(e.onlyWhenGreen() && !u.isEmpty()).build()));
    }

    /// g CO₂/kWh.
    public void setGreenBelow(String grams) {
        parseInt("greenBelowGramsPerKwh", grams).ifPresent(v -> edit("greenBelowGramsPerKwh",
                d -> d.energy(e -> e.toBuilder().greenBelowGramsPerKwh(v).build())));
    }

    public void setOnlyWhenGreen(boolean on) {
        edit("onlyWhenGreen", d -> d.energy(e -> e.toBuilder().onlyWhenGreen(on).build()));
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
        int index = choice == null || choice.equals(AUTOMATIC_GPU) ? NodeSettings.GPU_INDEX_AUTOMATIC
                : choice.equals(CPU_ONLY) ? NodeSettings.GPU_INDEX_CPU
                : Integer.parseInt(choice.substring(0, choice.indexOf(':')));
        edit("gpuIndex", d -> d.gpuIndex(index));
    }

    /// Cores the trainer may use on the CPU as the owner types them; 0 = every core, at most this computer's.
    public void setCpuCores(String text) {
        parseInt("cpuCores", text).ifPresent(v -> {
            if (v > machineCores) {
                errors.put("cpuCores", "this computer has " + machineCores + (machineCores == 1 ? " core" : " cores")
                        + "; enter 1 to " + machineCores + ", or 0 for all");
                updateStatusAfterRefusal();
                return;
            }
            edit("cpuCores", d -> d.cpuCores(v));
        });
    }

    /// The share of those cores' time the CPU trainer may take, % (1..100).
    public void setCpuPercent(String text) {
        parseInt("cpuPercent", (text == null ? "" : text).strip().replaceAll("\\s*%$", "")).ifPresent(v -> edit("cpuPercent", d -> d.cpuPercent(v)));
    }

    /// This computer's cores (the settings screen says how many there are).
    public int machineCores() {
        return machineCores;
    }

    public void setLogLevel(String level) {
        edit("logLevel", d -> d.logLevel(level));
    }

    /// A new run address is not applied at once: it is checked, then {@link #runSwitchQuestionProperty()} asks the
    /// owner to confirm ({@link #confirmRunSwitch()}) or keep the current run ({@link #cancelRunSwitch()}).
    public void setRunAddress(String address) {
        String value = address == null ? "" : address.strip();
        var problem = RunAddress.settingsProblem(value);
        if (problem.isPresent()) {
            errors.put("runAddress", problem.get());
            return;
        }
        errors.remove("runAddress");
        if (value.equals(applied.get().runAddress()) || value.equals(switchingTo)) {
            if (switchingTo == null) pendingRunAddress = null;
            if (switchingTo == null) runSwitchQuestion.set("");
            return;
        }
        pendingRunAddress = value;
        runSwitchQuestion.set("Leave " + runWords(applied.get().runAddress()) + " and join " + runWords(value) + "? "
                + "Hearth keeps contributing to the current run until the new one answers.");
    }

    /// The owner confirmed: the node asks the new run and moves only once it answers; meanwhile the current run
    /// goes on and {@link #statusProperty()} says, in one sentence, why the new one does not answer and when it is
    /// asked again.
    public void confirmRunSwitch() {
        String value = pendingRunAddress;
        if (value == null) return;
        pendingRunAddress = null;
        runSwitchQuestion.set("");
        switchingTo = value;
        switchPending.set(true);
        String current = runWords(applied.get().runAddress());
        status.set(value.equals(RunAddress.LOCAL) ? "Starting the local run…"
                : "Asking " + runWords(value) + "; still contributing to " + current + " until it answers.");
        java.util.concurrent.CompletionStage<Void> switched;
        try {
            switched = node.switchRun(value, sentence -> tasks.ui().execute(() -> {
                if (value.equals(switchingTo)) status.set(sentence + " Still contributing to " + current + ".");
            }));
        } catch (IllegalArgumentException e) {
            switchingTo = null;
            switchPending.set(false);
            errors.put("runAddress", BackgroundTasks.describe(e));
            status.set("");
            return;
        }
        switched.whenComplete((ok, failure) -> tasks.ui().execute(() -> {
            if (!value.equals(switchingTo)) return; // cancelled or replaced meanwhile
            switchingTo = null;
            switchPending.set(false);
            if (failure == null) {
                applied.set(applied.get().toBuilder().runAddress(value).build());
                status.set(value.equals(RunAddress.LOCAL) ? "Switched to the local run" : "Switched to " + runWords(value));
            } else {
                Throwable why = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure;
                status.set("Not switched: " + BackgroundTasks.describe(why) + " Still contributing to " + current + ".");
            }
        }));
    }

    /// The owner keeps the current run: a question is withdrawn, a switch still waiting for its run is stopped.
    public void cancelRunSwitch() {
        pendingRunAddress = null;
        runSwitchQuestion.set("");
        if (switchingTo != null) {
            switchingTo = null;
            switchPending.set(false);
            node.cancelRunSwitch();
            status.set("Not switched: staying on " + runWords(applied.get().runAddress()) + ".");
        }
        applied.set(applied.get()); // the field shows the current run's address again
        refreshRunAddress.run();
    }

    /// "the local run" or "the run at host:port" (the fingerprint is for machines, not for a sentence).
    static String runWords(String address) {
        if (address == null || address.equals(RunAddress.LOCAL)) return "the local run";
        return "the run at " + RunAddress.hostPort(address);
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
        if (i == NodeSettings.GPU_INDEX_CPU) return CPU_ONLY;
        if (i < 0) return AUTOMATIC_GPU;
        return gpuChoices.stream().filter(c -> c.startsWith(i + ":")).findFirst().orElse(AUTOMATIC_GPU);
    }

    public String dataDir() {
        return node.dataDir().toAbsolutePath().toString();
    }

    /// Builds the candidate, validates it here (cheap, so the message appears at once), then applies it in the background.
    private boolean edit(String field, UnaryOperator<NodeSettings.Builder> change) {
        NodeSettings candidate = change.apply(applied.get().toBuilder()).build();
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
            case "cpuCores" -> "CPU cores";
            case "cpuPercent" -> "CPU time";
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
    /// "" when no run switch waits for the owner's answer; else the question (confirm or cancel).
    public ReadOnlyStringProperty runSwitchQuestionProperty() { return runSwitchQuestion.getReadOnlyProperty(); }
    /// True while the node asks a new run (the owner said yes) and the current run goes on.
    public javafx.beans.property.ReadOnlyBooleanProperty switchPendingProperty() { return switchPending.getReadOnlyProperty(); }
    /// The view's hook to show the current run's address in its field again (after a cancel).
    public void onRunAddressReset(Runnable refresh) { this.refreshRunAddress = Objects.requireNonNull(refresh); }
}

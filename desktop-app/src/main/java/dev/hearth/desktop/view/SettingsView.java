package dev.hearth.desktop.view;

import atlantafx.base.controls.ToggleSwitch;
import dev.hearth.desktop.viewmodel.SettingsViewModel;
import dev.hearth.node.api.NodeSettings;
import dev.hearth.node.api.NodeSettings.Policy;
import java.time.DayOfWeek;
import java.time.format.TextStyle;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Locale;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import javafx.collections.MapChangeListener;
import javafx.geometry.Pos;
import javafx.scene.Node;
import javafx.scene.Parent;
import javafx.scene.control.Button;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.ListView;
import javafx.scene.control.ScrollPane;
import javafx.scene.control.TextField;
import javafx.scene.control.ToggleButton;
import javafx.scene.layout.ColumnConstraints;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.VBox;

/// Every setting, applied as soon as it is changed; a refused value keeps its message beside the field.
public final class SettingsView implements View {
    private static final long KIB = 1024;
    private static final long MIB = 1024 * 1024;

    private final SettingsViewModel vm;
    private final ScrollPane root;
    private final GridPane grid = new GridPane(Ui.GAP, 6);
    private final Map<String, Label> errorLabels = new HashMap<>();
    private final Map<String, Runnable> refreshers = new HashMap<>();
    private final MapChangeListener<String, String> errorListener = c -> showError(c.getKey());
    private int row;
    private boolean refreshing;

    private final ToggleSwitch onlyWhenIdle = Ui.id(new ToggleSwitch(), "onlyWhenIdle");
    private final ToggleSwitch useSchedule = Ui.id(new ToggleSwitch(), "useSchedule");
    private final ToggleSwitch onBattery = Ui.id(new ToggleSwitch(), "runOnBattery");
    private final ToggleSwitch startWithOs = Ui.id(new ToggleSwitch(), "startWithOs");
    private final ComboBox<String> gpu = Ui.id(new ComboBox<>(), "gpuIndex");
    private final ComboBox<String> logLevel = Ui.id(new ComboBox<>(), "logLevel");
    private final ToggleSwitch onlyCheapHours = Ui.id(new ToggleSwitch(), "onlyCheapHours");
    private final ToggleSwitch onlyWhenGreen = Ui.id(new ToggleSwitch(), "onlyWhenGreen");
    private final ListView<NodeSettings.ScheduleWindow> windows = Ui.id(new ListView<>(), "scheduleWindows");

    public SettingsView(SettingsViewModel vm) {
        this.vm = vm;
        ColumnConstraints labels = new ColumnConstraints();
        labels.setMinWidth(270);
        ColumnConstraints controls = new ColumnConstraints();
        controls.setMinWidth(360);
        controls.setMaxWidth(360);
        ColumnConstraints notes = new ColumnConstraints();
        notes.setHgrow(Priority.ALWAYS);
        grid.getColumnConstraints().addAll(labels, controls, notes);

        section("When to contribute");
        onlyWhenIdle.selectedProperty().addListener((o, a, on) -> { if (!refreshing) vm.setOnlyWhenIdle(on); });
        onlyWhenIdle.disableProperty().bind(useSchedule.selectedProperty());
        add("Only when I am away", onlyWhenIdle, "policy", s -> onlyWhenIdle.setSelected(s.policy() != Policy.ALWAYS));
        text("Minutes away before training", "idleMinutes", vm::setIdleMinutes, s -> Integer.toString(s.idleMinutes()));
        useSchedule.selectedProperty().addListener((o, a, on) -> { if (!refreshing) vm.setUseSchedule(on); });
        add("Only inside these hours", useSchedule, null, s -> useSchedule.setSelected(s.policy() == Policy.SCHEDULE));
        add("Schedule windows", scheduleEditor(), "schedule", s -> windows.getItems().setAll(s.schedule()));
        onBattery.selectedProperty().addListener((o, a, on) -> { if (!refreshing) vm.setRunOnBattery(on); });
        add("Also on battery power", onBattery, "runOnBattery", s -> onBattery.setSelected(s.runOnBattery()));

        section("Graphics card");
        Label noGpu = Ui.id(Ui.muted(""), "gpuSettingsNote");
        noGpu.textProperty().bind(vm.gpuSettingsNoteProperty());
        noGpu.managedProperty().bind(noGpu.textProperty().isNotEmpty());
        noGpu.setWrapText(true);
        grid.add(noGpu, 0, row++, 3, 1);
        gpu.setItems(vm.gpuChoices());
        gpu.valueProperty().addListener((o, a, choice) -> { if (!refreshing && choice != null) vm.setGpu(choice); });
        add("Which GPU", gpu, "gpuIndex", s -> gpu.setValue(vm.gpuChoice()));
        text("Pause above temperature (°C)", "gpuTemperatureCapC", vm::setTemperatureCap, s -> Integer.toString(s.gpuTemperatureCapC()));
        text("Pause above power (W, 0 = no cap)", "gpuPowerCapWatts", vm::setPowerCap, s -> Integer.toString(s.gpuPowerCapWatts()));
        // Without a GPU these settings do nothing: show them greyed, with the reason above them.
        for (String id : List.of("gpuIndex", "gpuTemperatureCapC", "gpuPowerCapWatts")) {
            grid.getChildren().stream().filter(n -> id.equals(n.getId())).forEach(n -> n.disableProperty().bind(vm.gpuSettingsNoteProperty().isNotEmpty()));
        }

        section("Processor");
        int n = vm.machineCores();
        text("Processor cores to use (1–" + n + ", 0 = all)", "cpuCores", vm::setCpuCores,
                s -> Integer.toString(s.cpuCores()));
        text("Use at most (% of their time)", "cpuPercent", vm::setCpuPercent, s -> Integer.toString(s.cpuPercent()));
        Label cpuNote = Ui.muted("Applies from the next round. Below 100 %, the trainer rests between steps (as BOINC's"
                + " \"use at most N % of CPU time\" does); a GPU is not limited by these.");
        cpuNote.setWrapText(true);
        grid.add(cpuNote, 0, row++, 3, 1);

        section("Network");
        text("Upload cap (KiB/s, 0 = none)", "uploadCapBytesPerSec", vm::setUploadCapKiB, s -> Long.toString(s.uploadCapBytesPerSec() / KIB));
        text("Download cap (KiB/s, 0 = none)", "downloadCapBytesPerSec", vm::setDownloadCapKiB, s -> Long.toString(s.downloadCapBytesPerSec() / KIB));
        text("Daily volume cap (MiB, 0 = none)", "dailyVolumeCapBytes", vm::setDailyCapMiB, s -> Long.toString(s.dailyVolumeCapBytes() / MIB));
        text("Run address (hearth://… or local)", "runAddress", vm::setRunAddress, NodeSettings::runAddress);
        grid.add(runSwitchPrompt(), 0, row++, 3, 1);
        vm.onRunAddressReset(() -> refreshers.get("runAddress").run());

        section("Energy and cost");
        text("Price per kWh (0 = not set)", "pricePerKwh", vm::setPricePerKwh,
                s -> s.energy().pricePerKwh() == 0 ? "0" : Double.toString(s.energy().pricePerKwh()));
        text("Currency (ISO code, e.g. EUR)", "currency", vm::setCurrency, s -> s.energy().currency());
        TextField cheapFrom = Ui.id(new TextField(), "cheapFrom");
        TextField cheapUntil = Ui.id(new TextField(), "cheapUntil");
        cheapFrom.setPrefColumnCount(5);
        cheapUntil.setPrefColumnCount(5);
        cheapFrom.setPromptText("23:00");
        cheapUntil.setPromptText("06:00");
        Runnable commitCheap = () -> vm.setCheapHours(cheapFrom.getText(), cheapUntil.getText());
        for (TextField t : List.of(cheapFrom, cheapUntil)) {
            t.setOnAction(e -> commitCheap.run());
            t.focusedProperty().addListener((o, was, now) -> { if (was && !now && !refreshing) commitCheap.run(); });
        }
        HBox cheap = new HBox(6, cheapFrom, new Label("to"), cheapUntil);
        cheap.setAlignment(Pos.CENTER_LEFT);
        add("Cheap hours (empty = none)", cheap, "cheapHours", s -> {
            cheapFrom.setText(s.energy().hasCheapHours() ? s.energy().cheapFrom().toString() : "");
            cheapUntil.setText(s.energy().hasCheapHours() ? s.energy().cheapUntil().toString() : "");
        });
        onlyCheapHours.selectedProperty().addListener((o, a, on) -> { if (!refreshing) vm.setOnlyCheapHours(on); });
        add("Only in cheap hours", onlyCheapHours, "onlyCheapHours", s -> onlyCheapHours.setSelected(s.energy().onlyCheapHours()));
        text("Grid carbon feed (URL, optional)", "carbonFeedUrl", vm::setCarbonFeedUrl, s -> s.energy().carbonFeedUrl());
        text("Green below (g CO₂/kWh)", "greenBelowGramsPerKwh", vm::setGreenBelow,
                s -> Integer.toString(s.energy().greenBelowGramsPerKwh()));
        onlyWhenGreen.selectedProperty().addListener((o, a, on) -> { if (!refreshing) vm.setOnlyWhenGreen(on); });
        add("Only when the grid is green", onlyWhenGreen, "onlyWhenGreen", s -> onlyWhenGreen.setSelected(s.energy().onlyWhenGreen()));

        section("This computer");
        startWithOs.selectedProperty().addListener((o, a, on) -> { if (!refreshing) vm.setStartWithOs(on); });
        Label autostartNote = Ui.muted(vm.autostartSupported() ? "" : "On this system the installer sets up starting at login.");
        vm.autostartNoteProperty().addListener((o, a, note) -> autostartNote.setText(note));
        add("Start when I log in", new HBox(Ui.GAP, startWithOs, autostartNote), "startWithOs", s -> startWithOs.setSelected(s.startWithOs()));
        logLevel.getItems().setAll("DEBUG", "INFO", "WARN", "ERROR");
        logLevel.valueProperty().addListener((o, a, level) -> { if (!refreshing && level != null) vm.setLogLevel(level); });
        add("Log level", logLevel, "logLevel", s -> logLevel.setValue(s.logLevel()));
        TextField dataDir = Ui.id(new TextField(vm.dataDir()), "dataDir");
        dataDir.setEditable(false);
        add("Data folder", new VBox(4, dataDir, Ui.muted("Start Hearth with --data-dir to keep its data elsewhere.")),
                "dataDir", s -> {});

        Label status = Ui.id(Ui.muted(""), "settingsStatus");
        status.textProperty().bind(vm.statusProperty());
        VBox page = new VBox(Ui.GAP, Ui.title("Settings"), Ui.muted("Changes take effect at once; a new run address asks first."), grid, status);
        page.setPadding(Ui.PAGE_PADDING);
        root = new ScrollPane(page);
        root.setFitToWidth(true);
        root.setId("settings");
        vm.appliedProperty().addListener((o, a, s) -> refresh());
    }

    /// Changing runs asks first: the question with "Switch runs" and "Keep the current run"; while the new run is
    /// asked, "Stop switching" (the current run goes on either way).
    private Node runSwitchPrompt() {
        Label question = Ui.id(new Label(), "runSwitchQuestion");
        question.textProperty().bind(vm.runSwitchQuestionProperty());
        question.setWrapText(true);
        Button confirm = Ui.id(new Button("Switch runs"), "confirmRunSwitch");
        confirm.setDefaultButton(false);
        confirm.setOnAction(e -> vm.confirmRunSwitch());
        Button keep = Ui.id(new Button("Keep the current run"), "cancelRunSwitch");
        keep.setOnAction(e -> vm.cancelRunSwitch());
        HBox asking = new HBox(Ui.GAP, question, confirm, keep);
        asking.setAlignment(Pos.CENTER_LEFT);
        var askingShown = vm.runSwitchQuestionProperty().isNotEmpty();
        asking.visibleProperty().bind(askingShown);
        asking.managedProperty().bind(askingShown);
        Button stop = Ui.id(new Button("Stop switching"), "stopRunSwitch");
        stop.setOnAction(e -> vm.cancelRunSwitch());
        stop.visibleProperty().bind(vm.switchPendingProperty());
        stop.managedProperty().bind(vm.switchPendingProperty());
        return new VBox(6, asking, stop);
    }

    private Node scheduleEditor() {
        windows.setPrefHeight(90);
        windows.setCellFactory(l -> new javafx.scene.control.ListCell<>() {
            @Override
            protected void updateItem(NodeSettings.ScheduleWindow w, boolean empty) {
                super.updateItem(w, empty);
                setText(empty || w == null ? null : SettingsViewModel.describe(w));
            }
        });
        windows.setPlaceholder(Ui.muted("No windows: with the schedule on, Hearth never starts."));
        Button remove = new Button("Remove");
        remove.disableProperty().bind(windows.getSelectionModel().selectedItemProperty().isNull());
        remove.setOnAction(e -> vm.removeScheduleWindow(windows.getSelectionModel().getSelectedIndex()));

        HBox days = new HBox(2);
        Map<DayOfWeek, ToggleButton> dayButtons = new HashMap<>();
        for (DayOfWeek d : DayOfWeek.values()) {
            ToggleButton b = new ToggleButton(d.getDisplayName(TextStyle.SHORT, Locale.ENGLISH).substring(0, 2));
            b.setSelected(true);
            dayButtons.put(d, b);
            days.getChildren().add(b);
        }
        TextField start = Ui.id(new TextField("22:00"), "windowStart");
        TextField end = Ui.id(new TextField("07:00"), "windowEnd");
        start.setPrefColumnCount(5);
        end.setPrefColumnCount(5);
        Button add = Ui.id(new Button("Add window"), "addWindow");
        add.setOnAction(e -> {
            Set<DayOfWeek> chosen = EnumSet.noneOf(DayOfWeek.class);
            dayButtons.forEach((d, b) -> { if (b.isSelected()) chosen.add(d); });
            vm.addScheduleWindow(chosen, start.getText(), end.getText());
        });
        add.setMinWidth(javafx.scene.layout.Region.USE_PREF_SIZE);
        remove.setMinWidth(javafx.scene.layout.Region.USE_PREF_SIZE);
        Label to = new Label("to");
        to.setMinWidth(javafx.scene.layout.Region.USE_PREF_SIZE);
        HBox times = new HBox(6, start, to, end, add, remove);
        times.setAlignment(Pos.CENTER_LEFT);
        return new VBox(6, windows, days, times);
    }

    private void section(String title) {
        Label l = Ui.heading(title);
        l.setPadding(new javafx.geometry.Insets(row == 0 ? 0 : 14, 0, 2, 0));
        grid.add(l, 0, row++, 3, 1);
    }

    private void text(String label, String field, Consumer<String> commit, Function<NodeSettings, String> value) {
        TextField t = Ui.id(new TextField(), field);
        t.setOnAction(e -> commit.accept(t.getText()));
        t.focusedProperty().addListener((o, was, now) -> { if (was && !now) commit.accept(t.getText()); });
        add(label, t, field, s -> t.setText(value.apply(s)));
    }

    /// One row: label, control, and the error or note beside it. `refresh` fills the control from applied settings.
    private void add(String label, Node control, String field, Consumer<NodeSettings> refresh) {
        grid.add(new Label(label), 0, row);
        grid.add(control, 1, row);
        if (field != null) {
            Label error = Ui.id(Ui.error(), "error-" + field);
            errorLabels.put(field, error);
            grid.add(error, 2, row);
            refreshers.put(field, () -> refresh.accept(vm.appliedProperty().get()));
        } else {
            refreshers.put("row" + row, () -> refresh.accept(vm.appliedProperty().get()));
        }
        row++;
    }

    private void showError(String field) {
        Label l = errorLabels.get(field);
        if (l != null) l.setText(vm.errors().getOrDefault(field, ""));
    }

    /// Fills every control from the applied settings, except a field whose refused value the owner should still see.
    private void refresh() {
        refreshing = true;
        try {
            refreshers.forEach((field, r) -> { if (!vm.errors().containsKey(field)) r.run(); });
        } finally {
            refreshing = false;
        }
    }

    @Override
    public Parent root() {
        return root;
    }

    @Override
    public void activate() {
        vm.errors().addListener(errorListener);
        vm.reload();
        refresh();
        errorLabels.keySet().forEach(this::showError);
    }

    @Override
    public void deactivate() {
        vm.errors().removeListener(errorListener);
    }
}

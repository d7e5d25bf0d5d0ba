package dev.hearth.desktop.view;

import atlantafx.base.theme.Styles;
import dev.hearth.desktop.viewmodel.DashboardViewModel;
import dev.hearth.desktop.viewmodel.HardwareMetric;
import dev.hearth.node.api.HardwareSample;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import javafx.scene.Parent;
import javafx.scene.chart.LineChart;
import javafx.scene.chart.NumberAxis;
import javafx.scene.chart.XYChart;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.ProgressBar;
import javafx.scene.control.ScrollPane;
import javafx.scene.layout.ColumnConstraints;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.StackPane;
import javafx.scene.layout.VBox;
import org.kordamp.ikonli.material2.Material2MZ;

/// The dashboard: the state line, the owner's big buttons, the numbers of this round and live charts of the machine.
public final class DashboardView implements View {
    private static final int CHART_COLUMNS = 3;
    /// Seconds of history on the charts' x axis; samples arrive about once a second.
    private static final int CHART_SECONDS = DashboardViewModel.CHART_POINTS;
    /// How often the charts are re-plotted while Hearth is paused: re-plotting six charts each second was most of
    /// the 6–8 % of a core a paused app with its window open used (docs/benchmarks.md); the history still keeps
    /// every sample, so nothing is lost, the lines only move in 5 s steps.
    static final java.time.Duration PAUSED_REDRAW_PERIOD = java.time.Duration.ofSeconds(5);

    private final DashboardViewModel vm;
    private final ScrollPane root;
    private final Sampler sampler;
    private final Map<HardwareMetric, LineChart<Number, Number>> charts = new EnumMap<>(HardwareMetric.class);
    private final Map<HardwareMetric, StackPane> chartCells = new EnumMap<>(HardwareMetric.class);
    /// When the sample last plotted was taken (null: nothing plotted since the view became visible).
    private java.time.Instant drawnAt;
    private final GridPane grid;
    private final StackPane noGpuCell;

    public DashboardView(DashboardViewModel vm) {
        this.vm = vm;
        this.sampler = Ui.sampler(() -> {
            vm.sample();
            redrawIfDue();
        });

        Label state = Ui.id(new Label(), "stateLine");
        state.getStyleClass().addAll(Styles.TITLE_2, "state-line");
        state.setWrapText(true);
        state.textProperty().bind(vm.stateLineProperty());
        Label detail = Ui.muted("");
        detail.textProperty().bind(vm.detailLineProperty());
        Label backend = Ui.muted("");
        backend.textProperty().bind(vm.backendProperty());
        Label cpuLimit = Ui.id(Ui.muted(""), "cpuLimit");
        cpuLimit.textProperty().bind(vm.cpuLimitProperty());

        Button pauseResume = Ui.id(new Button(), "pauseResume");
        pauseResume.getStyleClass().addAll(Styles.LARGE, Styles.ACCENT);
        pauseResume.textProperty().bind(vm.pausedProperty().map(p -> p ? "Resume" : "Pause"));
        pauseResume.graphicProperty().bind(vm.pausedProperty().map(p -> Ui.icon(p ? Material2MZ.PLAY_ARROW : Material2MZ.PAUSE)));
        pauseResume.setOnAction(e -> { if (vm.pausedProperty().get()) vm.resume(); else vm.pause(); });
        Button snooze = Ui.id(new Button("Snooze 1 h", Ui.icon(Material2MZ.SNOOZE)), "snooze");
        snooze.getStyleClass().add(Styles.LARGE);
        snooze.setOnAction(e -> vm.snooze());
        Button finish = Ui.id(new Button("Finish round, then pause", Ui.icon(Material2MZ.SKIP_NEXT)), "finishRound");
        finish.getStyleClass().add(Styles.LARGE);
        finish.disableProperty().bind(vm.pausedProperty().or(vm.pauseAfterRoundProperty()));
        finish.textProperty().bind(vm.pauseAfterRoundProperty().map(f -> f ? "Finishing this round…" : "Finish round, then pause"));
        finish.setOnAction(e -> vm.finishRoundThenPause());
        pauseResume.setTooltip(new javafx.scene.control.Tooltip("Stop or start contributing now; the worker saves its state first"));
        snooze.setTooltip(new javafx.scene.control.Tooltip("Pause for an hour, then follow your settings again"));
        finish.setTooltip(new javafx.scene.control.Tooltip("Let this round finish and upload, so no work is lost, then pause"));
        HBox buttons = new HBox(Ui.GAP, pauseResume, snooze, finish);

        Label tps = Ui.id(new Label(), "tokensPerSecond");
        tps.textProperty().bind(vm.tokensPerSecondProperty());
        Label loss = Ui.id(new Label(), "localLoss");
        loss.textProperty().bind(vm.localLossProperty());
        Label round = Ui.id(new Label(), "roundText");
        round.textProperty().bind(vm.roundTextProperty());
        ProgressBar progress = new ProgressBar();
        progress.progressProperty().bind(vm.roundProgressProperty());
        progress.setMaxWidth(Double.MAX_VALUE);
        VBox roundBox = Ui.stat("This round", round);
        roundBox.getChildren().add(progress);
        HBox.setHgrow(roundBox, Priority.ALWAYS);
        HBox stats = new HBox(Ui.GAP, Ui.stat("Tokens per second", tps), Ui.stat("Local loss", loss), roundBox);

        Label gpuName = Ui.id(new Label(), "gpuName");
        gpuName.getStyleClass().add(Styles.TEXT_BOLD);
        gpuName.textProperty().bind(vm.gpuNameProperty());
        Label gpuReadings = Ui.id(Ui.muted(""), "gpuReadings");
        gpuReadings.textProperty().bind(vm.gpuReadingsProperty());
        Label gpuHearth = Ui.id(new Label(), "gpuHearth");
        gpuHearth.setWrapText(true);
        gpuHearth.textProperty().bind(vm.gpuHearthProperty());
        // One line per fact, hidden while empty (no GPU: the cell below says why instead).
        for (Label l : List.of(gpuReadings, gpuHearth)) l.managedProperty().bind(l.textProperty().isNotEmpty());
        VBox gpuPanel = new VBox(2, gpuName, gpuReadings, gpuHearth);
        GridPane grid = new GridPane(Ui.GAP, Ui.GAP);
        for (int i = 0; i < CHART_COLUMNS; i++) {
            ColumnConstraints cc = new ColumnConstraints();
            cc.setPercentWidth(100.0 / CHART_COLUMNS);
            grid.getColumnConstraints().add(cc);
        }
        for (HardwareMetric m : HardwareMetric.values()) {
            StackPane cell = new StackPane(withLegend(m, chart(m)));
            cell.getStyleClass().add("chart-cell");
            chartCells.put(m, cell);
        }
        Label none = Ui.id(Ui.muted(""), "noGpuReason");
        none.textProperty().bind(vm.noGpuReasonProperty());
        none.setWrapText(true);
        none.getStyleClass().add("chart-placeholder");
        noGpuCell = new StackPane(none);
        noGpuCell.getStyleClass().add("chart-cell");
        this.grid = grid;
        vm.gpuVisibleProperty().addListener((o, a, visible) -> layoutCharts(visible));
        layoutCharts(vm.gpuVisibleProperty().get());

        Label waiting = Ui.muted("Waiting for the first hardware reading…");
        waiting.visibleProperty().bind(javafx.beans.binding.Bindings.isEmpty(vm.hardwareHistory()));
        waiting.managedProperty().bind(waiting.visibleProperty());
        gpuPanel.managedProperty().bind(waiting.visibleProperty().not());
        gpuPanel.visibleProperty().bind(waiting.visibleProperty().not());
        grid.managedProperty().bind(waiting.visibleProperty().not());
        grid.visibleProperty().bind(waiting.visibleProperty().not());
        VBox page = new VBox(Ui.GAP, state, detail, buttons, stats, Ui.heading("This computer"), waiting, gpuPanel, grid, cpuLimit,
                backend);
        page.setPadding(Ui.PAGE_PADDING);
        root = new ScrollPane(page);
        root.setFitToWidth(true);
        root.setId("dashboard");
    }

    private LineChart<Number, Number> chart(HardwareMetric m) {
        NumberAxis x = new NumberAxis(-CHART_SECONDS, 0, 30);
        x.setMinorTickVisible(false);
        x.setTickLabelFormatter(new javafx.util.StringConverter<>() {
            @Override
            public String toString(Number n) {
                return HardwareMetric.timeTick(n.doubleValue());
            }

            @Override
            public Number fromString(String s) {
                return 0;
            }
        });
        NumberAxis y = new NumberAxis();
        y.setTickLabelFormatter(new javafx.util.StringConverter<>() {
            @Override
            public String toString(Number n) {
                return HardwareMetric.valueTick(n.doubleValue());
            }

            @Override
            public Number fromString(String s) {
                return Double.parseDouble(s);
            }
        });
        y.setLabel(m.unit());
        y.setForceZeroInRange(true);
        LineChart<Number, Number> chart = new LineChart<>(x, y);
        chart.setTitle(m.title());
        chart.setAnimated(false);
        chart.setCreateSymbols(false);
        chart.setLegendVisible(false);
        chart.getStyleClass().add("hardware-chart");
        chart.setPrefHeight(190);
        chart.setMinHeight(150);
        XYChart.Series<Number, Number> total = new XYChart.Series<>();
        total.setName(m.gpu() ? "whole GPU" : "whole machine");
        chart.getData().add(total);
        if (m.hasHearthShare()) {
            XYChart.Series<Number, Number> hearth = new XYChart.Series<>();
            hearth.setName("Hearth");
            chart.getData().add(hearth);
        }
        charts.put(m, chart);
        return chart;
    }

    /// Our own legend: the chart's built-in one takes a row of its own, too much for six small charts.
    private static javafx.scene.Node withLegend(HardwareMetric m, LineChart<Number, Number> chart) {
        if (!m.hasHearthShare()) return chart;
        Label total = new Label("━ " + (m.gpu() ? "whole GPU" : "whole machine"));
        total.getStyleClass().add("legend-total");
        Label hearth = new Label("━ Hearth");
        hearth.getStyleClass().add("legend-hearth");
        HBox legend = new HBox(12, total, hearth);
        legend.setAlignment(javafx.geometry.Pos.CENTER);
        VBox box = new VBox(0, chart, legend);
        box.setPadding(new javafx.geometry.Insets(0, 0, 6, 0));
        VBox.setVgrow(chart, Priority.ALWAYS);
        return box;
    }

    /// With a GPU, all six charts; without one, CPU and memory and a single cell that says why the rest is missing.
    private void layoutCharts(boolean gpuVisible) {
        grid.getChildren().clear();
        List<javafx.scene.Node> cells = new ArrayList<>();
        for (HardwareMetric m : HardwareMetric.values()) if (gpuVisible || !m.gpu()) cells.add(chartCells.get(m));
        if (!gpuVisible) cells.add(noGpuCell);
        for (int i = 0; i < cells.size(); i++) grid.add(cells.get(i), i % CHART_COLUMNS, i / CHART_COLUMNS);
    }

    /// Re-plots the charts once per new hardware sample (about once a second), and while paused at most every
    /// {@link #PAUSED_REDRAW_PERIOD}. (A list listener re-plotted twice per sample: the history's trim and its
    /// append are two changes.)
    private void redrawIfDue() {
        List<HardwareSample> history = vm.hardwareHistory();
        if (history.isEmpty()) return;
        java.time.Instant at = history.getLast().at();
        if (!redrawDue(drawnAt, at, vm.pausedProperty().get())) return;
        redrawCharts();
    }

    /// Whether a sample taken `latest` should be plotted, the last plotted one having been taken `drawn`.
    static boolean redrawDue(java.time.Instant drawn, java.time.Instant latest, boolean paused) {
        if (drawn == null) return true;
        if (!latest.isAfter(drawn)) return false;
        return !paused || java.time.Duration.between(drawn, latest).compareTo(PAUSED_REDRAW_PERIOD) >= 0;
    }

    /// Re-plots every chart from the view model's history (120 points per series).
    private void redrawCharts() {
        List<HardwareSample> history = vm.hardwareHistory();
        if (history.isEmpty()) return;
        int gpu = vm.gpuIndex();
        HardwareSample latest = history.getLast();
        drawnAt = latest.at();
        long latestMillis = latest.at().toEpochMilli();
        for (HardwareMetric m : HardwareMetric.values()) {
            LineChart<Number, Number> chart = charts.get(m);
            List<XYChart.Data<Number, Number>> total = new ArrayList<>(history.size());
            List<XYChart.Data<Number, Number>> hearth = new ArrayList<>(history.size());
            for (HardwareSample s : history) {
                double x = (s.at().toEpochMilli() - latestMillis) / 1000.0;
                double t = m.total(s, gpu);
                if (!Double.isNaN(t)) total.add(new XYChart.Data<>(x, t));
                double h = m.hearth(s, gpu);
                if (!Double.isNaN(h)) hearth.add(new XYChart.Data<>(x, h));
            }
            chart.getData().getFirst().getData().setAll(total);
            if (m.hasHearthShare()) chart.getData().get(1).getData().setAll(hearth);
            NumberAxis y = (NumberAxis) chart.getYAxis();
            double upper = m.upperBound(latest, gpu);
            if (Double.isNaN(upper)) {
                y.setAutoRanging(true);
            } else {
                y.setAutoRanging(false);
                y.setLowerBound(0);
                double tick = HardwareMetric.niceTick(upper / 5); // 5 GiB steps, not 5.885
                y.setUpperBound(Math.ceil(upper / tick - 1e-9) * tick); // 25 GiB above a 23.5 GiB machine: no odd top label
                y.setTickUnit(tick);
            }
        }
    }

    @Override
    public Parent root() {
        return root;
    }

    @Override
    public void activate() {
        vm.sample();
        drawnAt = null;
        redrawCharts();
        sampler.play();
    }

    @Override
    public void deactivate() {
        sampler.stop();
    }
}

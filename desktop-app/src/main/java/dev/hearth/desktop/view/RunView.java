package dev.hearth.desktop.view;

import dev.hearth.desktop.viewmodel.RunViewModel;
import java.util.ArrayList;
import java.util.List;
import javafx.collections.ListChangeListener;
import javafx.scene.Parent;
import javafx.scene.chart.LineChart;
import javafx.scene.chart.NumberAxis;
import javafx.scene.chart.XYChart;
import javafx.scene.control.Label;
import javafx.scene.control.TextArea;
import javafx.scene.layout.FlowPane;
import javafx.scene.layout.Priority;
import javafx.scene.layout.VBox;

/// The run's global picture: round, nodes online, the loss curve and this computer's rank.
public final class RunView implements View {
    private final RunViewModel vm;
    private final VBox root;
    private final Sampler sampler;
    /// Below this many rounds the points get dots, so a young run's first commits are visible.
    private static final int SYMBOLS_BELOW_POINTS = 30;
    private final XYChart.Series<Number, Number> loss = new XYChart.Series<>();
    private final LineChart<Number, Number> chart;
    private final ListChangeListener<Double> lossListener = c -> redraw();

    public RunView(RunViewModel vm) {
        this.vm = vm;
        this.sampler = Ui.sampler(vm::sample);
        Label name = Ui.title("");
        name.textProperty().bind(vm.runNameProperty());
        name.setWrapText(true);
        Label note = Ui.id(Ui.muted(""), "runNote");
        note.textProperty().bind(vm.noteProperty());
        note.managedProperty().bind(note.textProperty().isNotEmpty());
        Label round = Ui.id(new Label(), "runRound");
        round.textProperty().bind(vm.roundProperty());
        Label nodes = Ui.id(new Label(), "nodesOnline");
        nodes.textProperty().bind(vm.nodesOnlineProperty());
        Label rank = Ui.id(new Label(), "rank");
        rank.textProperty().bind(vm.rankProperty());
        Label credits = new Label();
        credits.textProperty().bind(vm.creditsProperty());
        javafx.scene.control.Hyperlink dashboard = Ui.id(new javafx.scene.control.Hyperlink(), "dashboardLink");
        dashboard.textProperty().bind(vm.dashboardUrlProperty().map(u -> u.isEmpty() ? "" : "Open the run's dashboard: " + u));
        dashboard.visibleProperty().bind(vm.dashboardUrlProperty().isNotEmpty());
        dashboard.managedProperty().bind(dashboard.visibleProperty());
        Label opened = Ui.muted("");
        dashboard.setOnAction(e -> opened.setText(Browser.open(vm.dashboardUrlProperty().get())));
        javafx.scene.layout.HBox dashboardRow = new javafx.scene.layout.HBox(Ui.GAP, dashboard, opened);
        dashboardRow.setAlignment(javafx.geometry.Pos.CENTER_LEFT);
        FlowPane stats = new FlowPane(Ui.GAP, Ui.GAP, Ui.stat("Round", round), Ui.stat("Computers online", nodes),
                Ui.stat("Your rank by credits", rank), Ui.stat("Your credits", credits));

        NumberAxis x = new NumberAxis();
        x.setLabel("committed round");
        x.setForceZeroInRange(false);
        x.setMinorTickVisible(false);
        x.setTickLabelFormatter(new javafx.util.StringConverter<>() {
            @Override
            public String toString(Number n) {
                // Rounds are whole numbers; an auto-ranged axis over few rounds would otherwise print 60.3, 60.4…
                return n.doubleValue() == Math.rint(n.doubleValue()) ? Long.toString(n.longValue()) : "";
            }

            @Override
            public Number fromString(String s) {
                return Long.parseLong(s);
            }
        });
        NumberAxis y = new NumberAxis();
        y.setLabel("mean training loss");
        y.setForceZeroInRange(false);
        LineChart<Number, Number> chart = new LineChart<>(x, y);
        chart.setAnimated(false);
        this.chart = chart;
        chart.setLegendVisible(false);
        chart.getData().add(loss);
        Label empty = Ui.muted("No committed rounds yet.");
        empty.visibleProperty().bind(javafx.beans.binding.Bindings.isEmpty(vm.lossHistory()));
        chart.visibleProperty().bind(empty.visibleProperty().not()); // empty axes from 0 to 110 say nothing
        javafx.scene.layout.StackPane chartBox = new javafx.scene.layout.StackPane(chart, empty);
        VBox.setVgrow(chartBox, Priority.ALWAYS);

        TextArea sample = new TextArea();
        sample.setEditable(false);
        sample.setWrapText(true);
        sample.setPrefRowCount(4);
        sample.textProperty().bind(vm.modelSampleProperty());
        sample.setPromptText("A few lines written by the current model appear here once the run shares them.");

        root = new VBox(Ui.GAP, name, note, dashboardRow, stats, Ui.heading("Loss of the whole run"), chartBox, Ui.heading("What the model writes now"), sample);
        root.setPadding(Ui.PAGE_PADDING);
        root.setId("run");
    }

    private void redraw() {
        List<Double> history = vm.lossHistory();
        long lastRound = parseOr(vm.roundProperty().get(), history.size());
        List<XYChart.Data<Number, Number>> points = new ArrayList<>(history.size());
        long first = lastRound - history.size() + 1;
        for (int i = 0; i < history.size(); i++) points.add(new XYChart.Data<>(first + i, history.get(i)));
        chart.setCreateSymbols(points.size() < SYMBOLS_BELOW_POINTS);
        loss.getData().setAll(points);
    }

    private static long parseOr(String text, long fallback) {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    @Override
    public Parent root() {
        return root;
    }

    @Override
    public void activate() {
        vm.sample();
        vm.lossHistory().addListener(lossListener);
        redraw();
        sampler.play();
    }

    @Override
    public void deactivate() {
        sampler.stop();
        vm.lossHistory().removeListener(lossListener);
    }
}

package dev.hearth.desktop.view;

import atlantafx.base.theme.Styles;
import dev.hearth.desktop.viewmodel.ContributionViewModel;
import dev.hearth.desktop.viewmodel.ContributionViewModel.Period;
import dev.hearth.desktop.viewmodel.Formats;
import dev.hearth.node.api.ContributionHistory.DailyTotal;
import dev.hearth.node.api.RoundRecord;
import java.io.File;
import java.util.HashMap;
import java.util.Map;
import java.time.format.DateTimeFormatter;
import java.util.function.Function;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.collections.ListChangeListener;
import javafx.scene.Parent;
import javafx.scene.chart.BarChart;
import javafx.scene.chart.CategoryAxis;
import javafx.scene.chart.NumberAxis;
import javafx.scene.chart.XYChart;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableColumnBase;
import javafx.scene.control.TableView;
import javafx.scene.control.ToggleButton;
import javafx.scene.control.ToggleGroup;
import javafx.scene.layout.FlowPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.VBox;
import javafx.stage.FileChooser;
import org.kordamp.ikonli.material2.Material2MZ;

/// Contribution: totals, tokens per day or week, every round, and the CSV export.
public final class ContributionView implements View {
    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("MMM d");

    private final ContributionViewModel vm;
    private final VBox root;
    private final XYChart.Series<String, Number> tokens = new XYChart.Series<>();
    private final ListChangeListener<DailyTotal> periodsListener = c -> redrawChart();
    private final Label tokensTotal = new Label();
    private final Label computeTotal = new Label();
    private final Label roundsTotal = Ui.id(new Label(), "roundsTotal");
    private final Label creditsTotal = new Label();
    private final Label dataTotal = new Label();
    private final Label energyTotal = Ui.id(new Label(), "energyTotal");
    private final Label costTotal = Ui.id(new Label(), "costTotal");

    public ContributionView(ContributionViewModel vm) {
        this.vm = vm;
        vm.totalsProperty().addListener((o, a, b) -> showTotals());
        showTotals();
        FlowPane totals = new FlowPane(Ui.GAP, Ui.GAP,
                Ui.stat("Tokens trained", tokensTotal), Ui.stat("Compute time", computeTotal),
                Ui.stat("Rounds", roundsTotal), Ui.stat("Credits", creditsTotal), Ui.stat("Data sent and received", dataTotal),
                Ui.stat("Energy used", energyTotal), Ui.stat("Cost", costTotal));

        ToggleGroup periodGroup = new ToggleGroup();
        ToggleButton perDay = new ToggleButton("Per day");
        ToggleButton perWeek = new ToggleButton("Per week");
        perDay.getStyleClass().add(Styles.LEFT_PILL);
        perWeek.getStyleClass().add(Styles.RIGHT_PILL);
        perDay.setToggleGroup(periodGroup);
        perWeek.setToggleGroup(periodGroup);
        perDay.setSelected(vm.periodProperty().get() == Period.DAY);
        perWeek.setSelected(vm.periodProperty().get() == Period.WEEK);
        periodGroup.selectedToggleProperty().addListener((o, a, b) -> {
            if (b == null) a.setSelected(true); // one period is always chosen
            else vm.periodProperty().set(b == perDay ? Period.DAY : Period.WEEK);
        });

        CategoryAxis x = new CategoryAxis();
        x.setLabel("day, and the kWh it used");
        NumberAxis y = new NumberAxis();
        y.setLabel("tokens");
        BarChart<String, Number> chart = new BarChart<>(x, y);
        chart.setAnimated(false);
        chart.setLegendVisible(false);
        chart.setPrefHeight(220);
        chart.getData().add(tokens);

        Button export = Ui.id(new Button("Export CSV…", Ui.icon(Material2MZ.SAVE_ALT)), "exportCsv");
        export.setOnAction(e -> {
            FileChooser chooser = new FileChooser();
            chooser.setTitle("Export every round as CSV");
            chooser.setInitialFileName("hearth-rounds.csv");
            chooser.setInitialDirectory(ContributionViewModel.exportFolder(java.nio.file.Path.of(System.getProperty("user.home"))).toFile());
            chooser.getExtensionFilters().add(new FileChooser.ExtensionFilter("CSV", "*.csv"));
            File file = chooser.showSaveDialog(export.getScene().getWindow());
            if (file != null) vm.exportCsv(file.toPath());
        });
        Label status = Ui.muted("");
        status.textProperty().bind(vm.statusProperty());
        Region spacer = new Region();
        HBox.setHgrow(spacer, Priority.ALWAYS);
        HBox chartBar = new HBox(0, perDay, perWeek, spacer, export);

        // minimums a column's cells need beyond its title; the titles themselves are measured as drawn
        Map<TableColumnBase<?, ?>, Double> cellMinimums = new HashMap<>();
        TableView<RoundRecord> table = Ui.id(new TableView<>(vm.rounds()) {
            @Override
            protected void layoutChildren() {
                super.layoutChildren();
                if (Ui.fitColumnsToTitles(this, cellMinimums, CONSTRAINED_RESIZE_POLICY_FLEX_LAST_COLUMN)) requestLayout();
            }
        }, "roundsTable");
        table.setPlaceholder(Ui.muted("No rounds yet. They appear here as soon as your computer finishes one."));
        table.getColumns().add(column("Finished", r -> Formats.dateTime(r.finishedAt(), vm.zone())));
        // "2026-12-01 22:16:52" must never be cut to "2026-12-01 2…": the column does not shrink below it.
        cellMinimums.put(table.getColumns().getFirst(), FINISHED_COLUMN_WIDTH);
        table.getColumns().getFirst().setPrefWidth(FINISHED_COLUMN_WIDTH);
        table.getColumns().add(column("Run", RoundRecord::run));
        table.getColumns().getLast().setPrefWidth(70);
        table.getColumns().add(column("Round", r -> Long.toString(r.round())));
        table.getColumns().add(column("Tokens", r -> Formats.count(r.tokens())));
        table.getColumns().add(column("Compute", r -> Formats.decimal(r.computeSeconds(), 0) + " s"));
        table.getColumns().add(column("Sent", r -> Formats.bytes(r.bytesUp())));
        table.getColumns().add(column("Received", r -> Formats.bytes(r.bytesDown())));
        table.getColumns().add(column("Result", r -> r.accepted() ? "accepted" : "rejected: " + r.rejectReason()));
        table.getColumns().getLast().setPrefWidth(90);
        cellMinimums.put(table.getColumns().getLast(), 90.0); // "accepted" whole
        table.getColumns().add(column("Credits", r -> Formats.credits(r.credits())));
        table.getColumns().add(column("Local loss", r -> Formats.decimal(r.localLoss(), 3)));
        table.getColumns().add(column("Energy (kWh)", ContributionViewModel::roundEnergyCell));
        TableColumn<RoundRecord, String> cost = column("Cost", vm::roundAmountCell);
        cost.textProperty().bind(javafx.beans.binding.Bindings.createStringBinding(vm::costColumnTitle, vm.totalsProperty()));
        table.getColumns().add(cost);
        table.setColumnResizePolicy(TableView.CONSTRAINED_RESIZE_POLICY_FLEX_LAST_COLUMN); // until the titles are measured
        VBox.setVgrow(table, Priority.ALWAYS);

        root = new VBox(Ui.GAP, Ui.title("Your contribution"), totals, chartBar, chart, status, Ui.heading("Rounds"), table,
                Ui.muted(ContributionViewModel.ENERGY_NOTE));
        root.setPadding(Ui.PAGE_PADDING);
        root.setId("contribution");
    }

    /// Wide enough for "2026-12-01 22:16:52" in the app's font with cell padding.
    private static final double FINISHED_COLUMN_WIDTH = 170;

    private static TableColumn<RoundRecord, String> column(String title, Function<RoundRecord, String> value) {
        TableColumn<RoundRecord, String> c = new TableColumn<>(title);
        c.setCellValueFactory(cell -> new ReadOnlyObjectWrapper<>(value.apply(cell.getValue())));
        c.setSortable(false);
        return c;
    }

    private void showTotals() {
        tokensTotal.setText(vm.tokensText());
        computeTotal.setText(vm.computeText());
        roundsTotal.setText(vm.roundsText());
        creditsTotal.setText(vm.creditsText());
        dataTotal.setText(vm.dataText());
        energyTotal.setText(vm.energyText());
        costTotal.setText(vm.costText());
    }

    private void redrawChart() {
        var data = vm.periods().stream()
                .map(d -> new XYChart.Data<String, Number>(DAY.format(d.start()) + "\n"
                        + ContributionViewModel.periodKwhCell(d), d.tokens()))
                .toList();
        tokens.getData().setAll(data);
    }

    @Override
    public Parent root() {
        return root;
    }

    @Override
    public void activate() {
        vm.periods().addListener(periodsListener);
        redrawChart();
        vm.refresh();
    }

    @Override
    public void deactivate() {
        vm.periods().removeListener(periodsListener);
    }
}

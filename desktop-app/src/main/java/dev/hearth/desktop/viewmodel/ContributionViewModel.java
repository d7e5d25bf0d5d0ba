package dev.hearth.desktop.viewmodel;

import dev.hearth.node.api.ContributionHistory;
import dev.hearth.node.api.ContributionHistory.DailyTotal;
import dev.hearth.node.api.ContributionHistory.Totals;
import dev.hearth.node.api.EnergyText;
import dev.hearth.node.api.NodeService;
import dev.hearth.node.api.RoundEnergy;
import dev.hearth.node.api.RoundRecord;
import dev.hearth.node.api.Tariff;
import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.List;
import java.util.Objects;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleObjectProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;

/// What the owner has given: totals, a chart per day or week, the table of rounds and a CSV export.
/// Every history query runs on the background executor (SQLite may take a moment); results land on the UI executor.
public final class ContributionViewModel {
    /// Days shown in the per-day chart: two weeks show a habit without crowding the bars.
    public static final int CHART_DAYS = 14;
    /// Weeks shown in the per-week chart: about a quarter.
    public static final int CHART_WEEKS = 12;
    /// Rounds loaded into the table; the CSV export has all of them.
    public static final int TABLE_ROUNDS = 500;

    public enum Period { DAY, WEEK }

    /// One query's worth of history, delivered to the UI thread in one piece.
    record Loaded(Totals totals, List<DailyTotal> periods, List<RoundRecord> rounds, DailyTotal today) {}

    private final NodeService node;
    private final BackgroundTasks tasks;
    private final ZoneId zone;

    private final ObjectProperty<Period> period = new SimpleObjectProperty<>(Period.DAY);
    private final ReadOnlyObjectWrapper<Totals> totals = new ReadOnlyObjectWrapper<>(new Totals(0, 0, 0, 0, 0, 0, 0));
    private DailyTotal today;
    private final ObservableList<DailyTotal> periods = FXCollections.observableArrayList();
    private final ObservableList<RoundRecord> rounds = FXCollections.observableArrayList();
    private final ReadOnlyBooleanWrapper loading = new ReadOnlyBooleanWrapper(false);
    private final ReadOnlyStringWrapper status = new ReadOnlyStringWrapper("");
    private boolean refreshAgain;

    public ContributionViewModel(NodeService node, BackgroundTasks tasks, ZoneId zone) {
        this.node = Objects.requireNonNull(node, "node");
        this.tasks = Objects.requireNonNull(tasks, "tasks");
        this.zone = zone;
        period.addListener((obs, old, now) -> refresh());
        // The node has no removeListener, so this view model listens for the app's lifetime; a refresh is cheap.
        node.addListener(new NodeService.Listener() {
            @Override
            public void onRoundRecorded(RoundRecord record) {
                refresh();
            }
        }, tasks.ui());
    }

    /// Reloads totals, the chart and the table. A refresh asked for while one runs is done once after it.
    public void refresh() {
        if (loading.get()) {
            refreshAgain = true;
            return;
        }
        loading.set(true);
        Period p = period.get();
        tasks.run(() -> {
            ContributionHistory h = node.history();
            return new Loaded(h.totals(),
                    p == Period.DAY ? h.perDay(CHART_DAYS, zone) : h.perWeek(CHART_WEEKS, zone),
                    h.rounds(TABLE_ROUNDS, 0), h.perDay(1, zone).getFirst());
        }, loaded -> {
            today = loaded.today();
            totals.set(loaded.totals());
            periods.setAll(loaded.periods());
            rounds.setAll(loaded.rounds());
            finishLoading();
        }, failure -> {
            status.set("Could not read the contribution history: " + BackgroundTasks.describe(failure));
            finishLoading();
        });
    }

    private void finishLoading() {
        loading.set(false);
        if (refreshAgain) {
            refreshAgain = false;
            refresh();
        }
    }

    /// Writes every round as CSV to `target` in the background; {@link #statusProperty()} says how it went.
    public void exportCsv(Path target) {
        status.set("Exporting to " + target.getFileName() + "…");
        tasks.run(() -> {
            try (BufferedWriter out = Files.newBufferedWriter(target, StandardCharsets.UTF_8)) {
                node.history().exportCsv(out, tariff());
            }
            return target;
        }, done -> status.set("Exported every round to " + done),
                failure -> status.set("Export failed: " + BackgroundTasks.describe(failure)));
    }

    public String tokensText() { return Formats.count(totals.get().tokens()); }
    public String computeText() { return Formats.hours(totals.get().computeSeconds()); }
    public String roundsText() { return totals.get().roundsAccepted() + " accepted · " + totals.get().roundsRejected() + " rejected"; }
    public String creditsText() { return Formats.credits(totals.get().credits()); }
    /// The owner's tariff, or null when none is set (no cost shown).
    public Tariff tariff() {
        return node.settings().energy().tariff();
    }

    /// "0.012 kWh today · 0.140 kWh in all (estimated)": "(estimated)" when any of it is an estimate.
    public String energyText() {
        Totals t = totals.get();
        double todayJ = today == null ? 0 : today.energyJoules();
        String label = t.energyJoules() <= 0 ? "" : t.energyEstimated() ? " (estimated)" : " (measured)";
        return RoundEnergy.kwhText(todayJ / RoundEnergy.JOULES_PER_KWH) + " today · "
                + RoundEnergy.kwhText(t.energyJoules() / RoundEnergy.JOULES_PER_KWH) + " in all" + label;
    }

    /// "0.0036 EUR today · 0.0420 EUR in all", or how to set a tariff.
    public String costText() {
        Tariff tariff = tariff();
        if (tariff == null) return "set a price per kWh in Settings to see it";
        return EnergyText.cost(today == null ? 0 : today.energyJoules(), tariff) + " today · "
                + EnergyText.cost(totals.get().energyJoules(), tariff) + " in all";
    }

    /// A round's energy: "0.012 kWh (estimated)", or "not metered" for rounds from before metering.
    public static String roundEnergyText(RoundRecord r) {
        return r.energy() == null ? "not metered" : r.energy().words();
    }

    /// A round's cost at the owner's tariff, or "" without a tariff or a figure.
    public String roundCostText(RoundRecord r) {
        Tariff tariff = tariff();
        return r.energy() == null || tariff == null ? "" : EnergyText.cost(r.energy().joules(), tariff);
    }

    /// The table's energy cell, in the column "Energy (kWh)": "0.000016 est." or "0.25 meas." (the note under
    /// the table spells both out), or "not metered".
    public static String roundEnergyCell(RoundRecord r) {
        if (r.energy() == null) return "not metered";
        return RoundEnergy.kwhText(r.energy().kwh()).replace(" kWh", "")
                + (r.energy().source() == dev.hearth.node.api.EnergySource.ESTIMATE ? " est." : " meas.");
    }

    /// The note under the table: what "est." and "meas." mean.
    public static final String ENERGY_NOTE = "est. = estimated: the trainer's CPU time × "
            + (int) dev.hearth.node.api.EnergySource.ESTIMATE_WATTS_PER_BUSY_CORE + " W per busy core; "
            + "meas. = measured (GPU power sensor or CPU energy counters)";

    /// The table's cost cell, the amount in the column "Cost (EUR)"; "" without a tariff or a figure.
    public String roundAmountCell(RoundRecord r) {
        Tariff tariff = tariff();
        return r.energy() == null || tariff == null ? "" : tariff.amountText(r.energy().kwh());
    }

    /// "Cost (EUR)", or "Cost" without a tariff.
    public String costColumnTitle() {
        Tariff tariff = tariff();
        return tariff == null ? "Cost" : "Cost (" + tariff.currency() + ")";
    }

    /// The kWh under a chart bar, without the unit (the axis says it): "0.000016".
    public static String periodKwhCell(DailyTotal d) {
        return RoundEnergy.kwhText(d.energyJoules() / RoundEnergy.JOULES_PER_KWH).replace(" kWh", "");
    }

    /// A period's energy for the chart's tooltip: "0.250 kWh (measured)".
    public static String periodEnergyText(DailyTotal d) {
        return EnergyText.kwh(d.energyJoules(), d.energyEstimated());
    }

    public String dataText() { return Formats.bytes(totals.get().bytesUp()) + " up · " + Formats.bytes(totals.get().bytesDown()) + " down"; }

    public ObjectProperty<Period> periodProperty() { return period; }
    public ReadOnlyObjectProperty<Totals> totalsProperty() { return totals.getReadOnlyProperty(); }
    /// Oldest first.
    public ObservableList<DailyTotal> periods() { return periods; }
    /// Most recent first.
    public ObservableList<RoundRecord> rounds() { return rounds; }
    public ReadOnlyBooleanProperty loadingProperty() { return loading.getReadOnlyProperty(); }
    public ReadOnlyStringProperty statusProperty() { return status.getReadOnlyProperty(); }
    public ZoneId zone() { return zone; }

    /// Where the CSV export starts: the Documents folder, else the home folder — not the folder Hearth was started in.
    public static java.nio.file.Path exportFolder(java.nio.file.Path home) {
        java.nio.file.Path documents = home.resolve("Documents");
        return java.nio.file.Files.isDirectory(documents) ? documents : home;
    }
}

package dev.hearth.desktop.viewmodel;

import dev.hearth.node.api.NodeService;
import dev.hearth.node.api.RunStatus;
import java.util.List;
import java.util.Objects;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;

/// The run's global picture as the coordinator last reported it: round, nodes online, loss curve, rank.
public final class RunViewModel {
    private final NodeService node;
    private final ReadOnlyStringWrapper runName = new ReadOnlyStringWrapper("The run");
    private final ReadOnlyStringWrapper note = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper round = new ReadOnlyStringWrapper("—");
    private final ReadOnlyStringWrapper nodesOnline = new ReadOnlyStringWrapper("—");
    private final ReadOnlyStringWrapper rank = new ReadOnlyStringWrapper("—");
    private final ReadOnlyStringWrapper credits = new ReadOnlyStringWrapper("—");
    private final ReadOnlyStringWrapper modelSample = new ReadOnlyStringWrapper("");
    private final ObservableList<Double> lossHistory = FXCollections.observableArrayList();
    private final ReadOnlyStringWrapper dashboardUrl = new ReadOnlyStringWrapper("");
    private RunStatus last;

    public RunViewModel(NodeService node) {
        this.node = Objects.requireNonNull(node, "node");
    }

    /// Reads the node's cached run status (cheap); called by the view's timeline.
    public void sample() {
        String url = node.dashboardUrl();
        if (!url.equals(dashboardUrl.get())) dashboardUrl.set(url);
        RunStatus s = node.runStatus();
        if (s == null || s.equals(last)) return;
        last = s;
        boolean known = !s.runName().isBlank();
        runName.set(known ? "Run " + s.runName() : "The run");
        note.set(!known ? "Not joined yet: the run's picture appears once the coordinator answers."
                : s.yourRank() <= 0 ? "Your rank appears after your first accepted round." : "");
        round.set(s.round() > 0 || known ? Long.toString(s.round()) : "—");
        nodesOnline.set(known ? Integer.toString(s.nodesOnline()) : "—");
        rank.set(rankText(s));
        credits.set(known ? Formats.credits(s.yourCredits()) : "—");
        modelSample.set(s.sample() == null ? "" : s.sample());
        List<Double> losses = s.lossHistory() == null ? List.of() : s.lossHistory();
        if (!losses.equals(lossHistory)) lossHistory.setAll(losses);
    }

    static String rankText(RunStatus s) {
        if (s.yourRank() <= 0) return "—";
        return "#" + s.yourRank() + " of " + s.rankedNodes();
    }

    public ReadOnlyStringProperty runNameProperty() { return runName.getReadOnlyProperty(); }
    /// What is missing and why, in a sentence; empty when the picture is complete.
    public ReadOnlyStringProperty noteProperty() { return note.getReadOnlyProperty(); }
    public ReadOnlyStringProperty roundProperty() { return round.getReadOnlyProperty(); }
    public ReadOnlyStringProperty nodesOnlineProperty() { return nodesOnline.getReadOnlyProperty(); }
    public ReadOnlyStringProperty rankProperty() { return rank.getReadOnlyProperty(); }
    public ReadOnlyStringProperty creditsProperty() { return credits.getReadOnlyProperty(); }
    public ReadOnlyStringProperty modelSampleProperty() { return modelSample.getReadOnlyProperty(); }
    /// The run's web dashboard, or "" when none is known (a public run's page is the coordinator's to announce).
    public ReadOnlyStringProperty dashboardUrlProperty() { return dashboardUrl.getReadOnlyProperty(); }
    /// Mean training loss per committed round, oldest first.
    public ObservableList<Double> lossHistory() { return lossHistory; }
}

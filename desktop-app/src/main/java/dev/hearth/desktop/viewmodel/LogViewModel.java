package dev.hearth.desktop.viewmodel;

import dev.hearth.node.api.LogEntry;
import dev.hearth.node.api.NodeService;
import java.util.Locale;
import java.util.Objects;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import javafx.collections.transformation.FilteredList;

/// The node's event log, filtered by lowest level and by text (source or message, any case).
public final class LogViewModel {
    /// Lines kept in the app; older ones drop off (the node keeps its own bounded log too).
    public static final int MAX_LINES = 5_000;

    private final ObservableList<LogEntry> all = FXCollections.observableArrayList();
    private final FilteredList<LogEntry> visible = new FilteredList<>(all, e -> true);
    private final ObjectProperty<LogEntry.Level> minLevel = new SimpleObjectProperty<>(LogEntry.Level.INFO);
    private final StringProperty text = new SimpleStringProperty("");

    public LogViewModel(NodeService node, BackgroundTasks tasks) {
        Objects.requireNonNull(node, "node");
        minLevel.addListener((o, a, b) -> updateFilter());
        text.addListener((o, a, b) -> updateFilter());
        updateFilter();
        all.setAll(node.recentLog());
        trim();
        node.addListener(NodeService.logListener(this::append), tasks.ui());
    }

    void append(LogEntry entry) {
        all.add(entry);
        trim();
    }

    private void trim() {
        if (all.size() > MAX_LINES) all.remove(0, all.size() - MAX_LINES);
    }

    private void updateFilter() {
        LogEntry.Level level = minLevel.get() == null ? LogEntry.Level.DEBUG : minLevel.get();
        String needle = text.get() == null ? "" : text.get().strip().toLowerCase(Locale.ROOT);
        visible.setPredicate(e -> e.level().compareTo(level) >= 0
                && (needle.isEmpty()
                    || e.message().toLowerCase(Locale.ROOT).contains(needle)
                    || e.source().toLowerCase(Locale.ROOT).contains(needle)));
    }

    public ObjectProperty<LogEntry.Level> minLevelProperty() { return minLevel; }
    public StringProperty textProperty() { return text; }
    /// Oldest first, filtered.
    public ObservableList<LogEntry> visible() { return visible; }
    public int totalLines() { return all.size(); }
}

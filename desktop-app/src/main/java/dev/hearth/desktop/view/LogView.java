package dev.hearth.desktop.view;

import atlantafx.base.theme.Styles;
import dev.hearth.desktop.viewmodel.LogViewModel;
import dev.hearth.node.api.LogEntry;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.function.Function;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.scene.Parent;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableRow;
import javafx.scene.control.TableView;
import javafx.scene.control.TextField;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.VBox;

/// The node's event log, newest at the bottom, filtered by level and text.
public final class LogView implements View {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss");

    private final VBox root;
    private final TableView<LogEntry> table;
    private final LogViewModel vm;

    public LogView(LogViewModel vm, ZoneId zone) {
        this.vm = vm;
        ComboBox<LogEntry.Level> level = Ui.id(new ComboBox<>(), "logLevelFilter");
        level.getItems().setAll(LogEntry.Level.values());
        level.valueProperty().bindBidirectional(vm.minLevelProperty());
        TextField filter = Ui.id(new TextField(), "logTextFilter");
        filter.setPromptText("Filter by text");
        filter.textProperty().bindBidirectional(vm.textProperty());
        HBox.setHgrow(filter, Priority.ALWAYS);
        HBox bar = new HBox(Ui.GAP, new Label("Show from"), level, filter);
        bar.setAlignment(javafx.geometry.Pos.CENTER_LEFT);

        table = Ui.id(new TableView<>(vm.visible()), "logTable");
        table.setPlaceholder(Ui.muted("Nothing logged at this level."));
        table.getColumns().add(column("Time", e -> TIME.format(e.at().atZone(zone)), 80));
        table.getColumns().add(column("Level", e -> e.level().name(), 70));
        table.getColumns().add(column("Source", LogEntry::source, 120));
        TableColumn<LogEntry, String> message = column("Message", LogEntry::message, 600);
        table.getColumns().add(message);
        table.setColumnResizePolicy(TableView.CONSTRAINED_RESIZE_POLICY_FLEX_LAST_COLUMN);
        table.getStyleClass().add(Styles.DENSE);
        // Long messages (addresses, paths) are cut at the column's edge; the tooltip has all of it.
        message.setCellFactory(c -> new javafx.scene.control.TableCell<>() {
            @Override
            protected void updateItem(String item, boolean empty) {
                super.updateItem(item, empty);
                setText(empty ? null : item);
                setTooltip(empty || item == null ? null : new javafx.scene.control.Tooltip(item));
            }
        });
        table.setRowFactory(t -> new TableRow<>() {
            @Override
            protected void updateItem(LogEntry item, boolean empty) {
                super.updateItem(item, empty);
                getStyleClass().removeAll("log-warn", "log-error");
                if (!empty && item != null && item.level() == LogEntry.Level.WARN) getStyleClass().add("log-warn");
                if (!empty && item != null && item.level() == LogEntry.Level.ERROR) getStyleClass().add("log-error");
            }
        });
        VBox.setVgrow(table, Priority.ALWAYS);
        root = new VBox(Ui.GAP, Ui.title("Event log"), bar, table);
        root.setPadding(Ui.PAGE_PADDING);
        root.setId("log");
    }

    private static TableColumn<LogEntry, String> column(String title, Function<LogEntry, String> value, double width) {
        TableColumn<LogEntry, String> c = new TableColumn<>(title);
        c.setCellValueFactory(cell -> new ReadOnlyObjectWrapper<>(value.apply(cell.getValue())));
        c.setPrefWidth(width);
        c.setSortable(false);
        return c;
    }

    @Override
    public Parent root() {
        return root;
    }

    @Override
    public void activate() {
        if (!vm.visible().isEmpty()) table.scrollTo(vm.visible().size() - 1);
    }
}

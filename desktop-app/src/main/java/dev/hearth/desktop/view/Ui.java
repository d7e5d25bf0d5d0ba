package dev.hearth.desktop.view;

import atlantafx.base.theme.Styles;
import javafx.geometry.Insets;
import javafx.scene.Node;
import javafx.scene.control.Label;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableColumnBase;
import javafx.scene.control.TableView;
import javafx.scene.control.skin.TableColumnHeader;
import javafx.scene.layout.Region;
import javafx.scene.layout.VBox;
import javafx.scene.text.Text;
import javafx.util.Callback;
import javafx.util.Duration;
import org.kordamp.ikonli.Ikon;
import org.kordamp.ikonli.javafx.FontIcon;

/// Small builders the views share, so every screen has the same spacing and type scale.
final class Ui {
    /// How often views sample the node's latest-value holders: 4 Hz is smooth enough for people and cheap.
    static final Duration SAMPLE_PERIOD = Duration.millis(250);
    static final double GAP = 12;
    static final Insets PAGE_PADDING = new Insets(20, 24, 20, 24);

    private Ui() {}

    static Label title(String text) {
        Label l = new Label(text);
        l.getStyleClass().add(Styles.TITLE_2);
        return l;
    }

    static Label heading(String text) {
        Label l = new Label(text);
        l.getStyleClass().add(Styles.TITLE_4);
        return l;
    }

    static Label muted(String text) {
        Label l = new Label(text);
        l.getStyleClass().add(Styles.TEXT_MUTED);
        l.setWrapText(true);
        return l;
    }

    static Label wrapped(String text) {
        Label l = new Label(text);
        l.setWrapText(true);
        return l;
    }

    static Label error() {
        Label l = new Label();
        l.getStyleClass().addAll(Styles.DANGER, "field-error");
        l.setWrapText(true);
        l.managedProperty().bind(l.textProperty().isNotEmpty());
        l.visibleProperty().bind(l.textProperty().isNotEmpty());
        return l;
    }

    static FontIcon icon(Ikon ikon) {
        return new FontIcon(ikon);
    }

    /// A small card: a muted caption over a large value.
    static VBox stat(String caption, Label value) {
        value.getStyleClass().add(Styles.TITLE_3);
        Label c = new Label(caption);
        c.getStyleClass().addAll(Styles.TEXT_MUTED, Styles.TEXT_SMALL);
        VBox box = new VBox(2, c, value);
        box.getStyleClass().add("stat-card");
        box.setMinWidth(Region.USE_PREF_SIZE);
        return box;
    }

    /// Calls `sample` on the FX thread every {@link #SAMPLE_PERIOD} between `play()` and `stop()`.
    static Sampler sampler(Runnable sample) {
        return new Sampler(sample);
    }

    static <T extends Node> T id(T node, String id) {
        node.setId(id);
        return node;
    }

    /// Keeps every column title of `table` whole: raises each column's minimum width to what its header needs to
    /// draw its title (font, padding and all; twelve columns in 930 px gave "Ro…", "To…"), and where the columns'
    /// minimums need more than the table has, lets the table scroll sideways. `floors` are minimums a column needs for
    /// its cells (a whole date), kept when larger. Call it from the table's `layoutChildren`: the header's font comes
    /// from the theme's CSS and the headers exist only once the skin has laid them out, and a title may change (the
    /// cost column gains its currency).
    ///
    /// A constrained resize policy fills the width but never shows a horizontal scroll bar: columns past the edge
    /// were cut off with no way to reach them. So the policy is `fill` while the minimums fit and unconstrained
    /// (columns at their widths, a scroll bar below) while they do not; it depends on the minimums only, not on the
    /// widths a policy gives, so it does not flip back and forth.
    ///
    /// @return true when a minimum or the policy changed (the caller lays out again)
    static boolean fitColumnsToTitles(TableView<?> table, java.util.Map<TableColumnBase<?, ?>, Double> floors,
                                      Callback<TableView.ResizeFeatures, Boolean> fill) {
        boolean changed = false;
        for (Node n : table.lookupAll(".column-header")) {
            if (!(n instanceof TableColumnHeader header) || !table.getColumns().contains(header.getTableColumn())) continue;
            if (!(header.lookup(".label") instanceof Label title)) continue;
            TableColumnBase<?, ?> column = header.getTableColumn();
            double min = Math.max(floors.getOrDefault(column, 0.0), titleWidth(header, title));
            if (min != column.getMinWidth()) {
                column.setMinWidth(min);
                changed = true;
            }
        }
        double minimums = table.getColumns().stream().mapToDouble(TableColumnBase::getMinWidth).sum();
        double room = table.getWidth() - table.snappedLeftInset() - table.snappedRightInset() - SCROLL_BAR_ROOM;
        Callback<TableView.ResizeFeatures, Boolean> policy = minimums > room ? TableView.UNCONSTRAINED_RESIZE_POLICY : fill;
        if (table.getColumnResizePolicy() != policy) {
            table.setColumnResizePolicy(policy);
            // the constrained policy squeezed every column to its minimum ("44 …" under "Sent"): with room to
            // scroll, each goes back to its preferred width
            if (policy == TableView.UNCONSTRAINED_RESIZE_POLICY) table.getColumns().forEach(c -> toPreferredWidth(table, c));
            changed = true;
        }
        return changed;
    }

    @SuppressWarnings("unchecked") // the column is one of the table's own
    private static <S> void toPreferredWidth(TableView<S> table, TableColumn<?, ?> column) {
        double target = Math.max(column.getMinWidth(), column.getPrefWidth());
        if (target != column.getWidth()) table.resizeColumn((TableColumn<S, ?>) column, target - column.getWidth());
    }

    /// 20 px: room for the vertical scroll bar, which takes width from the columns once the rows overflow.
    private static final double SCROLL_BAR_ROOM = 20;

    /// What `header` needs to draw `title`'s text whole: the text in its font, the label's padding and the header's.
    static double titleWidth(TableColumnHeader header, Label title) {
        Text text = new Text(title.getText());
        text.setFont(title.getFont());
        return Math.ceil(text.getLayoutBounds().getWidth() + title.snappedLeftInset() + title.snappedRightInset()
                + header.snappedLeftInset() + header.snappedRightInset()) + TITLE_ROUNDING_SLACK;
    }

    /// 1 px: the header snaps its width to whole pixels, which can lose the fraction the measurement rounded up.
    private static final double TITLE_ROUNDING_SLACK = 1;
}

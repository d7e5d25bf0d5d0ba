package dev.hearth.desktop.view;

import atlantafx.base.theme.Styles;
import javafx.geometry.Insets;
import javafx.scene.Node;
import javafx.scene.control.Label;
import javafx.scene.layout.Region;
import javafx.scene.layout.VBox;
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
}

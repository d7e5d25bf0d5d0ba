package dev.hearth.desktop.view;

import atlantafx.base.theme.Styles;
import javafx.geometry.Pos;
import javafx.scene.Parent;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.ProgressIndicator;
import javafx.scene.image.ImageView;
import javafx.scene.layout.VBox;

/// A whole-window message: "Starting Hearth…", or a problem the app cannot get past, said plainly with one way out.
public final class MessageView implements View {
    /// Text width of a problem: a comfortable line length for two or three sentences.
    private static final double PROBLEM_WIDTH = 620;

    private final VBox root;

    private MessageView(VBox root) {
        this.root = root;
    }

    public static MessageView starting() {
        Label text = new Label("Starting Hearth…");
        text.getStyleClass().add(Styles.TITLE_3);
        VBox box = new VBox(20, new ImageView(Icons.appIcon(96)), text, new ProgressIndicator());
        box.setAlignment(Pos.CENTER);
        box.setId("starting");
        return new MessageView(box);
    }

    /// @param problem what went wrong; @param advice what the owner can do
    public static MessageView problem(String headline, String problem, String advice, Runnable quit) {
        Label title = new Label(headline);
        title.getStyleClass().addAll(Styles.TITLE_2);
        Label what = Ui.id(Ui.wrapped(problem), "problem");
        Label todo = Ui.muted(advice);
        Button close = Ui.id(new Button("Quit"), "quit");
        close.setOnAction(e -> quit.run());
        for (Label l : new Label[] {what, todo}) {
            l.setMaxWidth(PROBLEM_WIDTH);
            l.setTextAlignment(javafx.scene.text.TextAlignment.CENTER);
        }
        VBox box = new VBox(16, new ImageView(Icons.appIcon(96)), title, what, todo, close);
        box.setAlignment(Pos.CENTER);
        box.setPadding(Ui.PAGE_PADDING);
        box.setId("problemScreen");
        return new MessageView(box);
    }

    @Override
    public Parent root() {
        return root;
    }
}

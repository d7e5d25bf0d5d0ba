package dev.hearth.desktop.view;

import atlantafx.base.theme.Styles;
import dev.hearth.desktop.viewmodel.DashboardViewModel;
import java.util.EnumMap;
import java.util.Map;
import javafx.geometry.Pos;
import javafx.scene.Parent;
import javafx.scene.control.Label;
import javafx.scene.control.ToggleButton;
import javafx.scene.control.ToggleGroup;
import javafx.scene.image.ImageView;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.StackPane;
import javafx.scene.layout.VBox;

/// The main window: a sidebar of screens and the current one; only the visible screen is active.
public final class MainView implements View {
    private final Map<Screen, View> views;
    private final Map<Screen, ToggleButton> buttons = new EnumMap<>(Screen.class);
    private final BorderPane root = new BorderPane();
    private final StackPane content = new StackPane();
    private final Sampler stateSampler;
    private Screen current;
    private boolean active;

    public MainView(Map<Screen, View> views, DashboardViewModel dashboard) {
        this.views = new EnumMap<>(views);
        ImageView logo = new ImageView(Icons.appIcon(32));
        Label name = new Label("Hearth");
        name.getStyleClass().add(Styles.TITLE_3);
        HBox brand = new HBox(8, logo, name);
        brand.setAlignment(Pos.CENTER_LEFT);
        VBox sidebar = new VBox(4, brand);
        sidebar.getStyleClass().add("sidebar");
        ToggleGroup group = new ToggleGroup();
        for (Screen s : Screen.values()) {
            ToggleButton b = Ui.id(new ToggleButton(s.title(), Ui.icon(s.icon())), "nav-" + s.id());
            b.setToggleGroup(group);
            b.setMaxWidth(Double.MAX_VALUE);
            b.setAlignment(Pos.CENTER_LEFT);
            b.getStyleClass().addAll(Styles.FLAT, "nav-button");
            b.setOnAction(e -> show(s));
            buttons.put(s, b);
            sidebar.getChildren().add(b);
        }
        Region spacer = new Region();
        VBox.setVgrow(spacer, Priority.ALWAYS);
        // The state stays visible on every screen, small, at the foot of the sidebar.
        Label state = Ui.id(Ui.muted(""), "sidebarState");
        state.textProperty().bind(dashboard.stateLineProperty());
        state.setMaxWidth(170);
        sidebar.getChildren().addAll(spacer, state);
        stateSampler = Ui.sampler(dashboard::sample);
        root.setLeft(sidebar);
        root.setCenter(content);
        root.setId("main");
    }

    /// Shows `screen`, deactivating the one that was visible.
    public void show(Screen screen) {
        if (screen == current) {
            buttons.get(screen).setSelected(true);
            return;
        }
        if (current != null && active) views.get(current).deactivate();
        current = screen;
        View v = views.get(screen);
        content.getChildren().setAll(v.root());
        buttons.get(screen).setSelected(true);
        if (active) v.activate();
    }

    public Screen current() {
        return current;
    }

    @Override
    public Parent root() {
        return root;
    }

    @Override
    public void activate() {
        active = true;
        if (current == null) show(Screen.DASHBOARD);
        else views.get(current).activate();
        stateSampler.play();
    }

    @Override
    public void deactivate() {
        active = false;
        stateSampler.stop();
        if (current != null) views.get(current).deactivate();
    }
}

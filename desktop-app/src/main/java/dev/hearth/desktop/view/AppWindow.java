package dev.hearth.desktop.view;

import dev.hearth.desktop.os.AppMarkers;
import dev.hearth.desktop.os.Autostart;
import dev.hearth.desktop.viewmodel.BackgroundTasks;
import dev.hearth.desktop.viewmodel.ContributionViewModel;
import dev.hearth.desktop.viewmodel.DashboardViewModel;
import dev.hearth.desktop.viewmodel.FirstStartViewModel;
import dev.hearth.desktop.viewmodel.LogViewModel;
import dev.hearth.desktop.viewmodel.RunViewModel;
import dev.hearth.desktop.viewmodel.SettingsViewModel;
import dev.hearth.node.api.NodeService;
import java.time.ZoneId;
import java.util.EnumMap;
import java.util.Map;
import javafx.scene.Parent;
import javafx.scene.layout.StackPane;

/// Everything inside the window once the node runs: the first start when the owner has not finished it yet,
/// else the main view. Builds the view models and views; owns which one is active.
public final class AppWindow implements View {
    private final StackPane root = new StackPane();
    private final AppMarkers markers;
    private final DashboardViewModel dashboard;
    private final FirstStartViewModel firstStartVm;
    private final MainView main;
    private View current;
    private boolean active;

    public AppWindow(NodeService node, BackgroundTasks tasks, AppMarkers markers, Autostart autostart, ZoneId zone) {
        this.markers = markers;
        this.dashboard = new DashboardViewModel(node, zone);
        this.firstStartVm = new FirstStartViewModel(node, tasks, markers);
        Map<Screen, View> views = new EnumMap<>(Screen.class);
        views.put(Screen.DASHBOARD, new DashboardView(dashboard));
        views.put(Screen.CONTRIBUTION, new ContributionView(new ContributionViewModel(node, tasks, zone)));
        views.put(Screen.RUN, new RunView(new RunViewModel(node)));
        views.put(Screen.SETTINGS, new SettingsView(new SettingsViewModel(node, tasks, autostart)));
        views.put(Screen.LOG, new LogView(new LogViewModel(node, tasks), zone));
        this.main = new MainView(views, dashboard);
        root.setId("appWindow");
        switchTo(markers.firstStartDone() ? main : newFirstStart());
    }

    private FirstStartView newFirstStart() {
        return new FirstStartView(firstStartVm, this::showMain);
    }

    public boolean showingFirstStart() {
        return current instanceof FirstStartView;
    }

    /// The first-start screen again (the screenshot tour uses it; finishing it returns to the main view).
    public void showFirstStart() {
        switchTo(newFirstStart());
    }

    /// Finishes a pending first start with its defaults (the local run, only when idle), then shows the main view.
    /// The screenshot tour uses it on a fresh data folder.
    public void completeFirstStartWithDefaults() {
        firstStartVm.start(this::showMain);
    }

    public void showMain() {
        switchTo(main);
    }

    public void show(Screen screen) {
        showMain();
        main.show(screen);
    }

    public DashboardViewModel dashboard() {
        return dashboard;
    }

    public AppMarkers markers() {
        return markers;
    }

    private void switchTo(View next) {
        if (next == current) return;
        if (current != null && active) current.deactivate();
        current = next;
        root.getChildren().setAll(next.root());
        if (active) next.activate();
    }

    @Override
    public Parent root() {
        return root;
    }

    @Override
    public void activate() {
        if (active) return; // the tray's "Open" may come while the window is already up
        active = true;
        current.activate();
    }

    @Override
    public void deactivate() {
        if (!active) return;
        active = false;
        current.deactivate();
    }
}

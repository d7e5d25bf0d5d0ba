package dev.hearth.desktop;

import atlantafx.base.theme.PrimerDark;
import dev.hearth.desktop.os.AppMarkers;
import dev.hearth.desktop.os.Autostart;
import dev.hearth.desktop.os.Tray;
import dev.hearth.desktop.view.AppWindow;
import dev.hearth.desktop.view.Icons;
import dev.hearth.desktop.view.MessageView;
import dev.hearth.desktop.view.ScreenshotTour;
import dev.hearth.desktop.viewmodel.BackgroundTasks;
import dev.hearth.node.api.NodeService;
import dev.hearth.node.api.NodeServiceProvider;
import java.time.ZoneId;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javafx.animation.KeyFrame;
import javafx.animation.Timeline;
import javafx.application.Application;
import javafx.application.Platform;
import javafx.scene.Scene;
import javafx.scene.control.Alert;
import javafx.scene.control.ButtonBar;
import javafx.scene.control.ButtonType;
import javafx.stage.Stage;
import javafx.stage.WindowEvent;

/// The desktop app: starts the node in the background, shows the first start or the main window,
/// and puts an icon in the tray where there is one.
public final class HearthApp extends Application {
    /// How the app gets its node; tests and the screenshot harness pass their own.
    @FunctionalInterface
    public interface NodeStarter {
        NodeService start(AppOptions options) throws Exception;
    }

    /// Production: the node implementation found through ServiceLoader.
    public static final NodeStarter SERVICE_LOADER = options ->
            NodeServiceProvider.load().start(new NodeServiceProvider.Options(options.dataDir(), false));

    public static final double WIDTH = 1180;
    public static final double HEIGHT = 800;
    /// Below this the dashboard's three chart columns and the settings form stop fitting.
    private static final double MIN_WIDTH = 960;
    private static final double MIN_HEIGHT = 620;
    /// Threads for history queries, exports and node start-up: two keep one slow query from delaying a click.
    private static final int BACKGROUND_THREADS = 2;

    private static final System.Logger LOG = System.getLogger(HearthApp.class.getName());
    private static final javafx.util.Duration TRAY_TOOLTIP_PERIOD = javafx.util.Duration.seconds(1);

    private static volatile AppOptions options = AppOptions.defaults();
    private static volatile NodeStarter starter = SERVICE_LOADER;

    private ExecutorService background;
    private BackgroundTasks tasks;
    private Stage stage;
    private Scene scene;
    private NodeService node;
    private AppWindow window;
    private Tray tray;
    private boolean quitting;

    /// Starts the JavaFX application (blocks until it exits).
    public static void launch(AppOptions appOptions, NodeStarter nodeStarter) {
        options = appOptions;
        starter = nodeStarter;
        Application.launch(HearthApp.class);
    }

    @Override
    public void start(Stage primary) {
        stage = primary;
        AtomicInteger n = new AtomicInteger();
        background = Executors.newFixedThreadPool(BACKGROUND_THREADS, r -> {
            Thread t = new Thread(r, "hearth-ui-background-" + n.getAndIncrement());
            t.setDaemon(true);
            return t;
        });
        tasks = new BackgroundTasks(background, Platform::runLater);
        Application.setUserAgentStylesheet(new PrimerDark().getUserAgentStylesheet());
        scene = new Scene(MessageView.starting().root(), WIDTH, HEIGHT);
        String css = Icons.stylesheet();
        if (css != null) scene.getStylesheets().add(css);
        stage.setTitle("Hearth");
        stage.getIcons().setAll(Icons.windowIcons());
        stage.setScene(scene);
        stage.setMinWidth(MIN_WIDTH);
        stage.setMinHeight(MIN_HEIGHT);
        stage.setOnCloseRequest(this::onCloseRequest);
        stage.show();
        tasks.run(() -> starter.start(options), this::onNodeStarted, this::onNodeFailed);
    }

    private void onNodeStarted(NodeService started) {
        node = started;
        // A logout or `kill` ends the app without Quit: still let the trainer save and the history record why
        // (close() is idempotent, so after Quit this does nothing).
        Runtime.getRuntime().addShutdownHook(new Thread(started::close, "hearth-app-shutdown"));
        AppMarkers markers = new AppMarkers(node.dataDir());
        window = new AppWindow(node, tasks, markers, Autostart.forThisMachine(options.dataDir()), ZoneId.systemDefault());
        scene.setRoot(window.root());
        window.activate();
        if (options.runAddress() != null) {
            // Opened from a hearth:// link: join that run (a malformed link is refused with its reason in the log).
            String address = options.runAddress();
            tasks.run(() -> {
                node.joinRun(address);
                return address;
            }, a -> markers.markFirstStartDone(), e -> LOG.log(System.Logger.Level.WARNING,
                    "could not join " + address + ": " + e.getMessage()));
        }
        if (options.screenshotTour() != null) {
            new ScreenshotTour(window, scene, options.screenshotTour(), tasks, this::quit).start();
            return;
        }
        tray = installTray().orElse(null);
        LOG.log(System.Logger.Level.INFO, tray != null ? "tray icon installed; closing the window keeps Hearth running"
                : "no system tray on this desktop; closing the window quits");
        Platform.setImplicitExit(tray == null);
        if (tray != null) {
            // The tray's tooltip carries the state line even while the window is hidden (1 Hz is plenty for a tooltip).
            var dashboard = window.dashboard();
            Timeline tooltip = new Timeline(new KeyFrame(TRAY_TOOLTIP_PERIOD, e -> dashboard.sample()));
            tooltip.setCycleCount(Timeline.INDEFINITE);
            dashboard.stateLineProperty().addListener((o, a, line) -> tray.tooltip("Hearth — " + line));
            tray.tooltip("Hearth — " + dashboard.stateLineProperty().get());
            tray.paused(dashboard.pausedProperty().get());
            dashboard.pausedProperty().addListener((o, a, p) -> tray.paused(p));
            tooltip.play();
        }
    }

    private void onNodeFailed(Throwable failure) {
        boolean missing = failure instanceof IllegalStateException && String.valueOf(failure.getMessage()).contains("no Hearth node");
        MessageView view = missing
                ? MessageView.problem("Hearth's engine is missing",
                    "This copy of Hearth was built without its training engine, so there is nothing to start.",
                    "Reinstall Hearth, or run it from a full build (./hearth in the source folder). Details: "
                            + BackgroundTasks.describe(failure), this::quit)
                : MessageView.problem("Hearth could not start",
                    BackgroundTasks.describe(failure),
                    "Check that the data folder can be written"
                            + (options.dataDir() == null ? "" : " (" + options.dataDir() + ")")
                            + " and that no other Hearth is running, then start Hearth again. Nothing has been lost.",
                    this::quit);
        scene.setRoot(view.root());
    }

    private Optional<Tray> installTray() {
        var dashboard = window.dashboard();
        return Tray.install(new Tray.Actions(
                () -> Platform.runLater(dashboard::pause),
                () -> Platform.runLater(dashboard::resume),
                () -> Platform.runLater(dashboard::snooze),
                () -> Platform.runLater(this::open),
                () -> Platform.runLater(this::quit)), Boolean.getBoolean("hearth.tray.lightPanel"));
    }

    private void open() {
        if (!stage.isShowing()) {
            stage.show();
            if (window != null) window.activate();
        }
        stage.setIconified(false);
        stage.toFront();
    }

    private void onCloseRequest(WindowEvent event) {
        if (node == null) {
            quit();
            return;
        }
        if (tray != null) {
            // Keep contributing in the tray; say so the first time only.
            event.consume();
            window.deactivate();
            stage.hide();
            if (!window.markers().trayHintShown()) {
                tray.notify("Hearth keeps contributing", "Hearth is still running in the tray. Use its menu to pause, open or quit.");
                window.markers().markTrayHintShown();
            }
            return;
        }
        event.consume();
        Alert confirm = new Alert(Alert.AlertType.CONFIRMATION);
        confirm.initOwner(stage);
        confirm.setTitle("Quit Hearth");
        confirm.setHeaderText("Quit Hearth?");
        confirm.setContentText("This desktop has no tray, so closing the window stops Hearth. Nothing is lost: "
                + "finished rounds, your history and settings are saved, and training picks up where it was when you open Hearth again.");
        ButtonType quit = new ButtonType("Quit", ButtonBar.ButtonData.OK_DONE);
        confirm.getButtonTypes().setAll(quit, ButtonType.CANCEL);
        confirm.showAndWait().filter(b -> b == quit).ifPresent(b -> quit());
    }

    /// Stops the node in the background (the worker saves its state), then leaves.
    private void quit() {
        if (quitting) return;
        quitting = true;
        // Hiding the last window would otherwise end the FX toolkit at once, and stop() would interrupt the node's
        // close half-way ("the session did not close cleanly"): exit explicitly once the node has closed.
        Platform.setImplicitExit(false);
        if (window != null) window.deactivate();
        if (tray != null) tray.remove();
        stage.hide();
        NodeService closing = node;
        tasks.run(() -> {
            if (closing != null) closing.close();
            return Boolean.TRUE;
        }, ok -> Platform.exit(), failure -> Platform.exit());
    }

    @Override
    public void stop() {
        if (background != null) background.shutdownNow();
    }
}

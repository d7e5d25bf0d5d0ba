package dev.hearth.desktop.view;

import dev.hearth.desktop.viewmodel.BackgroundTasks;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javafx.animation.PauseTransition;
import javafx.embed.swing.SwingFXUtils;
import javafx.scene.Scene;
import javafx.scene.image.WritableImage;
import javafx.util.Duration;
import javax.imageio.ImageIO;

/// `--screenshot-tour DIR`: shows the first start and then every screen, saves `DIR/<screen>.png` from the
/// scene itself (no window manager needed), then calls `done`. Waits are timers, never sleeps on the FX thread.
public final class ScreenshotTour {
    /// Time on the dashboard for its charts to gather points and a local run to commit its first rounds.
    public static final Duration FIRST_DWELL = Duration.seconds(25);
    /// Time on each later screen for its background queries and layout to settle.
    public static final Duration DWELL = Duration.seconds(3);
    /// The longest wait for the first round to be under way (a cold start of the local run and trainer: ~15 s here).
    public static final Duration FIRST_ROUND_WAIT = Duration.seconds(90);

    private final AppWindow window;
    private final Scene scene;
    private final Path dir;
    private final BackgroundTasks tasks;
    private final Runnable done;
    private final List<Runnable> steps = new ArrayList<>();

    public ScreenshotTour(AppWindow window, Scene scene, Path dir, BackgroundTasks tasks, Runnable done) {
        this.window = window;
        this.scene = scene;
        this.dir = dir;
        this.tasks = tasks;
        this.done = done;
    }

    public void start() {
        boolean pending = window.showingFirstStart();
        steps.add(() -> { window.showFirstStart(); after(DWELL, () -> shoot("first-start")); });
        if (pending) {
            // A fresh data folder: start the default local run so the other screens show a node at work.
            steps.add(() -> { window.completeFirstStartWithDefaults(); after(DWELL, this::next); });
            // The dashboard during the first round: it trains at once and says when it will step aside.
            steps.add(() -> { window.show(Screen.DASHBOARD); whenTraining(FIRST_ROUND_WAIT, () -> shoot("first-round")); });
        }
        for (Screen s : Screen.values()) {
            Duration dwell = s == Screen.DASHBOARD ? FIRST_DWELL : DWELL;
            steps.add(() -> { window.show(s); after(dwell, () -> shoot(s.id())); });
        }
        steps.add(done);
        next();
    }

    /// Runs `r` a moment after the node starts training (so the round's progress shows), or after `limit`.
    private void whenTraining(Duration limit, Runnable r) {
        var dashboard = window.dashboard();
        javafx.animation.Timeline poll = new javafx.animation.Timeline();
        long start = System.nanoTime();
        poll.getKeyFrames().add(new javafx.animation.KeyFrame(Duration.millis(250), e -> {
            dashboard.sample();
            boolean training = dashboard.stateProperty().get() == dev.hearth.node.api.NodeState.TRAINING
                    && dashboard.roundProgressProperty().get() > 0.2;
            if (training || (System.nanoTime() - start) / 1e6 > limit.toMillis()) {
                poll.stop();
                r.run();
            }
        }));
        poll.setCycleCount(javafx.animation.Animation.INDEFINITE);
        poll.play();
    }

    private void next() {
        if (!steps.isEmpty()) steps.removeFirst().run();
    }

    private void after(Duration d, Runnable r) {
        PauseTransition p = new PauseTransition(d);
        p.setOnFinished(e -> r.run());
        p.play();
    }

    private void shoot(String name) {
        WritableImage image = scene.snapshot(null);
        BufferedImage buffered = SwingFXUtils.fromFXImage(image, null);
        Path file = dir.resolve(name + ".png");
        tasks.run(() -> {
            Files.createDirectories(dir);
            if (!ImageIO.write(buffered, "png", file.toFile())) throw new IOException("no PNG writer");
            return file;
        }, f -> { System.out.println("screenshot " + f); next(); },
                failure -> { System.err.println("screenshot " + file + " failed: " + BackgroundTasks.describe(failure)); next(); });
    }
}

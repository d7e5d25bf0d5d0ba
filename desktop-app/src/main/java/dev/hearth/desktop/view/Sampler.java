package dev.hearth.desktop.view;

import javafx.application.Platform;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/// Runs a view's `sample` on the FX thread every {@link Ui#SAMPLE_PERIOD} while the view is visible.
///
/// Not a `Timeline`: while any animation runs, JavaFX pulses 60 times a second, waking the FX thread and the
/// renderer even when nothing changed — with three 250 ms samplers that kept a paused app at several percent of a
/// core (docs/benchmarks.md). A timer thread that posts one `runLater` per period costs four wake-ups a second.
final class Sampler {
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "hearth-ui-sampler");
        t.setDaemon(true);
        return t;
    });

    private final Runnable sample;
    /// A tick posted to the FX thread and not run yet: a busy FX thread gets one, not a queue of them.
    private final AtomicBoolean posted = new AtomicBoolean();
    private ScheduledFuture<?> ticks;
    private volatile boolean playing;

    Sampler(Runnable sample) {
        this.sample = sample;
    }

    /// Starts sampling (on the FX thread); the first sample comes one period from now.
    void play() {
        if (ticks != null) return;
        playing = true;
        long period = (long) Ui.SAMPLE_PERIOD.toMillis();
        ticks = TIMER.scheduleAtFixedRate(this::post, period, period, TimeUnit.MILLISECONDS);
    }

    /// Stops sampling; a tick already posted does not run.
    void stop() {
        playing = false;
        if (ticks != null) ticks.cancel(false);
        ticks = null;
    }

    private void post() {
        if (!posted.compareAndSet(false, true)) return;
        Platform.runLater(() -> {
            posted.set(false);
            if (playing) sample.run();
        });
    }
}

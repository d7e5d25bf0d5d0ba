package dev.hearth.desktop.viewmodel;

import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/// Runs one-shot work off the UI thread and delivers the outcome on it (JabRef's `BackgroundTask` idea).
///
/// Both executors are injected: the app passes a small daemon pool and `Platform::runLater`, tests pass
/// `Runnable::run` twice so a view model's whole round trip happens on the calling thread.
public final class BackgroundTasks {
    private final Executor background;
    private final Executor ui;

    public BackgroundTasks(Executor background, Executor ui) {
        this.background = Objects.requireNonNull(background, "background");
        this.ui = Objects.requireNonNull(ui, "ui");
    }

    /// Both sides on the calling thread: for view-model tests.
    public static BackgroundTasks sameThread() {
        return new BackgroundTasks(Runnable::run, Runnable::run);
    }

    public Executor ui() {
        return ui;
    }

    /// Runs `work` in the background; exactly one of `onSuccess` / `onFailure` then runs on the UI executor.
    public <T> void run(Callable<T> work, Consumer<? super T> onSuccess, Consumer<? super Throwable> onFailure) {
        background.execute(() -> {
            T result;
            try {
                result = work.call();
            } catch (Throwable failure) {
                ui.execute(() -> onFailure.accept(failure));
                return;
            }
            ui.execute(() -> onSuccess.accept(result));
        });
    }

    /// A failure as a sentence a person can read: the message when there is one, else the kind of failure.
    public static String describe(Throwable failure) {
        Throwable cause = failure;
        while (cause.getCause() != null && (cause.getMessage() == null || cause.getMessage().isBlank())) {
            cause = cause.getCause();
        }
        String message = cause.getMessage();
        return message == null || message.isBlank() ? cause.getClass().getSimpleName() : message;
    }
}

package dev.hearth.coordinator;

import dev.hearth.coordinator.service.CoordinatorService;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/// The end of `./hearth coordinator`, in one order whatever ends it: the main thread reads the final version from
/// the ledger, *then* closes the service; a shutdown hook (SIGTERM, Ctrl-C) only asks the main thread to do that
/// and waits for it. Before, the hook closed the service itself and the main thread then read the closed ledger
/// ("database connection closed").
final class ShutdownSequence {

    /// 60 s: how long the shutdown hook waits for the main thread to close the service (an aggregation in flight
    /// is abandoned within 30 s by `CoordinatorService.close`, the ledger closes at once).
    static final Duration HOOK_WAIT = Duration.ofSeconds(60);
    /// 1 s: how often the main thread looks whether the run finished.
    static final Duration POLL = Duration.ofSeconds(1);

    private final CoordinatorService service;
    private final CountDownLatch stopRequested = new CountDownLatch(1);
    private final CountDownLatch closed = new CountDownLatch(1);

    ShutdownSequence(CoordinatorService service) {
        this.service = service;
        service.onCommit(e -> {
            if (service.finished()) stopRequested.countDown();
        });
    }

    /// What the JVM shutdown hook runs: asks the main thread to stop and waits (bounded) until it has closed.
    void onShutdownSignal() {
        stopRequested.countDown();
        try {
            closed.await(HOOK_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /// The main thread: waits until the run finishes or a stop is asked for, reads the final version, closes the
    /// service and prints the last line to `out` — before it lets the hook return, since the JVM halts then.
    void awaitEnd(java.io.PrintStream out) {
        try {
            while (!stopRequested.await(POLL.toMillis(), TimeUnit.MILLISECONDS)) {
                if (service.finished()) break;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            boolean finished = service.finished();
            long version;
            try {
                version = service.ledger().position().lastVersion();
            } finally {
                service.close();
            }
            out.println((finished ? "Run finished" : "Stopped") + " at version " + version + ".");
            out.flush();
        } finally {
            closed.countDown();
        }
    }
}

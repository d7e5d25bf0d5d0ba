package dev.hearth.coordinator;

import dev.hearth.coordinator.config.CoordinatorOptions;
import dev.hearth.coordinator.service.CoordinatorService;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/// `./hearth coordinator`: serves one training run until it finishes or is stopped (Ctrl-C).
public final class CoordinatorMain {

    private CoordinatorMain() {}

    public static void main(String[] args) {
        CoordinatorOptions.Startup startup = CoordinatorOptions.startup(List.of(args));
        if (!startup.serve()) {
            (startup.exitCode() == 0 ? System.out : System.err).print(startup.message());
            System.exit(startup.exitCode());
            return;
        }
        CoordinatorService service;
        try {
            service = CoordinatorService.start(startup.config(), Clock.systemUTC());
        } catch (RuntimeException e) {
            System.err.println("hearth coordinator: " + e.getMessage());
            System.exit(1);
            return;
        }
        System.out.println("Run '" + startup.config().runId() + "' is served at:");
        System.out.println("  " + service.address());
        if (!service.dashboardUrl().isEmpty()) System.out.println("Dashboard: " + service.dashboardUrl());
        System.out.println("Nodes join with: ./hearth node --coordinator '" + service.address() + "'");
        System.out.flush();
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            service.close();
            stop.countDown();
        }, "hearth-coordinator-shutdown"));
        service.onCommit(e -> {
            if (service.finished()) stop.countDown();
        });
        try {
            while (!stop.await(1, java.util.concurrent.TimeUnit.SECONDS)) {
                if (service.finished()) break;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        System.out.println("Run finished at version " + service.ledger().position().lastVersion() + ".");
        System.exit(0);
    }
}

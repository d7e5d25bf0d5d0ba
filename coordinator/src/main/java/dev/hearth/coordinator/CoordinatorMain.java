package dev.hearth.coordinator;

import dev.hearth.coordinator.config.CoordinatorOptions;
import dev.hearth.coordinator.service.CoordinatorService;
import java.time.Clock;
import java.util.List;

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
        ShutdownSequence end = new ShutdownSequence(service);
        Runtime.getRuntime().addShutdownHook(new Thread(end::onShutdownSignal, "hearth-coordinator-shutdown"));
        end.awaitEnd(System.out);
        System.exit(0);
    }
}

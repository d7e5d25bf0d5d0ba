package dev.hearth.coordinator.service;

import dev.hearth.node.LocalRunProvider;
import java.nio.file.Path;
import java.time.Clock;

/// The local run for the app's first start and `./hearth node --demo`: a coordinator in this process on
/// loopback with the bundled corpus and the `nano` model. Registered for ServiceLoader in
/// META-INF/services/dev.hearth.node.LocalRunProvider.
public final class EmbeddedLocalRun implements LocalRunProvider {

    /// A local run trains for a long time unless the owner stops it: 100,000 rounds of `nano` is days of CPU.
    public static final long DEFAULT_ROUNDS = 100_000;

    @Override
    public LocalRun start(Path dataDir, int totalRounds) {
        ServiceSettings s = ServiceSettings.localRun(dataDir, totalRounds > 0 ? totalRounds : DEFAULT_ROUNDS);
        CoordinatorService service = CoordinatorService.start(s, Clock.systemUTC());
        return new LocalRun() {
            @Override
            public String address() {
                return service.address().toString();
            }

            @Override
            public String dashboardUrl() {
                return service.dashboardUrl();
            }

            @Override
            public void close() {
                service.close();
            }
        };
    }
}

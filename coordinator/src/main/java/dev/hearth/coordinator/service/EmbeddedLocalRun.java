package dev.hearth.coordinator.service;

import dev.hearth.coordinator.config.RunConfig;
import dev.hearth.node.LocalRunProvider;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;

/// The local run for the app's first start and `./hearth node --demo`: a coordinator in this process on
/// loopback with the bundled corpus and the `nano` model. Registered for ServiceLoader in
/// META-INF/services/dev.hearth.node.LocalRunProvider.
public final class EmbeddedLocalRun implements LocalRunProvider {

    /// A local run trains until its owner stops it: 100,000 rounds of `nano` is days of CPU.
    public static final long DEFAULT_ROUNDS = 100_000;

    /// The local run's `run.toml`: one node is a quorum, ephemeral loopback ports, a checkpoint every version
    /// (3.6 MB for `nano`) so that nothing is lost when the app quits, no spot checks (the only node is the owner's).
    /// The optimizer is the run default chosen by the quality sweep (docs/benchmarks.md): the mean outer step, 8
    /// local AdamW steps of 8 windows per round, k 64.
    static final String LOCAL_RUN_TOML = """
            [run]
            id = "local"
            name = "Local run (bundled corpus)"
            [model]
            name = "nano"
            [data]
            corpus = "bundled"
            [validation]
            spot_check_fraction = 0.0
            loss_every_rounds = 5
            [quorum]
            min_nodes = 1
            min_uploads = 1
            [checkpoint]
            every_rounds = 1
            [server]
            bind = "127.0.0.1"
            port = 0
            http_port = 0
            """;

    /// The local run's dashboard port, the same at every start so a bookmark keeps working (issue 16: it used to
    /// change at every start); when another program holds it, an ephemeral port is used and the app links to that.
    public static final int DASHBOARD_PORT = 7480;

    /// The local run's config with its data under `dataDir`.
    public static RunConfig config(Path dataDir, long totalRounds) {
        return config(dataDir, totalRounds, 0);
    }

    static RunConfig config(Path dataDir, long totalRounds, int httpPort) {
        return RunConfig.parse(LOCAL_RUN_TOML.replace("http_port = 0", "http_port = " + httpPort), "local run", Map.of(
                "server.data_dir", new RunConfig.Override("data dir", dataDir),
                "run.total_rounds", new RunConfig.Override("rounds", totalRounds > 0 ? totalRounds : DEFAULT_ROUNDS)));
    }

    /// [#DASHBOARD_PORT] when it is free on loopback now, else 0 (ephemeral).
    static int dashboardPort() {
        try (var probe = new java.net.ServerSocket(DASHBOARD_PORT, 1, java.net.InetAddress.getLoopbackAddress())) {
            return DASHBOARD_PORT;
        } catch (java.io.IOException taken) {
            return 0;
        }
    }

    @Override
    public LocalRun start(Path dataDir, int totalRounds) {
        CoordinatorService service = CoordinatorService.start(config(dataDir, totalRounds, dashboardPort()), Clock.systemUTC());
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

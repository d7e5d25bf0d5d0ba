package dev.hearth.node;

import java.nio.file.Path;
import java.util.Optional;
import java.util.ServiceLoader;

/// Starts the embedded local run: a coordinator in-process on loopback with the bundled corpus, so a
/// fresh install trains for real with no network. Implemented by the coordinator module and found
/// through ServiceLoader, so the node never depends on the coordinator at compile time.
public interface LocalRunProvider {

    /// A running local coordinator.
    interface LocalRun extends AutoCloseable {
        /// `hearth://127.0.0.1:port#sha256=...` with the pinned certificate fingerprint.
        String address();

        /// The run's read-only dashboard, e.g. `http://127.0.0.1:port/`.
        String dashboardUrl();

        @Override
        void close();
    }

    /// @param dataDir where the local run keeps its ledger, checkpoints and TLS key (under the node's data dir)
    /// @param totalRounds rounds before the run finishes (0 = the run's default)
    LocalRun start(Path dataDir, int totalRounds) throws Exception;

    static Optional<LocalRunProvider> find() {
        return ServiceLoader.load(LocalRunProvider.class).findFirst();
    }
}

package dev.hearth.coordinator.service;

import dev.hearth.engine.demo.DemoConfig;
import dev.hearth.engine.demo.LrSchedule;
import dev.hearth.engine.demo.RobustMode;
import dev.hearth.engine.model.ModelConfig;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;

/// Everything the running coordinator service needs, resolved from `run.toml` and the command line.
///
/// @param runId              stable id of the run (on the wire, in the ledger, in checkpoints)
/// @param runName            a name for people
/// @param model              the model trained
/// @param demo               the codec every node uses
/// @param lr                 outer learning-rate schedule per committed version
/// @param weightDecay        decoupled weight decay of the outer step (2-D tensors only)
/// @param robust             how the aggregate resists bad updates
/// @param sequencesPerNode   windows per node per round
/// @param minNodes           ready nodes needed to open a round
/// @param minUploads         accepted uploads that close a round early
/// @param totalRounds        committed versions after which the run finishes
/// @param spotCheckFraction  fraction of updates given the loss spot check
/// @param deadlineMin        shortest round deadline
/// @param deadlineMax        longest round deadline
/// @param checkpointEvery    write a checkpoint every this many committed versions
/// @param validateEvery      measure validation loss every this many versions (and sample text)
/// @param validationBatches  windows in the fixed validation set
/// @param seed               the run's seed (init, batch order, spot checks)
/// @param corpus             `bundled` or a directory/file of text
/// @param dataDir            ledger, checkpoints, TLS key, corpus cache
/// @param bind               interface for the node port and the dashboard
/// @param port               node port (0 = ephemeral)
/// @param httpPort           dashboard port (0 = ephemeral, -1 = no dashboard)
/// @param tickPeriod         how often the run state machine is ticked
public record ServiceSettings(String runId, String runName, ModelConfig model, DemoConfig demo, LrSchedule lr,
                              float weightDecay, RobustMode robust, int sequencesPerNode, int minNodes, int minUploads,
                              long totalRounds, double spotCheckFraction, Duration deadlineMin, Duration deadlineMax,
                              int checkpointEvery, int validateEvery, int validationBatches, long seed, String corpus,
                              Path dataDir, InetAddress bind, int port, int httpPort, Duration tickPeriod) {
    /// Validation windows measured every `validateEvery` versions: 32 × 128 tokens is a stable estimate in ~1 s.
    public static final int DEFAULT_VALIDATION_WINDOWS = 32;

    /// The embedded local run: `nano` on the bundled corpus, one node is enough, loopback only, ephemeral ports.
    /// Checkpoints every version (3.6 MB) so a restart loses nothing.
    public static ServiceSettings localRun(Path dataDir, long totalRounds) {
        return new ServiceSettings("local", "Local run (bundled corpus)", ModelConfig.nano(), DemoConfig.defaults(),
                new LrSchedule(5, (int) Math.min(Integer.MAX_VALUE, totalRounds), 3e-3f, 3e-4f), 0.1f, RobustMode.NONE,
                16, 1, 1, totalRounds, 0.0, Duration.ofSeconds(15), Duration.ofMinutes(10), 1, 5,
                DEFAULT_VALIDATION_WINDOWS, 1234, "bundled", dataDir, InetAddress.getLoopbackAddress(), 0, 0,
                Duration.ofMillis(100));
    }

    public ServiceSettings withRounds(long rounds) {
        return new ServiceSettings(runId, runName, model, demo,
                new LrSchedule(lr.warmupRounds(), (int) Math.min(Integer.MAX_VALUE, rounds), lr.lrMax(), lr.lrMin()),
                weightDecay, robust, sequencesPerNode, minNodes, minUploads, rounds, spotCheckFraction, deadlineMin,
                deadlineMax, checkpointEvery, validateEvery, validationBatches, seed, corpus, dataDir, bind, port, httpPort,
                tickPeriod);
    }
}

package dev.hearth.node.worker;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/// The node's handle on its trainer. One job at a time.
public interface Worker extends AutoCloseable {

    /// Starts the trainer if it is not running, then trains the job. Completes exceptionally when the
    /// trainer fails or dies (the node reports it and restarts with backoff on the next job).
    CompletableFuture<TrainResult> train(TrainJob job, TrainerCore.Progress progress);

    /// Asks the trainer to save its optimizer state and exit; forces it after `grace`.
    /// Returns once the trainer is gone, so device memory is free.
    void stop(Duration grace);

    /// True while a trainer process (or in-process trainer) is alive.
    boolean running();

    /// The backend the trainer reported ("... training on CPU ..."), or empty before the first start.
    String backendDescription();

    /// Process id of the trainer, or -1 (in-process or not running); used for Hearth's own share of CPU/GPU.
    long pid();

    @Override
    default void close() {
        stop(Duration.ofSeconds(2));
    }
}

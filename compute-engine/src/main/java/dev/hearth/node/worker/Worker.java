package dev.hearth.node.worker;

import dev.hearth.protocol.wire.RoundCommit;
import dev.hearth.protocol.wire.RunConfig;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/// The node's handle on its trainer. One job at a time.
///
/// The trainer keeps the parameters in memory between rounds: the node sends it each commit it verified
/// ({@link #applyCommit}) instead of a new parameters file, and writes the full file only when
/// {@link #paramsVersion} is not the version the next round trains from (the trainer (re)started, or refused a
/// commit).
public interface Worker extends AutoCloseable {

    /// Starts the trainer if it is not running, then trains the job. Completes exceptionally when the
    /// trainer fails or dies (the node reports it and restarts with backoff on the next job).
    CompletableFuture<TrainResult> train(TrainJob job, TrainerCore.Progress progress);

    /// Sends a commit the node verified to the trainer, which applies it to the parameters it holds with the node's
    /// own code and checks their SHA-256 against the commit's. Completes refused, with the reason, when the trainer
    /// holds no parameters or another version, when the commit does not apply or reach its digest, when the trainer
    /// is not running or busy with a round (it is neither started nor interrupted for a commit); the node then writes
    /// the full parameters file before the next round.
    CompletableFuture<CommitOutcome> applyCommit(RunConfig run, RoundCommit commit);

    /// The model version whose parameters the trainer holds in memory, as far as the node knows (-1: none, or no
    /// trainer running). A round at another version needs the parameters file written first.
    long paramsVersion();

    /// Asks the trainer to save its optimizer state and exit; forces it after `grace`.
    /// Returns once the trainer is gone, so device memory is free.
    void stop(Duration grace);

    /// True while a trainer process (or in-process trainer) is alive.
    boolean running();

    /// The backend the trainer reported ("training on … at micro-batch 8: …", "…; training on the CPU (…)"), or empty before the first start.
    String backendDescription();

    /// Process id of the trainer, or -1 (in-process or not running); used for Hearth's own share of CPU/GPU.
    long pid();

    @Override
    default void close() {
        stop(Duration.ofSeconds(2));
    }
}

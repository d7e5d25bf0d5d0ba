package dev.hearth.node.worker;

import dev.hearth.protocol.wire.RoundCommit;
import dev.hearth.protocol.wire.RunConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/// Runs the trainer inside the node's JVM. For tests only: a native crash here takes the node down,
/// and pausing cannot return device memory.
public final class InProcessWorker implements Worker {

    private final WorkerSpec spec;
    private final ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "hearth-trainer-inproc");
        t.setDaemon(true);
        return t;
    });
    private volatile TrainerCore core;
    /// The trainer's {@link TrainerCore#paramsVersion} after its last task (read from the node's threads).
    private volatile long heldVersion = -1;

    public InProcessWorker(WorkerSpec spec) {
        this.spec = spec;
    }

    @Override
    public CompletableFuture<TrainResult> train(TrainJob job, TrainerCore.Progress progress) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                if (core == null) core = new TrainerCore(spec);
                return core.train(job, progress);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                heldVersion = core == null ? -1 : core.paramsVersion();
            }
        }, executor);
    }

    @Override
    public CompletableFuture<CommitOutcome> applyCommit(RunConfig run, RoundCommit commit) {
        return CompletableFuture.supplyAsync(() -> {
            TrainerCore c = core;
            CommitOutcome o = c == null ? CommitOutcome.refused(commit.getNewVersion(), "the trainer is not running")
                    : c.applyCommit(run, commit);
            heldVersion = c == null ? -1 : c.paramsVersion();
            return o;
        }, executor);
    }

    @Override
    public long paramsVersion() {
        return core == null ? -1 : heldVersion;
    }

    @Override
    public void stop(Duration grace) {
        TrainerCore c = core;
        if (c == null) return;
        CompletableFuture.runAsync(() -> {
            c.saveState(0);
            c.close();
            core = null;
            heldVersion = -1;
        }, executor).join();
    }

    @Override
    public boolean running() {
        return core != null;
    }

    @Override
    public String backendDescription() {
        TrainerCore c = core;
        return c == null ? "" : c.backendDescription();
    }

    @Override
    public long pid() {
        return -1;
    }
}

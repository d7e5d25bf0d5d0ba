package dev.hearth.node.worker;

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
            }
        }, executor);
    }

    @Override
    public void stop(Duration grace) {
        TrainerCore c = core;
        if (c == null) return;
        CompletableFuture.runAsync(() -> {
            c.saveState(0);
            c.close();
            core = null;
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

package dev.hearth.node.api;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/// What the desktop app (or any other front end) may ask of a running node. Implementations are
/// thread-safe; no method blocks on the network or the engine (long work happens on node threads).
/// Listeners are called on the executor the caller supplies (the FX thread adapter in the app),
/// never on node threads directly.
public interface NodeService extends AutoCloseable {

    /// The latest state; cheap, never blocks.
    NodeSnapshot snapshot();

    /// The state once every request made before this call (pause, resume, ...) has been applied, so a
    /// caller can say what its click did. May wait briefly for the node's thread; [#snapshot] never does.
    default NodeSnapshot settledSnapshot() {
        return snapshot();
    }

    /// The latest hardware sample (CPU, memory, GPUs, Hearth's own share); cheap, never blocks.
    HardwareSample hardware();

    /// Whether this machine's GPU can help, in plain words.
    GpuCheck gpuCheck();

    /// The run's global picture as last reported by the coordinator.
    RunStatus runStatus();

    /// The run's web dashboard (`http://127.0.0.1:7480/` for the local run), or "" when this node does not know one.
    default String dashboardUrl() {
        return "";
    }

    /// Stop contributing now (the worker saves its optimizer state and exits).
    void pause();

    /// Contribute again, subject to the policy in the settings.
    void resume();

    /// The owner pressed "Start contributing": contribute now — through the round in progress even while they
    /// use the computer (they just moved the mouse to click) — then follow the policy in the settings.
    default void startNow() {
        resume();
    }

    /// Pause for this long, then follow the policy again.
    void snooze(Duration duration);

    /// Let the current round finish and upload, then pause.
    void finishRoundThenPause();

    /// Join a public run by address (`hearth://host:port#sha256=<fingerprint>`).
    /// @throws IllegalArgumentException with a readable message when the address is malformed
    void joinRun(String address);

    /// Switch to the run at `address` (or "local") only once it answers: the current run goes on until the new
    /// coordinator welcomes this node; each failed attempt is told through `attempts` in one sentence with when the
    /// next one is. The stage completes when the node has switched, or exceptionally (with a one-sentence message)
    /// when the new run refused this node for good or the owner cancelled ({@link #cancelRunSwitch()}).
    /// @throws IllegalArgumentException with a readable message when the address is malformed
    default java.util.concurrent.CompletionStage<Void> switchRun(String address, java.util.function.Consumer<String> attempts) {
        if ("local".equals(address)) startLocalRun(); else joinRun(address);
        return java.util.concurrent.CompletableFuture.completedFuture(null);
    }

    /// Stops a {@link #switchRun} still waiting for the new run to answer; the current run goes on.
    default void cancelRunSwitch() {}

    /// Join the embedded local run (a coordinator in-process on loopback, bundled corpus).
    void startLocalRun();

    NodeSettings settings();

    /// Validate, persist and apply at once (no restart).
    /// @throws InvalidSettingException naming the field and the problem
    void updateSettings(NodeSettings settings) throws InvalidSettingException;

    /// The contribution history kept in SQLite.
    ContributionHistory history();

    /// Recent event log lines, oldest first (bounded).
    List<LogEntry> recentLog();

    /// Called for every new log line and every snapshot change, on `executor`.
    void addListener(Listener listener, Executor executor);

    /// Where this node keeps everything (identity, settings, history, checkpoints).
    Path dataDir();

    @Override
    void close();

    /// Events a front end may want as they happen (besides sampling {@link #snapshot()}).
    interface Listener {
        default void onSnapshot(NodeSnapshot snapshot) {}

        default void onLog(LogEntry entry) {}

        default void onRoundRecorded(RoundRecord record) {}
    }

    /// Adapts a plain consumer of log lines.
    static Listener logListener(Consumer<LogEntry> consumer) {
        return new Listener() {
            @Override
            public void onLog(LogEntry entry) {
                consumer.accept(entry);
            }
        };
    }
}

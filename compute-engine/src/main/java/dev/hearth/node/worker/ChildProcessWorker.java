package dev.hearth.node.worker;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import dev.hearth.protocol.wire.RoundCommit;
import dev.hearth.protocol.wire.RunConfig;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/// The trainer as a child JVM ({@link WorkerMain}): the normal mode. Pausing asks it to save the DeMo
/// residual and exit (so GPU memory is truly freed); a crash fails the running job and the next job
/// starts a new child after a backoff that grows with consecutive crashes.
public final class ChildProcessWorker implements Worker {

    /// Backoff after the first crash; doubles per consecutive crash.
    static final Duration FIRST_RESTART_DELAY = Duration.ofSeconds(1);
    /// A trainer that keeps crashing is retried at most this often (and reported each time).
    static final Duration MAX_RESTART_DELAY = Duration.ofMinutes(2);
    /// Starting a JVM and unpacking OpenBLAS takes a few seconds on a slow disk.
    static final Duration START_TIMEOUT = Duration.ofMinutes(2);

    private final WorkerSpec spec;
    private final List<String> jvmOptions;
    private final Consumer<String> log;
    private final Object lock = new Object();

    private Process process;
    private DataOutputStream toChild;
    private CompletableFuture<String> ready;
    private CompletableFuture<TrainResult> current;
    private TrainerCore.Progress currentProgress;
    /// The version of the job in flight: the trainer holds it once the job's result comes back.
    private long currentVersion = -1;
    /// COMMIT frames sent and not yet answered, oldest first (the trainer answers them in order).
    private final ArrayDeque<CompletableFuture<CommitOutcome>> commits = new ArrayDeque<>();
    /// The version the trainer holds in memory, from its answers; -1 when unknown or none (under {@link #lock}).
    private long heldVersion = -1;
    private volatile String backend = "";
    private int consecutiveCrashes;
    private long nextStartNanos;

    /// @param jvmOptions extra JVM options for the child (heap size, native access flags)
    /// @param log        receives the child's stderr lines and lifecycle messages
    public ChildProcessWorker(WorkerSpec spec, List<String> jvmOptions, Consumer<String> log) {
        this.spec = spec;
        this.jvmOptions = List.copyOf(jvmOptions);
        this.log = log;
    }

    @Override
    public CompletableFuture<TrainResult> train(TrainJob job, TrainerCore.Progress progress) {
        CompletableFuture<TrainResult> result = new CompletableFuture<>();
        try {
            ensureStarted();
            ready.get(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            synchronized (lock) {
                if (current != null && !current.isDone()) {
                    throw new IllegalStateException("the trainer is already training round " + job.round());
                }
                current = result;
                currentProgress = progress;
                currentVersion = job.version();
                WorkerFrames.write(toChild, WorkerFrames.TRAIN, WorkerMain.encodeJob(job));
            }
        } catch (Exception e) {
            result.completeExceptionally(e instanceof java.util.concurrent.ExecutionException ee ? ee.getCause() : e);
        }
        return result;
    }

    @Override
    public CompletableFuture<CommitOutcome> applyCommit(RunConfig run, RoundCommit commit) {
        try {
            return sendCommit(commit.getNewVersion(), WorkerMain.encodeCommit(run, commit));
        } catch (IOException e) {
            return CompletableFuture.completedFuture(CommitOutcome.refused(commit.getNewVersion(),
                    "could not encode the commit: " + e.getMessage()));
        }
    }

    /// Sends one COMMIT frame holding `payload` (the commit whose new version is `version`). Only to a trainer that
    /// is up and idle: one still starting or training reads its stdin only after that, and the node must not block
    /// on a pipe a trainer is not reading (a pause has to get through).
    CompletableFuture<CommitOutcome> sendCommit(long version, byte[] payload) {
        synchronized (lock) {
            String busy = process == null || !process.isAlive() ? "the trainer is not running"
                    : ready == null || !ready.isDone() || ready.isCompletedExceptionally() ? "the trainer is starting"
                    : current != null && !current.isDone() ? "the trainer is training a round" : null;
            if (busy != null) {
                heldVersion = -1;
                return CompletableFuture.completedFuture(CommitOutcome.refused(version, busy));
            }
            CompletableFuture<CommitOutcome> answer = new CompletableFuture<>();
            try {
                WorkerFrames.write(toChild, WorkerFrames.COMMIT, payload);
            } catch (IOException e) {
                heldVersion = -1;
                return CompletableFuture.completedFuture(CommitOutcome.refused(version,
                        "lost the trainer while sending the commit: " + e.getMessage()));
            }
            commits.add(answer);
            return answer;
        }
    }

    @Override
    public long paramsVersion() {
        synchronized (lock) {
            return process != null && process.isAlive() ? heldVersion : -1;
        }
    }

    private void ensureStarted() throws IOException, InterruptedException {
        synchronized (lock) {
            if (process != null && process.isAlive()) return;
            long wait = nextStartNanos - System.nanoTime();
            if (wait > 0) {
                log.accept("trainer restarts in " + Duration.ofNanos(wait).toSeconds() + " s (it crashed "
                        + consecutiveCrashes + " time(s) in a row)");
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            List<String> cmd = new ArrayList<>();
            cmd.add(javaExecutable());
            cmd.addAll(jvmOptions);
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add(WorkerMain.class.getName());
            cmd.addAll(spec.toArgs());
            ProcessBuilder pb = new ProcessBuilder(cmd);
            pb.environment().putIfAbsent("OMP_WAIT_POLICY", "PASSIVE");
            // CUDA numbers cards fastest first by default, NVML (the settings' GPU list) by PCI bus: this makes the
            // owner's "GPU 1" the same card for both
            pb.environment().putIfAbsent("CUDA_DEVICE_ORDER", "PCI_BUS_ID");
            Process p = pb.start();
            process = p;
            heldVersion = -1; // a new trainer holds nothing until it reads the parameters file
            toChild = new DataOutputStream(new BufferedOutputStream(p.getOutputStream(), 1 << 16));
            ready = new CompletableFuture<>();
            log.accept("trainer started (pid " + p.pid() + ")");
            Thread reader = new Thread(() -> readLoop(p), "hearth-worker-reader-" + p.pid());
            reader.setDaemon(true);
            reader.start();
            Thread err = new Thread(() -> pipeStderr(p), "hearth-worker-stderr-" + p.pid());
            err.setDaemon(true);
            err.start();
        }
    }

    private void readLoop(Process p) {
        var in = new DataInputStream(new BufferedInputStream(p.getInputStream(), 1 << 16));
        String exitReason = "the trainer exited";
        try {
            WorkerFrames.Frame f;
            while ((f = WorkerFrames.read(in)) != null) {
                switch (f.type()) {
                    case WorkerFrames.READY -> {
                        backend = new String(f.payload(), StandardCharsets.UTF_8);
                        ready.complete(backend);
                    }
                    case WorkerFrames.PROGRESS -> {
                        var d = new DataInputStream(new java.io.ByteArrayInputStream(f.payload()));
                        d.readLong();
                        int done = d.readInt();
                        int total = d.readInt();
                        TrainerCore.Progress pr = currentProgress;
                        if (pr != null) pr.update(done, total);
                    }
                    case WorkerFrames.RESULT -> {
                        TrainResult r = WorkerMain.decodeResult(f.payload());
                        synchronized (lock) {
                            consecutiveCrashes = 0;
                            heldVersion = currentVersion; // it trained from that version's parameters
                        }
                        complete(r, null);
                    }
                    case WorkerFrames.FAILED -> {
                        String msg = new String(f.payload(), StandardCharsets.UTF_8);
                        synchronized (lock) {
                            heldVersion = -1; // not known: the next round writes the file to be sure
                        }
                        if (!ready.isDone()) ready.completeExceptionally(new IOException(msg));
                        complete(null, new IOException(msg));
                    }
                    case WorkerFrames.COMMITTED, WorkerFrames.COMMIT_REFUSED -> {
                        CommitOutcome o = WorkerMain.decodeOutcome(f.payload(), f.type() == WorkerFrames.COMMITTED);
                        answered(o);
                    }
                    case WorkerFrames.SAVED -> log.accept("trainer saved its optimizer state");
                    case WorkerFrames.BACKEND -> {
                        backend = new String(f.payload(), StandardCharsets.UTF_8);
                        log.accept("trainer now: " + backend);
                    }
                    default -> log.accept("trainer sent an unknown frame type " + f.type());
                }
            }
        } catch (IOException e) {
            exitReason = "lost the trainer: " + e.getMessage();
        }
        int code;
        try {
            code = p.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            code = -1;
        }
        boolean crashed = code != 0;
        synchronized (lock) {
            if (crashed) {
                consecutiveCrashes++;
                long delay = Math.min(MAX_RESTART_DELAY.toNanos(),
                        FIRST_RESTART_DELAY.toNanos() << Math.min(20, consecutiveCrashes - 1));
                nextStartNanos = System.nanoTime() + delay;
            }
            if (process == p) process = null;
        }
        String why = exitReason + " (exit code " + code + (crashed ? ", crash" : "") + ")";
        if (crashed) log.accept(why);
        List<CompletableFuture<CommitOutcome>> unanswered;
        synchronized (lock) {
            unanswered = List.copyOf(commits);
            commits.clear();
            heldVersion = -1;
        }
        for (var c : unanswered) c.complete(CommitOutcome.refused(-1, why));
        if (!ready.isDone()) ready.completeExceptionally(new IOException(why));
        complete(null, new IOException(why));
    }

    /// The trainer's answer to the oldest COMMIT frame not yet answered.
    private void answered(CommitOutcome o) {
        CompletableFuture<CommitOutcome> c;
        synchronized (lock) {
            c = commits.poll();
            heldVersion = o.applied() ? o.version() : -1;
        }
        if (c == null) {
            log.accept("trainer answered a commit that was not sent (version " + o.version() + ")");
            return;
        }
        if (!o.applied()) log.accept("trainer wants the parameters file: " + o.reason());
        c.complete(o);
    }

    private void complete(TrainResult r, Throwable error) {
        CompletableFuture<TrainResult> c;
        synchronized (lock) {
            c = current;
            current = null;
            currentProgress = null;
        }
        if (c == null) return;
        if (error != null) c.completeExceptionally(error);
        else c.complete(r);
    }

    private void pipeStderr(Process p) {
        try (var r = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) log.accept("trainer: " + line);
        } catch (IOException ignored) {
            // the child is gone
        }
    }

    @Override
    public void stop(Duration grace) {
        Process p;
        synchronized (lock) {
            p = process;
            if (p == null || !p.isAlive()) return;
            try {
                WorkerFrames.write(toChild, WorkerFrames.SHUTDOWN, new byte[0]);
            } catch (IOException e) {
                // already dying; fall through to the wait
            }
        }
        try {
            if (!p.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                log.accept("trainer did not exit within " + grace.toMillis() + " ms; killing it");
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public boolean running() {
        synchronized (lock) {
            return process != null && process.isAlive();
        }
    }

    @Override
    public String backendDescription() {
        return backend;
    }

    /// The `java` of the running runtime. Not `ProcessHandle.current().info().command()`: in an installed app that
    /// is the jpackage launcher (`/opt/hearth/bin/hearth`), which would start another app, not the worker. The
    /// installers keep `bin/java` in the trimmed runtime for this (installers/build.xml).
    static String javaExecutable() {
        boolean windows = System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).startsWith("windows");
        return java.nio.file.Path.of(System.getProperty("java.home"), "bin", windows ? "java.exe" : "java").toString();
    }

    @Override
    public long pid() {
        synchronized (lock) {
            return process != null && process.isAlive() ? process.pid() : -1;
        }
    }
}

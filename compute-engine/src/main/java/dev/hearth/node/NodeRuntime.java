package dev.hearth.node;

import dev.hearth.node.api.ContributionHistory;
import dev.hearth.node.api.GpuCheck;
import dev.hearth.node.api.HardwareSample;
import dev.hearth.node.api.InvalidSettingException;
import dev.hearth.node.api.LogEntry;
import dev.hearth.node.api.NodeService;
import dev.hearth.node.api.NodeSettings;
import dev.hearth.node.api.NodeSnapshot;
import dev.hearth.node.api.NodeState;
import dev.hearth.node.api.RoundRecord;
import dev.hearth.node.api.RunStatus;
import dev.hearth.node.energy.CarbonFeed;
import dev.hearth.node.history.HistoryStore;
import dev.hearth.node.log.EventLog;
import dev.hearth.node.log.NodeLogger;
import dev.hearth.node.net.DailyVolumeCap;
import dev.hearth.node.net.TokenBucket;
import dev.hearth.node.policy.Decision;
import dev.hearth.node.policy.IdlePolicy;
import dev.hearth.node.policy.OwnerState;
import dev.hearth.node.probe.MachineProbes;
import dev.hearth.node.session.RunSession;
import dev.hearth.node.settings.SettingsStore;
import dev.hearth.protocol.RunAddress;
import dev.hearth.protocol.identity.NodeIdentity;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/// The node: owns the data dir, identity, settings, history, event log, machine probes and the run
/// session; decides every second whether to contribute (pure {@link IdlePolicy}) and tells the
/// session. Implements {@link NodeService} for front ends.
///
/// Threads: every piece of node state changes on one thread, `hearth-node` (Netty callbacks and
/// worker results are posted to it); the snapshot is an immutable record in a volatile field, so
/// readers (the UI's 250 ms timeline) never lock.
public final class NodeRuntime implements NodeService {

    /// How often the idle policy is evaluated: a second is well below human reaction to "give me my GPU back".
    static final Duration POLICY_PERIOD = Duration.ofSeconds(1);
    /// How long [#settledSnapshot] waits for the node thread: it only runs short tasks (a trainer stop is handed off).
    private static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(5);
    /// How long closing waits for the node thread's current task once the queue is dropped: its tasks are short.
    private static final Duration NODE_THREAD_STOP = Duration.ofSeconds(5);
    /// How long "Start contributing" may hold its first round against the owner's input: a first round on the
    /// local run takes well under a minute; a run that does not answer for 10 minutes should not later train
    /// while the owner works, long after the click.
    static final Duration START_NOW_GRACE = Duration.ofMinutes(10);

    private final Path dataDir;
    private final Clock clock;
    /// The owner's grid carbon-intensity feed, fetched on a virtual thread so the policy tick never waits on it.
    private CarbonFeed carbonFeed;
    private final EventLog eventLog;
    private final NodeLogger log;
    private final SettingsStore settingsStore;
    private final HistoryStore history;
    private final NodeIdentity identity;
    private final MachineProbes probes;
    private final ScheduledExecutorService nodeThread;
    private final RunSession session;
    private final List<Registered> listeners = new CopyOnWriteArrayList<>();
    private final long sessionId;
    private final TokenBucket upload;
    private final TokenBucket download;
    private final DailyVolumeCap dailyCap;
    private final boolean hadSettings;
    private final dev.hearth.node.settings.DataDirLock lock;
    private final dev.hearth.node.control.ControlServer control;

    private volatile NodeSettings settings;
    private volatile NodeSnapshot snapshot;
    private volatile boolean closed;

    // node thread only
    private OwnerState owner = OwnerState.AUTO;
    private Instant startedNowAt;
    private Decision decision = Decision.NONE;
    private LocalRunProvider.LocalRun localRun;
    private volatile String dashboardUrl = "";

    private record Registered(Listener listener, Executor executor) {}

    private NodeRuntime(Path dataDir, Clock clock, boolean inProcessWorker, Function<EventLog, MachineProbes> probeFactory)
            throws IOException {
        this.dataDir = dataDir;
        this.clock = clock;
        this.carbonFeed = new CarbonFeed(clock, r -> Thread.ofVirtual().name("hearth-carbon-feed").start(r));
        dev.hearth.node.settings.DataDirs.ensure(dataDir);
        // One node per data dir: two would each close the other's history session as crashed.
        this.lock = dev.hearth.node.settings.DataDirLock.acquire(dataDir);
        this.eventLog = new EventLog(clock);
        this.log = eventLog.logger("node");
        this.settingsStore = new SettingsStore(dataDir, eventLog, clock);
        this.hadSettings = java.nio.file.Files.exists(settingsStore.file());
        SettingsStore.LoadResult loaded = settingsStore.load();
        this.settings = loaded.settings();
        eventLog.setLevel(settings.logLevel());
        this.history = HistoryStore.open(dataDir, clock, eventLog);
        this.identity = NodeIdentity.loadOrCreate(dataDir);
        this.probes = probeFactory.apply(eventLog);
        this.snapshot = NodeSnapshot.starting(clock.instant());
        this.nodeThread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "hearth-node");
            t.setDaemon(true);
            return t;
        });
        this.upload = new TokenBucket(settings.uploadCapBytesPerSec(), clock);
        this.download = new TokenBucket(settings.downloadCapBytesPerSec(), clock);
        this.dailyCap = new DailyVolumeCap(history, clock, settings.dailyVolumeCapBytes());
        this.session = new RunSession(dataDir, identity, eventLog, history, probes, nodeThread, clock,
                inProcessWorker, new RunSession.Traffic(upload, download, dailyCap), this::publish, this::notifyRound);
        session.setSettings(settings); // the device choice reaches the trainer from the first round
        this.sessionId = history.startSession(clock.instant());
        eventLog.addListener(entry -> listeners.forEach(l -> l.executor().execute(() -> l.listener().onLog(entry))),
                Runnable::run);
        log.info("node " + identity.nodeId().substring(0, 12) + " started; data in " + dataDir);
        dev.hearth.node.api.Privileges.elevatedWarning().ifPresent(log::warn);
        this.control = startControl();
    }

    /// The local control API (`hearth pause`, ...); without it the node still works, so a failure is logged only.
    private dev.hearth.node.control.ControlServer startControl() {
        try {
            var server = dev.hearth.node.control.ControlServer.start(this, dataDir);
            log.debug("control API on " + server.address() + " (token in " + dev.hearth.node.control.ControlFile.FILE_NAME + ")");
            return server;
        } catch (IOException | RuntimeException e) {
            log.warn("the local control API could not start (hearth pause/resume/status will not reach this node): " + e.getMessage());
            return null;
        }
    }

    /// Opens everything under `dataDir` and starts the node's threads. It joins no run until told:
    /// {@link #joinConfiguredRun()}, {@link #joinRun} or {@link #startLocalRun()}.
    public static NodeRuntime start(Path dataDir, Clock clock, boolean inProcessWorker,
                                    Function<EventLog, MachineProbes> probeFactory) {
        try {
            NodeRuntime node = new NodeRuntime(dataDir, clock, inProcessWorker, probeFactory);
            node.nodeThread.scheduleWithFixedDelay(node::policyTick, 0, POLICY_PERIOD.toMillis(), TimeUnit.MILLISECONDS);
            return node;
        } catch (IOException e) {
            throw new UncheckedIOException("Hearth could not open its data in " + dataDir + ": " + e.getMessage(), e);
        }
    }

    /// True when the owner had saved settings before this start (false on a first start: the app then
    /// shows its first-start screen instead of joining a run on its own).
    public boolean hadSettings() {
        return hadSettings;
    }

    /// Joins the run saved in the settings (the local run on a fresh install).
    public void joinConfiguredRun() {
        nodeThread.execute(this::joinConfiguredRunNow);
    }

    private void joinConfiguredRunNow() {
        String address = settings.runAddress();
        if ("local".equals(address)) {
            startLocalRunNow();
        } else {
            try {
                session.join(RunAddress.parse(address), runLabel(RunAddress.parse(address)));
            } catch (IllegalArgumentException e) {
                log.error("the run address in the settings is not valid (" + e.getMessage() + "); starting the local run");
                startLocalRunNow();
            }
        }
    }

    private void startLocalRunNow() {
        if (localRun != null) {
            session.join(RunAddress.parse(localRun.address()), "local run");
            return;
        }
        var provider = LocalRunProvider.find();
        if (provider.isEmpty()) {
            session.fail("The local run is not available in this installation (the coordinator module is missing).");
            return;
        }
        try {
            localRun = provider.get().start(dataDir.resolve("local-run"), 0);
            dashboardUrl = localRun.dashboardUrl();
            log.info("local run started at " + localRun.address() + " (dashboard " + localRun.dashboardUrl() + ")");
            session.join(RunAddress.parse(localRun.address()), "local run");
        } catch (Exception e) {
            log.error("could not start the local run: " + e.getMessage(), e);
            session.fail("Could not start the local run: " + e.getMessage());
        }
    }

    private void policyTick() {
        if (closed) return;
        try {
            Instant now = clock.instant();
            if (owner.snoozedUntil() != null && !now.isBefore(owner.snoozedUntil())) {
                owner = OwnerState.AUTO;
                log.info("snooze ended");
            }
            if (owner.startedNow() && now.isAfter(startedNowAt.plus(START_NOW_GRACE)) && !session.training()) {
                owner = OwnerState.AUTO;
                log.info("no round came within " + START_NOW_GRACE.toMinutes() + " min of the start; following the settings");
            }
            Decision next = IdlePolicy.decide(probes.readings().withGrid(carbonFeed.reading(settings.energy().carbonFeedUrl())),
                    settings, owner, now, decision);
            if (next.running() && dailyCap.exhausted()) {
                next = new Decision(Decision.Action.PAUSE, Decision.Cause.DATA_CAP, "Paused — " + dailyCap.describe(),
                        dailyCap.resetsAt(), false);
            }
            if (next.action() != decision.action() || !next.reason().equals(decision.reason())) {
                if (next.action() != decision.action()) log.info(next.reason());
                decision = next;
            }
            session.setDecision(decision);
        } catch (RuntimeException e) {
            log.error("policy check failed: " + e.getMessage(), e);
        }
    }

    /// Called on the node thread (the session publishes there), so `owner` is current.
    private void publish(NodeSnapshot fromSession) {
        NodeSnapshot withOwner = fromSession.withOwner(owner.paused() || owner.snoozedUntil() != null, owner.snoozedUntil());
        NodeSnapshot s = withOwner;
        if (decision.running() && decision.cause() == Decision.Cause.STARTED_BY_OWNER && withOwner.reason().isBlank()
                && withOwner.state() != NodeState.ERROR) {
            s = withOwner.withReason(settings.policy() == NodeSettings.Policy.ALWAYS ? ""
                    : "after this round, Hearth pauses when you use the computer; you can change this in Settings");
        }
        NodeSnapshot published = s;
        snapshot = published;
        StatusFile.write(dataDir, published);
        for (Registered r : listeners) r.executor().execute(() -> r.listener().onSnapshot(published));
    }

    private void notifyRound(RoundRecord record) {
        nodeThread.execute(() -> {
            if (owner.finishRoundThenPause()) {
                owner = OwnerState.pausedByOwner();
                log.info("round finished; paused as asked");
                policyTick();
            } else if (owner.startedNow()) {
                owner = OwnerState.AUTO;
                log.info("first round done; from now on Hearth " + IdlePolicy.stepsAside(settings));
                policyTick();
            }
        });
        for (Registered r : listeners) r.executor().execute(() -> r.listener().onRoundRecorded(record));
    }

    // ---- NodeService -----------------------------------------------------------------------------------------

    @Override
    public NodeSnapshot snapshot() {
        return snapshot;
    }

    @Override
    public NodeSnapshot settledSnapshot() {
        try {
            return nodeThread.submit(() -> snapshot).get(SETTLE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return snapshot;
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException
                 | java.util.concurrent.RejectedExecutionException e) {
            return snapshot; // closing, or busy: the latest is still the truth as far as it goes
        }
    }

    @Override
    public String dashboardUrl() {
        return dashboardUrl;
    }

    @Override
    public HardwareSample hardware() {
        return probes.hardware();
    }

    @Override
    public GpuCheck gpuCheck() {
        return probes.gpuCheck();
    }

    @Override
    public RunStatus runStatus() {
        return session.runStatus();
    }

    /// The version of the model this node holds in memory, -1 for none. `params.bin` has it only after a download
    /// and when the session ends; this follows every commit applied.
    public long modelVersion() {
        return session.modelVersion();
    }

    @Override
    public void pause() {
        nodeThread.execute(() -> {
            owner = OwnerState.pausedByOwner();
            log.info("paused by the owner");
            policyTick();
        });
    }

    @Override
    public void resume() {
        nodeThread.execute(() -> {
            owner = OwnerState.AUTO;
            log.info("resumed by the owner");
            policyTick();
        });
    }

    @Override
    public void startNow() {
        nodeThread.execute(() -> {
            owner = OwnerState.justStarted();
            startedNowAt = clock.instant();
            log.info("started by the owner: training a round now; after it Hearth " + IdlePolicy.stepsAside(settings));
            policyTick();
        });
    }

    @Override
    public void snooze(Duration duration) {
        if (duration.isNegative() || duration.isZero()) throw new IllegalArgumentException("snooze must be positive");
        nodeThread.execute(() -> {
            owner = OwnerState.snoozed(clock.instant().plus(duration));
            log.info("snoozed for " + duration.toMinutes() + " min");
            policyTick();
        });
    }

    @Override
    public void finishRoundThenPause() {
        nodeThread.execute(() -> {
            if (!session.training()) {
                owner = OwnerState.pausedByOwner();
                log.info("no round in progress; paused now");
            } else {
                owner = OwnerState.finishingRound();
                log.info("will pause when this round is uploaded");
            }
            policyTick();
        });
    }

    @Override
    public void joinRun(String address) {
        RunAddress parsed = RunAddress.parse(address); // throws with a readable message
        nodeThread.execute(() -> joinNow(parsed));
    }

    private void joinNow(RunAddress parsed) {
        saveRunAddress(parsed.toString());
        session.join(parsed, runLabel(parsed));
        if (localRun != null && !parsed.toString().equals(localRun.address())) {
            localRun.close(); // nobody else trains on it
            localRun = null;
            dashboardUrl = "";
        }
    }

    /// "run at host:port": the headline names the run without its 64-digit certificate fingerprint.
    static String runLabel(RunAddress a) {
        return "run at " + a.host() + ":" + a.port();
    }

    /// The switch waiting for its new run to answer (node thread), or null.
    private dev.hearth.node.session.RunProbe probe;

    /// The local run answers at once (it is started in this process); a remote run is asked first with a
    /// {@link dev.hearth.node.session.RunProbe}, and the session moves only once it welcomed this node.
    @Override
    public java.util.concurrent.CompletionStage<Void> switchRun(String address,
                                                               java.util.function.Consumer<String> attempts) {
        if ("local".equals(address)) {
            startLocalRun();
            return java.util.concurrent.CompletableFuture.completedFuture(null);
        }
        RunAddress parsed = RunAddress.parse(address); // throws with a readable message
        var done = new java.util.concurrent.CompletableFuture<Void>();
        nodeThread.execute(() -> {
            if (probe != null) probe.cancel();
            var asking = new dev.hearth.node.session.RunProbe(parsed, identity, sentence -> {
                log.info("switching runs: " + sentence);
                attempts.accept(sentence);
            });
            probe = asking;
            log.info("asking " + parsed.host() + ":" + parsed.port() + " before leaving the current run");
            asking.start().whenComplete((welcome, failure) -> nodeThread.execute(() -> {
                asking.close();
                if (probe == asking) probe = null;
                if (failure != null) {
                    log.info("not switching runs: " + failure.getMessage());
                    done.completeExceptionally(failure);
                    return;
                }
                log.info(parsed.host() + ":" + parsed.port() + " answered (run " + welcome.getRunId()
                        + "); leaving the current run");
                joinNow(parsed);
                done.complete(null);
            }));
        });
        return done;
    }

    @Override
    public void cancelRunSwitch() {
        nodeThread.execute(() -> {
            if (probe != null) probe.cancel();
        });
    }

    @Override
    public void startLocalRun() {
        nodeThread.execute(() -> {
            saveRunAddress("local");
            startLocalRunNow();
        });
    }

    private void saveRunAddress(String address) {
        NodeSettings s = settings;
        NodeSettings next = s.toBuilder().runAddress(address).build(); // every other field kept (the data cap, the CPU limit)
        try {
            updateSettings(next);
        } catch (InvalidSettingException e) {
            log.warn("could not remember the run address: " + e.getMessage());
        }
    }

    @Override
    public NodeSettings settings() {
        return settings;
    }

    @Override
    public void updateSettings(NodeSettings next) throws InvalidSettingException {
        next.validate();
        try {
            settingsStore.save(next);
        } catch (IOException e) {
            throw new InvalidSettingException("dataDir", "could not save the settings: " + e.getMessage());
        }
        settings = next;
        eventLog.setLevel(next.logLevel());
        upload.setRate(next.uploadCapBytesPerSec());
        download.setRate(next.downloadCapBytesPerSec());
        dailyCap.setCap(next.dailyVolumeCapBytes());
        session.setSettings(next);
        nodeThread.execute(this::policyTick);
    }

    @Override
    public ContributionHistory history() {
        return history;
    }

    @Override
    public List<LogEntry> recentLog() {
        return eventLog.recent();
    }

    @Override
    public void addListener(Listener listener, Executor executor) {
        listeners.add(new Registered(listener, executor));
    }

    @Override
    public Path dataDir() {
        return dataDir;
    }

    /// Contribute per `policy` for this session without saving it (`./hearth node --demo` trains while the
    /// owner watches; the saved preference stays what the owner chose).
    public void overridePolicy(NodeSettings.Policy policy) {
        NodeSettings s = settings;
        settings = s.toBuilder().policy(policy).build();
        nodeThread.execute(this::policyTick);
    }

    /// The node's event log (the CLI prints it).
    public EventLog eventLog() {
        return eventLog;
    }

    public String nodeId() {
        return identity.nodeId();
    }

    @Override
    public void close() {
        close("stopped by the owner");
    }

    /// Stops training (saving the trainer's state), leaves the run, closes the history with `why`.
    public void close(String why) {
        if (closed) return;
        closed = true;
        if (control != null) control.close();
        try {
            nodeThread.submit(() -> {
                if (probe != null) probe.cancel();
                session.close(why);
            }).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            Throwable cause = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null ? e.getCause() : e;
            log.warn("the session did not close cleanly: " + (cause.getMessage() != null ? cause.getMessage()
                    : cause instanceof java.util.concurrent.TimeoutException ? "it took longer than 10 s"
                    : cause.getClass().getSimpleName()));
        }
        nodeThread.shutdownNow();
        try { // a task already running (a status write, a shard write) finishes before the data dir is let go
            if (!nodeThread.awaitTermination(NODE_THREAD_STOP.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("closing: the node thread was still busy after " + NODE_THREAD_STOP.toSeconds() + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (localRun != null) localRun.close();
        probes.close();
        history.endSession(sessionId, clock.instant(), why);
        history.close();
        lock.close();
    }
}

package dev.hearth.node.session;

import com.google.protobuf.ByteString;
import dev.hearth.engine.checkpoint.Checkpoint;
import dev.hearth.engine.checkpoint.ParamsDigest;
import dev.hearth.engine.demo.DemoBlocking;
import dev.hearth.engine.demo.OuterRule;
import dev.hearth.engine.model.ModelConfig;
import dev.hearth.engine.model.ParameterLayout;
import dev.hearth.engine.recipe.RunRecipe;
import dev.hearth.node.Version;
import dev.hearth.node.api.NodeSettings;
import dev.hearth.node.api.NodeSnapshot;
import dev.hearth.node.api.NodeState;
import dev.hearth.node.api.RoundEnergy;
import dev.hearth.node.api.RoundRecord;
import dev.hearth.node.api.RunStatus;
import dev.hearth.node.energy.RoundEnergyMeter;
import dev.hearth.node.history.HistoryStore;
import dev.hearth.node.log.EventLog;
import dev.hearth.node.log.NodeLogger;
import dev.hearth.node.net.DailyVolumeCap;
import dev.hearth.node.net.TokenBucket;
import dev.hearth.node.policy.Decision;
import dev.hearth.node.probe.MachineProbes;
import dev.hearth.node.worker.ChildProcessWorker;
import dev.hearth.node.worker.InProcessWorker;
import dev.hearth.node.worker.TrainJob;
import dev.hearth.node.worker.TrainResult;
import dev.hearth.node.worker.Worker;
import dev.hearth.node.worker.WorkerSpec;
import dev.hearth.protocol.RunAddress;
import dev.hearth.protocol.client.ClientConfig;
import dev.hearth.protocol.client.ClientListener;
import dev.hearth.protocol.client.Disconnect;
import dev.hearth.protocol.client.HearthClient;
import dev.hearth.protocol.identity.NodeIdentity;
import dev.hearth.protocol.identity.UpdateSignatures;
import dev.hearth.protocol.wire.CheckpointManifest;
import dev.hearth.protocol.wire.CheckpointManifestRequest;
import dev.hearth.protocol.wire.Chunk;
import dev.hearth.protocol.wire.ChunkRequest;
import dev.hearth.protocol.wire.Envelope;
import dev.hearth.protocol.wire.Hello;
import dev.hearth.protocol.wire.RoundCommit;
import dev.hearth.protocol.wire.RoundStart;
import dev.hearth.protocol.wire.RunConfig;
import dev.hearth.protocol.wire.RunStatusRequest;
import dev.hearth.protocol.wire.UpdateReceipt;
import dev.hearth.protocol.wire.UpdateUpload;
import dev.hearth.protocol.wire.Welcome;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/// The node's side of one run: connect, sync the checkpoint, train assigned rounds through the worker,
/// upload, apply commits and verify the checksum. Every method runs on the node thread (callers post).
///
/// The state and the decisions (what to train, when to ask for the model, what the owner sees) are the pure
/// [SessionMachine]'s, drawn there and in docs/architecture.md; this class turns messages, the policy's decisions and
/// the worker's results into its events and performs the actions it returns (the client, the worker, dataset sync,
/// downloads, files, history, snapshots).
///
/// The model lives in memory twice, here and in the trainer: a verified commit goes on to the trainer as a frame
/// ({@link Worker#applyCommit}) and the full parameters are written only for a trainer that does not hold the
/// round's version (it (re)started or refused a commit), after a checkpoint download, and when the session ends.
public final class RunSession {

    /// How often the node asks for the run's global picture while connected.
    static final Duration RUN_STATUS_PERIOD = Duration.ofSeconds(5);
    /// How long a paused worker may take to save its residual and exit before it is killed (issue 5: "within 2 s").
    static final Duration WORKER_GRACE = Duration.ofMillis(1500);
    /// How long closing waits for the trainer's stop and the data thread's current task: the worker's grace plus
    /// the few seconds a shard write or an import batch takes; under NodeRuntime's 10 s bound for the whole close.
    static final Duration CLOSE_WAIT = Duration.ofSeconds(6);
    /// Windows per forward/backward pass in the worker (bounds activation memory: ~0.3 GB for `small`).
    static final int MICRO_BATCH = 8;
    /// What a chunk request costs the download cap: the coordinator serves 1 MiB chunks (the last is shorter).
    static final long CHUNK_BYTES_ESTIMATE = dev.hearth.protocol.ProtocolLimits.MAX_CHUNK_DATA_BYTES;
    /// How long a round waits for the trainer's answer to the last commit before writing the parameters file as if
    /// it had refused: applying a `small` commit and hashing the result takes well under a second on a busy CPU, so
    /// this only bounds a trainer that stopped answering (the file is then correct whatever it answers later).
    static final Duration COMMIT_ANSWER_TIMEOUT = Duration.ofSeconds(30);


    private final Path dataDir;
    private final NodeIdentity identity;
    private final NodeLogger log;
    private final EventLog eventLog;
    private final HistoryStore history;
    private final MachineProbes probes;
    private final ScheduledExecutorService nodeThread;
    private final ExecutorService trainerControl;
    private final Clock clock;
    private final boolean inProcessWorker;
    private final Traffic traffic;
    private final Consumer<NodeSnapshot> publish;
    private final Consumer<RoundRecord> roundRecorded;
    private final ExecutorService dataThread;
    private final DatasetSync dataset;
    private final StorageFetch storage = new StorageFetch();
    /// A stored commit's bytes: from storage by URL, or from the coordinator on `local` storage.
    private final StoredCommitFetch storedCommits = new StoredCommitFetch(storage, this::send);
    /// The current download's storage URL failed verification or answered wrongly: the rest comes from the coordinator.
    private boolean storageRefused;

    private NodeSettings settings;
    private HearthClient client;
    private String label = "";
    private Welcome welcome;
    private ModelConfig model;
    private ParameterLayout layout;
    private DemoBlocking blocking;
    /// The run's recipe and its outer step, from its Welcome.
    private RunRecipe recipe;
    private OuterRule outer;
    private float[] params;
    private long version = -1;
    private CheckpointDownload download;
    private PendingReceipt pendingReceipt;
    private Worker worker;
    private WorkerSpec workerSpec;
    private Decision decision = Decision.NONE;
    private ScheduledFuture<?> statusPoll;
    private volatile RunStatus runStatus = RunStatus.unknown();
    private long lastCommitBytes;
    private long workerFileVersion = -1; // trainer-control thread only
    /// The trainer's answer to the last commit sent to it (trainer-control thread only).
    private java.util.concurrent.Future<dev.hearth.node.worker.CommitOutcome> workerCommit;
    /// The version `params.bin` holds (written after a download and when the session ends, not per commit).
    private long savedVersion = -1;
    private Worker stoppingWorker; // the worker a stop was sent to (node thread)
    private dev.hearth.protocol.wire.NodeState reportedWireState;
    private String reportedBackend = "";

    /// The session's state and decisions (what to train, when to download, what the owner sees); this class performs
    /// its actions. Events raised while performing wait in `inbox` until the current ones are done.
    private final SessionMachine machine = new SessionMachine();
    private final ArrayDeque<SessionMachine.Event> inbox = new ArrayDeque<>();
    private boolean dispatching;
    /// The machine's model version after its last event, for readers off the node thread.
    private volatile long modelVersion = -1;

    // snapshot fields (the round's figures; the state and headline are the machine's)
    private double progress;
    private double tokensPerSecond;
    private double localLoss = Double.NaN;

    /// The owner's network limits: rate caps per direction and the daily volume cap (all from the settings).
    public record Traffic(TokenBucket upload, TokenBucket download, DailyVolumeCap daily) {}

    private record PendingReceipt(long round, TrainResult result, long bytesUp, long bytesDown, RoundEnergy energy) {}

    /// 1 s: how often the round's energy meter samples GPU power and the RAPL counters while a round
    /// trains (the hardware monitor refreshes its sample once a second; RAPL's 2^32 µJ counters wrap
    /// no faster than every ~40 s at 100 W).
    private static final long ENERGY_SAMPLE_MS = 1_000;
    private final RoundEnergyMeter energyMeter = RoundEnergyMeter.forThisMachine();
    private RoundEnergyMeter.Round roundEnergy;
    private java.util.concurrent.ScheduledFuture<?> energySampling;
    private RoundEnergy lastRoundEnergy;

    public RunSession(Path dataDir, NodeIdentity identity, EventLog eventLog, HistoryStore history, MachineProbes probes,
                      ScheduledExecutorService nodeThread, Clock clock, boolean inProcessWorker, Traffic traffic,
                      Consumer<NodeSnapshot> publish, Consumer<RoundRecord> roundRecorded) {
        this.dataDir = dataDir;
        this.identity = identity;
        this.eventLog = eventLog;
        this.log = eventLog.logger("session");
        this.history = history;
        this.probes = probes;
        this.nodeThread = nodeThread;
        this.clock = clock;
        this.inProcessWorker = inProcessWorker;
        this.traffic = traffic;
        this.publish = publish;
        this.roundRecorded = roundRecorded;
        this.trainerControl = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "hearth-trainer-control");
            t.setDaemon(true);
            return t;
        });
        this.dataThread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "hearth-data");
            t.setDaemon(true);
            return t;
        });
        try {
            this.dataset = new DatasetSync(dataDir.resolve("datasets"), dataDir.resolve("corpus"),
                    () -> settings == null ? NodeSettings.DEFAULT_DATA_CACHE_CAP_BYTES : settings.dataCacheCapBytes(),
                    this::sendWithinCap, this::post, dataThread, storage, eventLog.logger("data"), new DatasetEvents());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot create the data cache in " + dataDir.resolve("datasets"), e);
        }
    }

    // ---- control (node thread) -------------------------------------------------------------------------------

    /// Runs `task` on the node thread; after shutdown (the app is quitting) late callbacks are dropped.
    private void post(Runnable task) {
        try {
            nodeThread.execute(task);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // the node is closing: a worker result or a network event arriving now changes nothing
        }
    }

    /// The owner's settings; a changed device or CPU limit takes effect from the next round (the trainer restarts on
    /// the new spec).
    public void setSettings(NodeSettings settings) {
        post(() -> this.settings = settings);
    }

    /// Connects to a run (leaving the current one).
    public void join(RunAddress address, String label) {
        leave("switching runs");
        this.label = label;
        Hello hello = Hello.newBuilder()
                .setClientVersion(Version.CURRENT)
                .setBackend(worker == null ? "" : worker.backendDescription()) // known after the trainer's start
                .setDevice(probes.gpuCheck().model())
                .setVramBytes(Math.max(0, probes.gpuCheck().vramBytes()))
                .build();
        client = new HearthClient(ClientConfig.of(address, hello), identity, new Listener());
        client.setState(decision.running() ? dev.hearth.protocol.wire.NodeState.IDLE
                : dev.hearth.protocol.wire.NodeState.PAUSED);
        fire(new SessionMachine.Joined(label));
        client.start();
        statusPoll = nodeThread.scheduleWithFixedDelay(this::pollStatus, RUN_STATUS_PERIOD.toMillis(),
                RUN_STATUS_PERIOD.toMillis(), TimeUnit.MILLISECONDS);
    }

    /// The session cannot work (no local run, bad config): shown as an error state.
    public void fail(String why) {
        fire(new SessionMachine.Failed(why));
    }

    public boolean training() {
        return machine.training();
    }

    public RunStatus runStatus() {
        return runStatus;
    }

    /// The version of the model in memory (the welcome's local copy, then each commit applied, download or
    /// catch-up), -1 for none; safe to read from any thread.
    public long modelVersion() {
        return modelVersion;
    }

    /// The idle policy's latest decision.
    public void setDecision(Decision next) {
        decision = next;
        reportWireState();
        fire(new SessionMachine.Decided(next.running(), next.reason()));
        publishSnapshot();
    }

    /// Hands an event to the machine and performs the actions it returns, in order; an event raised while performing
    /// (a round prepared, a commit applied) is handled once the current actions are done.
    private void fire(SessionMachine.Event event) {
        inbox.add(event);
        if (dispatching) return;
        dispatching = true;
        try {
            SessionMachine.Event e;
            while ((e = inbox.poll()) != null) {
                for (SessionMachine.Action a : machine.on(e, clock.instant())) perform(a);
            }
        } finally {
            dispatching = false;
            modelVersion = machine.version();
        }
    }

    private void perform(SessionMachine.Action action) {
        switch (action) {
            case SessionMachine.Show s -> {
                reportWireState();
                publishSnapshot();
            }
            case SessionMachine.Log l -> {
                switch (l.level()) {
                    case DEBUG -> log.debug(l.message());
                    case INFO -> log.info(l.message());
                    case WARN -> log.warn(l.message());
                }
            }
            case SessionMachine.RequestModel r -> requestModel(r.haveVersion());
            case SessionMachine.PrepareRound p -> prepare(p.round());
            case SessionMachine.Train t -> train(t.round());
            case SessionMachine.StopTrainer s -> stopWorker();
            case SessionMachine.RoundEnded r -> roundEnded(r.result());
            case SessionMachine.Upload u -> upload(u.round(), u.result());
            case SessionMachine.Record r -> record(r.receipt());
            case SessionMachine.ApplyCommit c -> applyCommit(c.commit());
            case SessionMachine.FetchCommits f -> fetchCommits(f.plan());
            case SessionMachine.FetchLiveCommit f -> fetchLiveCommit(f.ref());
        }
    }

    /// Tells the coordinator at once when this node starts or stops wanting work (heartbeats carry the
    /// state too, but only every 15 s: too slow for "the owner is back, take my batches elsewhere").
    private void reportWireState() {
        if (client == null) return;
        var wire = decision.running() && welcome != null ? currentWireState() : dev.hearth.protocol.wire.NodeState.PAUSED;
        client.setState(wire);
        String backend = worker == null ? "" : worker.backendDescription();
        if ((wire != reportedWireState || !backend.equals(reportedBackend)) && client.isConnected()) {
            reportedWireState = wire;
            reportedBackend = backend; // the run's dashboard shows what each node trains on, and why
            send(Envelope.newBuilder().setHeartbeat(dev.hearth.protocol.wire.Heartbeat.newBuilder()
                    .setUnixMillis(clock.millis()).setState(wire).setBackend(backend)).build());
        }
    }

    private dev.hearth.protocol.wire.NodeState currentWireState() {
        return switch (machine.view().state()) {
            case TRAINING -> dev.hearth.protocol.wire.NodeState.TRAINING;
            case UPLOADING -> dev.hearth.protocol.wire.NodeState.UPLOADING;
            case DOWNLOADING -> dev.hearth.protocol.wire.NodeState.FETCHING;
            default -> dev.hearth.protocol.wire.NodeState.IDLE;
        };
    }

    /// Leaves the run and waits (at most {@link #CLOSE_WAIT}) for the trainer's stop and the data thread's current
    /// task, so that nothing writes into the node's data directory once this returns.
    public void close(String why) {
        leave(why);
        trainerControl.shutdown();
        dataThread.shutdown();
        long deadline = System.nanoTime() + CLOSE_WAIT.toNanos();
        try {
            if (!trainerControl.awaitTermination(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)
                    || !dataThread.awaitTermination(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)) {
                log.warn("closing: the trainer or the data thread was still busy after " + CLOSE_WAIT.toSeconds()
                        + " s; leaving it to finish on its own");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        storage.close();
    }

    private void leave(String why) {
        if (statusPoll != null) statusPoll.cancel(false);
        if (client != null) {
            client.close();
            client = null;
        }
        stopWorker();
        saveLocalParams();
        welcome = null;
        download = null;
        fire(new SessionMachine.Left());
    }

    private void stopWorker() {
        Worker w = worker;
        // setDecision and leave may both ask while the first stop is still under way: stop (and log) once
        if (w != null && w.running() && w != stoppingWorker) {
            stoppingWorker = w;
            trainerControl.execute(() -> {
                long t0 = System.nanoTime();
                w.stop(WORKER_GRACE);
                log.info("trainer stopped in " + (System.nanoTime() - t0) / 1_000_000 + " ms (memory returned)");
                probes.setWorkerPid(-1);
                post(() -> { if (stoppingWorker == w) stoppingWorker = null; });
            });
        }
    }

    // ---- protocol events -------------------------------------------------------------------------------------

    private final class Listener implements ClientListener {
        @Override
        public void onWelcome(Welcome w) {
            post(() -> welcomed(w));
        }

        @Override
        public void onMessage(Envelope e) {
            post(() -> message(e));
        }

        @Override
        public void onDisconnected(Disconnect d) {
            post(() -> disconnected(d));
        }
    }

    private void welcomed(Welcome w) {
        RunConfig rc = w.getConfig();
        RunRecipe recipe;
        try {
            recipe = RunRecipe.fromWire(rc);
        } catch (IllegalArgumentException e) {
            fail("This version of Hearth cannot train the run's recipe (" + e.getMessage() + "). Update Hearth.");
            return;
        }
        boolean sameRun = welcome != null && welcome.getRunId().equals(w.getRunId());
        welcome = w;
        reportedWireState = null; // a new connection: the coordinator knows nothing yet
        reportedBackend = "";
        this.recipe = recipe;
        this.model = recipe.model();
        this.outer = recipe.outer();
        layout = ParameterLayout.gpt(model);
        blocking = null; // made from this run's config on first use
        log.info("joined run " + w.getRunId() + " (model " + rc.getModel() + ", round " + w.getCurrentRound()
                + ", version " + w.getCurrentVersion() + ")");
        dataset.start(rc.getDatasetManifestSha256());
        if (welcome == null) return; // the run's data cannot be had: left the run (else: DatasetEvents.ready starts the trainer)
        if (!sameRun || params == null) loadLocalParams();
        fire(new SessionMachine.Welcomed(w.getCurrentVersion(), version));
        pollStatus();
    }

    /// The trainer for this run, reading the run's own dataset (its manifest file) and nothing else, on the owner's
    /// device choice (settings: auto, the CPU or a GPU index) and CPU limit (cores, % of their time).
    private void ensureWorker() {
        NodeSettings s = settings == null ? NodeSettings.defaults() : settings;
        useWorker(WorkerSpec.forRun(recipe, dataset.manifestFile().toString(), MICRO_BATCH, runDir().resolve("trainer"),
                s.device(), s.cpuThreads(Runtime.getRuntime().availableProcessors()), s.cpuPercent()));
    }

    /// Replaces the worker when its spec changed (a new run, or the owner chose another device): the old one is
    /// stopped first, so a GPU it held is free before the new one starts.
    private void useWorker(WorkerSpec spec) {
        if (!spec.equals(workerSpec)) {
            stopWorkerNow();
            workerSpec = spec;
            worker = inProcessWorker ? new InProcessWorker(spec)
                    : new ChildProcessWorker(spec, List.of("--enable-native-access=ALL-UNNAMED",
                    "--sun-misc-unsafe-memory-access=allow", "-Xss4m"), line -> eventLog.logger("trainer").info(line));
        }
    }

    private final class DatasetEvents implements DatasetSync.Events {
        @Override
        public void ready() {
            if (welcome == null) return;
            ensureWorker();
            fire(new SessionMachine.TrainerReady());
        }

        @Override
        public void shardsReady() {
            if (welcome == null) return;
            fire(new SessionMachine.DataReady());
        }

        @Override
        public void failed(String why) {
            leave(why);
            fail(why);
        }

        @Override
        public void downloading(double fraction, int shards) {
            fire(new SessionMachine.DataProgress(fraction, shards));
        }
    }

    /// Sends a request whose answer is `expectedResponseBytes`, when the owner's download rate cap allows.
    private boolean sendWithinCap(Envelope request, long expectedResponseBytes) {
        Duration wait = traffic.download().acquire(expectedResponseBytes);
        if (wait.isZero()) return send(request);
        nodeThread.schedule(() -> send(request), wait.toMillis(), TimeUnit.MILLISECONDS);
        return true;
    }

    private void stopWorkerNow() {
        Worker w = worker;
        worker = null;
        if (w != null) trainerControl.execute(() -> w.stop(WORKER_GRACE));
    }

    private Path runDir() {
        return dataDir.resolve("runs").resolve(sanitize(welcome.getRunId()));
    }

    private static String sanitize(String runId) {
        return runId.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    private Path paramsFile() {
        return runDir().resolve("params.bin");
    }

    private void loadLocalParams() {
        Path f = paramsFile();
        params = null;
        version = -1;
        savedVersion = -1;
        if (!Files.exists(f)) return;
        try {
            Checkpoint l = Checkpoint.read(f);
            params = l.paramsFor(model, f.toString());
            version = l.metadata().version();
            savedVersion = version;
            log.info("have model version " + version + " locally");
        } catch (IOException e) {
            log.warn("local model copy unusable (" + e.getMessage() + "); downloading it again");
        }
    }

    /// Asks for the run's model: with `haveVersion` ≥ 0 (a verified copy) the coordinator may answer with the commits
    /// since (the machine leaves it out once a catch-up from commits failed since the last checkpoint download).
    private void requestModel(long haveVersion) {
        var request = CheckpointManifestRequest.newBuilder();
        if (haveVersion >= 0) request.setHaveVersion(haveVersion);
        send(Envelope.newBuilder().setCheckpointManifestRequest(request).build());
    }

    /// The coordinator answered with the commits this node missed, in storage: fetch them one after another, each
    /// verified by its SHA-256, and apply each as a live commit is applied ([#applyStoredCommit]).
    /// The machine checked that the plan fits the version held.
    private void fetchCommits(dev.hearth.protocol.wire.CommitCatchUp plan) {
        long bytes = plan.getCommitsList().stream().mapToLong(dev.hearth.protocol.wire.StoredCommit::getBytes).sum();
        log.info("catching up from version " + version + " to " + plan.getToVersion() + " with "
                + plan.getCommitsCount() + " commit(s) from " + StoredCommitFetch.source(plan.getCommits(0)) + " ("
                + humanBytes(bytes) + "; the checkpoint is at least "
                + humanBytes(plan.getCheckpointBytes()) + ")");
        fetchStoredCommit(plan, 0);
    }

    private void fetchStoredCommit(dev.hearth.protocol.wire.CommitCatchUp plan, int index) {
        var ref = plan.getCommits(index);
        if (ref.getVersion() != version + 1 || ref.getBytes() < 1
                || ref.getBytes() > dev.hearth.protocol.ProtocolLimits.MAX_STORED_COMMIT_BYTES) {
            refuseCatchUp("stored commit " + index + " is for version " + ref.getVersion() + " of " + ref.getBytes()
                    + " bytes; version " + (version + 1) + " of at most "
                    + dev.hearth.protocol.ProtocolLimits.MAX_STORED_COMMIT_BYTES + " bytes was expected");
            return;
        }
        String source = StoredCommitFetch.source(ref);
        Runnable fetch = () -> storedCommits.fetch(ref)
                .whenComplete((bytes, error) -> post(() -> {
                    if (machine.catchingUp() != plan) return; // superseded (left, disconnected)
                    if (error != null) {
                        Throwable why = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                                ? error.getCause() : error;
                        refuseCatchUp("commit for version " + ref.getVersion() + " could not be fetched from " + source + ": "
                                + why.getMessage());
                        return;
                    }
                    traffic.daily().record(0, bytes.length);
                    if (!Arrays.equals(dev.hearth.protocol.Fingerprints.sha256(bytes), ref.getSha256().toByteArray())) {
                        refuseCatchUp("commit for version " + ref.getVersion() + " from " + source + " is refused: its "
                                + bytes.length + " bytes do not match its SHA-256");
                        return;
                    }
                    String problem = applyStoredCommit(ref.getVersion(), bytes, source);
                    if (problem != null) {
                        refuseCatchUp(problem);
                    } else if (index + 1 < plan.getCommitsCount()) {
                        fetchStoredCommit(plan, index + 1);
                    } else {
                        caughtUp(plan);
                    }
                }));
        Duration wait = traffic.download().acquire(ref.getBytes());
        if (wait.isZero()) fetch.run();
        else nodeThread.schedule(fetch, wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    /// Applies one verified stored commit with the code that applies a live one (the run's [OuterRule] on its
    /// [RunRecipe#blocking]) and checks the parameters' SHA-256 against the commit's; null when it held, else why not.
    private String applyStoredCommit(long expectedVersion, byte[] bytes, String source) {
        RoundCommit c;
        try {
            c = RoundCommit.parseFrom(bytes);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            return "commit for version " + expectedVersion + " from " + source + " does not decode: " + e.getMessage();
        }
        if (c.getNewVersion() != expectedVersion) {
            return "commit from " + source + " says version " + c.getNewVersion() + ", " + expectedVersion + " was expected";
        }
        try {
            outer.applyCommit(blocking(), params, c);
        } catch (dev.hearth.engine.demo.MalformedUpdateException | IllegalArgumentException e) {
            params = null;
            version = -1;
            return "commit for version " + expectedVersion + " from " + source + " is unusable: " + e.getMessage();
        }
        version = c.getNewVersion();
        if (!Arrays.equals(ParamsDigest.sha256(params), c.getParamsSha256().toByteArray())) {
            params = null;
            version = -1;
            return "model checksum differs from the coordinator's after the stored commit for version " + expectedVersion;
        }
        return null;
    }

    private void caughtUp(dev.hearth.protocol.wire.CommitCatchUp plan) {
        try {
            Checkpoint.ofParams(model, welcome.getRunId(), version, params).write(paramsFile());
        } catch (IOException e) {
            log.warn("could not save the model locally: " + e.getMessage());
        }
        log.info("caught up to version " + version + " from " + plan.getCommitsCount() + " commit(s); model SHA-256 "
                + dev.hearth.protocol.Fingerprints.hex(ParamsDigest.sha256(params)));
        fire(new SessionMachine.CaughtUp(version));
    }

    /// A catch-up from commits failed: the machine says why and asks for the checkpoint instead.
    private void refuseCatchUp(String why) {
        fire(new SessionMachine.CatchUpFailed(why, version));
    }

    private void message(Envelope e) {
        switch (e.getPayloadCase()) {
            case CHECKPOINT_MANIFEST -> manifest(e.getCheckpointManifest());
            case CHUNK -> chunk(e.getChunk());
            case COMMIT_CATCH_UP -> fire(new SessionMachine.CatchUpOffered(e.getCommitCatchUp()));
            case COMMIT_CHUNK -> storedCommits.onChunk(e.getCommitChunk());
            case LIVE_COMMIT -> fire(new SessionMachine.LiveCommitAnnounced(e.getLiveCommit()));
            case ROUND_WITHDRAWN -> fire(new SessionMachine.RoundWithdrawn(e.getRoundWithdrawn().getRound()));
            case DATASET_MANIFEST -> dataset.onManifest(e.getDatasetManifest());
            case SHARD_CHUNK -> {
                traffic.daily().record(0, e.getSerializedSize());
                dataset.onChunk(e.getShardChunk());
            }
            case ROUND_START -> fire(new SessionMachine.RoundOpened(e.getRoundStart()));
            case UPDATE_RECEIPT -> fire(new SessionMachine.ReceiptReceived(e.getUpdateReceipt()));
            case ROUND_COMMIT -> commit(e.getRoundCommit(), e.getSerializedSize());
            case RUN_STATUS -> runStatus = RunStatusViews.toApi(e.getRunStatus(), identity.nodeId());
            case REJECT -> fail(e.getReject().getReason());
            default -> log.debug("ignored " + e.getPayloadCase());
        }
    }

    private void manifest(CheckpointManifest m) {
        try {
            download = CheckpointDownload.start(m, runDir().resolve("download"));
            storageRefused = false;
            log.info("downloading model version " + m.getVersion() + " (" + m.getTotalBytes() / 1024 + " KiB, "
                    + (int) Math.round(download.progress() * 100) + "% already here)");
            fire(new SessionMachine.DownloadStarted(m.getVersion()));
            requestChunks();
        } catch (IOException ex) {
            fail("The coordinator's checkpoint is unusable: " + ex.getMessage());
        }
    }

    private void requestChunks() {
        if (download == null) return;
        if (download.complete()) {
            finishDownload();
            return;
        }
        for (int i : download.nextRequests()) {
            if (!download.manifest().getUrl().isEmpty() && !storageRefused) {
                fromStorage(download, i);
                continue;
            }
            Envelope req = Envelope.newBuilder().setChunkRequest(ChunkRequest.newBuilder()
                    .setVersion(download.version()).setIndex(i)).build();
            // The owner's download cap: reserve the chunk's bytes now, ask for it when the bucket allows.
            Duration wait = traffic.download().acquire(CHUNK_BYTES_ESTIMATE);
            if (wait.isZero()) send(req);
            else nodeThread.schedule(() -> send(req), wait.toMillis(), TimeUnit.MILLISECONDS);
        }
        fire(new SessionMachine.DownloadProgress(download.progress()));
    }

    /// A chunk from object storage (the manifest's presigned URL), within the owner's download cap; a chunk that
    /// fails there is asked of the coordinator, and so is the rest of this download.
    private void fromStorage(CheckpointDownload d, int index) {
        Duration wait = traffic.download().acquire(CHUNK_BYTES_ESTIMATE);
        Runnable fetch = () -> storage.chunk(d.manifest(), index).whenComplete((c, error) -> post(() -> {
            if (download != d) return; // superseded
            if (error == null) {
                chunk(c);
                return;
            }
            storageRefused = true;
            Throwable why = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                    ? error.getCause() : error;
            log.warn(why.getMessage() + "; fetching the checkpoint from the coordinator instead");
            send(Envelope.newBuilder().setChunkRequest(ChunkRequest.newBuilder().setVersion(d.version()).setIndex(index))
                    .build());
        }));
        if (wait.isZero()) fetch.run();
        else nodeThread.schedule(fetch, wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void chunk(Chunk c) {
        traffic.daily().record(0, c.getSerializedSize());
        if (download == null) return;
        try {
            download.accept(c);
        } catch (IOException ex) {
            log.warn(ex.getMessage() + "; asking again");
        }
        requestChunks();
    }

    private void finishDownload() {
        CheckpointDownload d = download;
        download = null;
        try {
            byte[] bytes = d.finish();
            Checkpoint loaded = Checkpoint.decode(bytes, "checkpoint from the coordinator");
            params = loaded.paramsFor(model, "checkpoint from the coordinator");
            version = loaded.metadata().version();
            Checkpoint.ofParams(model, welcome.getRunId(), version, params).write(paramsFile());
            savedVersion = version;
            log.info("model version " + version + " downloaded and verified");
        } catch (IOException ex) {
            fire(new SessionMachine.DownloadFailed(ex.getMessage()));
            return;
        }
        fire(new SessionMachine.ModelDownloaded(version));
    }

    /// The machine found the round open, the policy running and the model at the round's base version: the trainer
    /// and the round's shards are checked here ([SessionMachine.RoundPrepared] when both are ready).
    private void prepare(RoundStart rs) {
        ensureWorker(); // the owner may have changed the device since the welcome
        long[] ids = rs.getBatchIdsList().stream().mapToLong(Long::longValue).toArray();
        // else fetching the shards these batches read (DataReady tries again), or failed
        if (dataset.ensure(ids, model.context())) fire(new SessionMachine.RoundPrepared(rs));
    }

    private void train(RoundStart rs) {
        long[] ids = rs.getBatchIdsList().stream().mapToLong(Long::longValue).toArray();
        stoppingWorker = null; // the worker trains again: a later pause must stop it again
        progress = 0;
        startMeteringEnergy(rs);
        float[] snapshotParams = params;
        long v = version;
        Path file = runDir().resolve("trainer").resolve("params.bin");
        Worker w = worker;
        trainerControl.execute(() -> {
            try {
                awaitWorkerCommit(); // its answer says whether the trainer holds version v
                if (w.paramsVersion() != v && (workerFileVersion != v || !Files.exists(file))) {
                    // a trainer that (re)starts or refused a commit: once per model version, not per round
                    Checkpoint.ofParams(model, welcome.getRunId(), v, snapshotParams).write(file);
                    workerFileVersion = v;
                }
                TrainJob job = new TrainJob(rs.getRound(), v, file, ids, (float) rs.getLr());
                w.train(job, (done, total) -> post(() -> {
                    if (machine.trainingRound() == rs) {
                        progress = (double) done / total;
                        publishSnapshot();
                    }
                })).whenComplete((result, error) -> post(() -> trained(rs, result, error)));
                probes.setWorkerPid(w.pid());
            } catch (IOException ex) {
                post(() -> trained(rs, null, ex));
            }
        });
    }

    /// Starts the round's energy meter and its 1 s sampling on the node thread.
    private void startMeteringEnergy(RoundStart rs) {
        stopMeteringEnergy();
        roundEnergy = energyMeter.start(clock.instant(), trainerCpuSeconds());
        energySampling = nodeThread.scheduleAtFixedRate(() -> {
            RoundEnergyMeter.Round m = roundEnergy;
            if (machine.trainingRound() == rs && m != null) m.sample(probes.hardware());
        }, ENERGY_SAMPLE_MS, ENERGY_SAMPLE_MS, TimeUnit.MILLISECONDS);
    }

    /// Stops sampling; returns the round's energy, or null when no round was metered.
    private RoundEnergy stopMeteringEnergy() {
        if (energySampling != null) energySampling.cancel(false);
        energySampling = null;
        RoundEnergyMeter.Round m = roundEnergy;
        roundEnergy = null;
        return m == null ? null : m.finish(trainerCpuSeconds());
    }

    /// The trainer process's CPU time, s: the worker child, or this JVM when it trains in-process;
    /// NaN when the OS does not say.
    private double trainerCpuSeconds() {
        Worker w = worker;
        long pid = w == null ? -1 : w.pid();
        java.util.Optional<ProcessHandle> p = inProcessWorker ? java.util.Optional.of(ProcessHandle.current())
                : pid < 0 ? java.util.Optional.empty() : ProcessHandle.of(pid);
        return p.flatMap(h -> h.info().totalCpuDuration()).map(d -> d.toNanos() / 1e9).orElse(Double.NaN);
    }

    private void trained(RoundStart rs, TrainResult result, Throwable error) {
        fire(error == null ? new SessionMachine.TrainingFinished(rs, result, null)
                : new SessionMachine.TrainingFinished(rs, null, rootMessage(error)));
    }

    /// The round is no longer trained: its energy, and (when it finished) its figures for the snapshot.
    private void roundEnded(TrainResult result) {
        lastRoundEnergy = stopMeteringEnergy();
        if (result == null) return;
        localLoss = result.loss();
        tokensPerSecond = result.computeMillis() > 0 ? result.tokens() * 1000.0 / result.computeMillis() : 0;
    }

    private void upload(RoundStart rs, TrainResult result) {
        UpdateUpload upload = UpdateSignatures.signed(identity, UpdateUpload.newBuilder()
                .setRunId(welcome.getRunId())
                .setRound(rs.getRound())
                .setBaseVersion(rs.getBaseVersion())
                .setPayload(ByteString.copyFrom(result.payload()))
                .setTokens(result.tokens())
                .setLocalLoss(result.loss())
                .setTrainMillis(result.computeMillis())
                .build());
        Envelope env = Envelope.newBuilder().setUpdateUpload(upload).build();
        Duration wait = traffic.upload().acquire(env.getSerializedSize());
        if (!wait.isZero()) {
            log.info("upload waits " + wait.toMillis() + " ms for the upload cap");
            nodeThread.schedule(() -> upload(rs, result, env), wait.toMillis(), TimeUnit.MILLISECONDS);
        } else {
            upload(rs, result, env);
        }
    }

    private void upload(RoundStart rs, TrainResult result, Envelope env) {
        if (!send(env)) {
            log.warn("round " + rs.getRound() + ": not connected; the update is dropped");
            return;
        }
        traffic.daily().record(env.getSerializedSize(), 0);
        RoundEnergy energy = lastRoundEnergy;
        pendingReceipt = new PendingReceipt(rs.getRound(), result, env.getSerializedSize(),
                rs.getSerializedSize() + lastCommitBytes, energy);
        log.info(String.format("round %d: loss %.4f, %d tokens in %.1f s, uploaded %s (compression %.0f×)%s",
                rs.getRound(), result.loss(), result.tokens(), result.computeMillis() / 1000.0,
                humanBytes(env.getSerializedSize()), result.compressionRatio(),
                energy == null ? "" : ", used " + energy.words()));
        fire(new SessionMachine.UploadSent(rs.getRound()));
    }

    /// Records the coordinator's verdict on this node's upload in the history.
    private void record(UpdateReceipt r) {
        PendingReceipt p = pendingReceipt;
        if (p == null || p.round() != r.getRound()) return;
        pendingReceipt = null;
        RoundRecord record = new RoundRecord(welcome.getRunId(), r.getRound(), clock.instant(), p.result().tokens(),
                p.result().computeMillis() / 1000.0, p.bytesUp(), p.bytesDown(), r.getAccepted(),
                r.getAccepted() ? "" : r.getReason(), r.getCredits(), p.result().loss(), p.energy());
        try {
            history.recordRound(record);
        } catch (RuntimeException e) {
            log.error("could not record round " + r.getRound() + " in the history: " + e.getMessage());
        }
        roundRecorded.accept(record);
    }

    /// The run's DCT blocking (what its steps are laid out by), made once per joined run.
    private DemoBlocking blocking() {
        if (blocking == null) blocking = recipe.blocking(layout);
        return blocking;
    }

    /// The machine chose to fetch the round's commit announced by reference (too large for a frame): fetched and
    /// verified ([StoredCommitFetch#fetchCommit]), then handed back as [SessionMachine.LiveCommitFetched].
    private void fetchLiveCommit(dev.hearth.protocol.wire.StoredCommit ref) {
        String source = StoredCommitFetch.source(ref);
        storedCommits.fetchCommit(ref).whenComplete((c, error) -> post(() -> {
            if (error == null) {
                lastCommitBytes = (int) ref.getBytes();
                traffic.daily().record(0, ref.getBytes());
                fire(new SessionMachine.LiveCommitFetched(c));
                return;
            }
            Throwable why = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                    ? error.getCause() : error;
            fire(new SessionMachine.LiveCommitFailed("commit for version " + ref.getVersion() + " from " + source
                    + " is refused: " + why.getMessage()));
        }));
    }

    private void commit(RoundCommit c, int bytes) {
        lastCommitBytes = bytes;
        traffic.daily().record(0, bytes);
        fire(new SessionMachine.CommitReceived(c));
    }

    /// The machine found the commit to be the next version of the model held: apply it and check the checksum.
    private void applyCommit(RoundCommit c) {
        try {
            outer.applyCommit(blocking(), params, c);
        } catch (dev.hearth.engine.demo.MalformedUpdateException | IllegalArgumentException e) {
            params = null;
            version = -1;
            fire(new SessionMachine.CommitUnusable("round " + c.getRound() + " commit unusable (" + e.getMessage() + ")"));
            return;
        }
        version = c.getNewVersion();
        if (!Arrays.equals(ParamsDigest.sha256(params), c.getParamsSha256().toByteArray())) {
            params = null;
            version = -1;
            fire(new SessionMachine.CommitUnusable("model checksum differs from the coordinator's after round " + c.getRound()));
            return;
        }
        forwardCommit(c);
        fire(new SessionMachine.CommitApplied(version));
    }

    /// Sends the verified commit on to the trainer (a few MB through its stdin instead of writing, rewriting and
    /// reading back the whole model each round); it applies the step with the same code and checks the same digest.
    private void forwardCommit(RoundCommit c) {
        Worker w = worker;
        if (w == null) return;
        RunConfig rc = welcome.getConfig();
        trainerControl.execute(() -> workerCommit = w.applyCommit(rc, c));
    }

    /// Waits (trainer-control thread) for the trainer's answer to the last commit, at most
    /// {@link #COMMIT_ANSWER_TIMEOUT}; a refusal was logged by the worker.
    private void awaitWorkerCommit() {
        var f = workerCommit;
        if (f == null) return;
        try {
            f.get(COMMIT_ANSWER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            log.warn("the trainer did not answer the last commit (" + rootMessage(e) + "); writing the parameters file");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /// Writes `params.bin` when it is behind the version in memory, so a restarted node resumes from there (once per
    /// session, not per commit).
    private void saveLocalParams() {
        if (welcome == null || params == null || version < 0 || version == savedVersion) return;
        try {
            Checkpoint.ofParams(model, welcome.getRunId(), version, params).write(paramsFile());
            savedVersion = version;
        } catch (IOException e) {
            log.warn("could not save the model locally: " + e.getMessage());
        }
    }

    private void disconnected(Disconnect d) {
        if (download != null) download.resetRequests();
        dataset.disconnected();
        fire(new SessionMachine.Disconnected(d.reason(), d.reconnectIn()));
    }

    private void pollStatus() {
        if (client != null && client.isConnected()) {
            send(Envelope.newBuilder().setRunStatusRequest(RunStatusRequest.getDefaultInstance()).build());
        }
    }

    private boolean send(Envelope e) {
        HearthClient c = client;
        return c != null && c.send(e);
    }

    // ---- snapshot --------------------------------------------------------------------------------------------

    private void publishSnapshot() {
        Instant now = clock.instant();
        String backend = worker == null ? "" : worker.backendDescription();
        if (!backend.equals(reportedBackend)) reportWireState();
        SessionMachine.View view = machine.view();
        NodeState state = view.state();
        publish.accept(new NodeSnapshot(now, state, view.headline(), view.reason(), welcome == null ? "" : welcome.getRunId(),
                label, machine.round(), state == NodeState.TRAINING ? progress : (state == NodeState.UPLOADING ? 1 : 0),
                state == NodeState.TRAINING || state == NodeState.UPLOADING ? tokensPerSecond : 0, localLoss,
                backend, null, decision.pauseAfterRound()));
    }

    static String humanBytes(long n) {
        return dev.hearth.node.api.Units.bytes(n);
    }

    private static String rootMessage(Throwable t) {
        while (t.getCause() != null) t = t.getCause();
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }
}

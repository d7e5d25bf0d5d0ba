package dev.hearth.node.session;

import com.google.protobuf.ByteString;
import dev.hearth.engine.checkpoint.Checkpoint;
import dev.hearth.engine.checkpoint.ParamsDigest;
import dev.hearth.engine.demo.DemoBlocking;
import dev.hearth.engine.demo.OuterRule;
import dev.hearth.engine.model.ModelConfig;
import dev.hearth.engine.model.ParameterLayout;
import dev.hearth.engine.recipe.RunRecipe;
import dev.hearth.node.MachineProbes;
import dev.hearth.node.Version;
import dev.hearth.node.api.NodeSettings;
import dev.hearth.node.api.NodeSnapshot;
import dev.hearth.node.api.NodeState;
import dev.hearth.node.api.RoundRecord;
import dev.hearth.node.api.RunStatus;
import dev.hearth.node.api.RoundEnergy;
import dev.hearth.node.energy.RoundEnergyMeter;
import dev.hearth.node.history.HistoryStore;
import dev.hearth.node.log.EventLog;
import dev.hearth.node.log.NodeLogger;
import dev.hearth.node.net.DailyVolumeCap;
import dev.hearth.node.net.TokenBucket;
import dev.hearth.node.policy.Decision;
import dev.hearth.node.worker.ChildProcessWorker;
import dev.hearth.node.worker.InProcessWorker;
import dev.hearth.node.worker.TrainJob;
import dev.hearth.node.worker.TrainResult;
import dev.hearth.node.worker.Worker;
import dev.hearth.node.worker.WorkerSpec;
import dev.hearth.protocol.ClientConfig;
import dev.hearth.protocol.ClientListener;
import dev.hearth.protocol.Disconnect;
import dev.hearth.protocol.HearthClient;
import dev.hearth.protocol.NodeIdentity;
import dev.hearth.protocol.RunAddress;
import dev.hearth.protocol.UpdateSignatures;
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
/// ```
///  join ─► CONNECTING ──Welcome──► (version behind?) DOWNLOADING ──verified──► WAITING_FOR_ROUND
///              ▲                                                               │ RoundStart (policy RUN)
///              │ disconnect (backoff)                                          ▼
///              └────────────────────────────── any state            TRAINING ──result──► UPLOADING
///                                                                        │ policy PAUSE     │ receipt
///  PAUSED ◄─── policy PAUSE (worker stopped: residual saved, memory freed)                  ▼
///                                                                        WAITING_FOR_ROUND ◄┘
///  RoundCommit: apply the step (ternary sign, or the mean DCT coefficients); SHA-256 mismatch → DOWNLOADING
/// ```
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
    /// The commits being fetched and applied to catch up (issue 17), or null.
    private dev.hearth.protocol.wire.CommitCatchUp catchingUp;
    /// The newest version a live commit announced while catching up (that commit was not applied).
    private long liveVersionSeen = -1;
    /// A catch-up from commits failed: the next model request asks for the checkpoint (no have_version).
    private boolean checkpointOnly;
    private RoundStart pendingRound;
    private RoundStart trainingRound;
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

    // snapshot fields
    private NodeState state = NodeState.STARTING;
    private String headline = "Starting";
    private String reason = "";
    private double progress;
    private double tokensPerSecond;
    private double localLoss = Double.NaN;
    private long round;

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
        set(NodeState.CONNECTING, "Connecting to the " + label, "");
        client.start();
        statusPoll = nodeThread.scheduleWithFixedDelay(this::pollStatus, RUN_STATUS_PERIOD.toMillis(),
                RUN_STATUS_PERIOD.toMillis(), TimeUnit.MILLISECONDS);
    }

    /// The session cannot work (no local run, bad config): shown as an error state.
    public void fail(String why) {
        set(NodeState.ERROR, "Not contributing", why);
    }

    public boolean training() {
        return trainingRound != null;
    }

    public RunStatus runStatus() {
        return runStatus;
    }

    /// The idle policy's latest decision.
    public void setDecision(Decision next) {
        boolean was = decision.running();
        decision = next;
        reportWireState();
        if (!next.running()) {
            if (trainingRound != null) {
                log.info("stopping round " + trainingRound.getRound() + ": " + next.reason());
                trainingRound = null;
            }
            // Reporting PAUSED gives this node's batches back to the coordinator's pool: a round received before the
            // pause is no longer ours to train (an upload for it would come after the round was closed or reassigned).
            pendingRound = null;
            stopWorker();
            if (state != NodeState.ERROR) set(NodeState.PAUSED, next.reason(), next.reason());
        } else if (!was) {
            if (state == NodeState.PAUSED) {
                set(welcome == null ? NodeState.CONNECTING : NodeState.WAITING_FOR_ROUND,
                        welcome == null ? "Connecting to the " + label : "Waiting for the round to open", "");
            }
            if (pendingRound != null) maybeTrain(pendingRound);
        }
        publishSnapshot();
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
        return switch (state) {
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
        trainingRound = null;
        pendingRound = null;
        download = null;
        catchingUp = null;
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
        if (version != w.getCurrentVersion()) {
            requestCheckpoint();
        } else {
            set(decision.running() ? NodeState.WAITING_FOR_ROUND : NodeState.PAUSED,
                    decision.running() ? "Waiting for the round to open" : decision.reason(), "");
        }
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
            if (pendingRound != null) maybeTrain(pendingRound);
        }

        @Override
        public void shardsReady() {
            if (welcome == null) return;
            if (state == NodeState.DOWNLOADING && download == null && catchingUp == null) {
                set(decision.running() ? NodeState.WAITING_FOR_ROUND : NodeState.PAUSED,
                        decision.running() ? "Waiting for the round to open" : decision.reason(), "");
            }
            if (pendingRound != null) maybeTrain(pendingRound);
        }

        @Override
        public void failed(String why) {
            leave(why);
            fail(why);
        }

        @Override
        public void downloading(double fraction, int shards) {
            if (download == null) {
                set(NodeState.DOWNLOADING, "Downloading the run's training data (" + (int) Math.round(fraction * 100)
                        + "% of " + shards + (shards == 1 ? " shard)" : " shards)"), "");
            }
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

    /// Asks for the run's model: with the version held (a verified copy), so that the coordinator may answer with the
    /// commits since, unless a catch-up from commits failed since the last checkpoint download.
    private void requestCheckpoint() {
        set(NodeState.DOWNLOADING, "Downloading the model", "");
        var request = CheckpointManifestRequest.newBuilder();
        if (params != null && version >= 0 && !checkpointOnly) request.setHaveVersion(version);
        send(Envelope.newBuilder().setCheckpointManifestRequest(request).build());
    }

    /// The coordinator answered with the commits this node missed, in storage: fetch them one after another, each
    /// verified by its SHA-256, and apply each as a live commit is applied ([#applyStoredCommit]).
    private void catchUp(dev.hearth.protocol.wire.CommitCatchUp plan) {
        if (params == null || plan.getFromVersion() != version || plan.getCommitsCount() == 0
                || plan.getCommitsCount() != plan.getToVersion() - plan.getFromVersion()) {
            refuseCatchUp("the coordinator's catch-up from version " + plan.getFromVersion() + " to "
                    + plan.getToVersion() + " with " + plan.getCommitsCount() + " commit(s) does not fit version " + version);
            return;
        }
        catchingUp = plan;
        liveVersionSeen = -1;
        long bytes = plan.getCommitsList().stream().mapToLong(dev.hearth.protocol.wire.StoredCommit::getBytes).sum();
        log.info("catching up from version " + version + " to " + plan.getToVersion() + " with "
                + plan.getCommitsCount() + " commit(s) from storage (" + humanBytes(bytes) + "; the checkpoint is at least "
                + humanBytes(plan.getCheckpointBytes()) + ")");
        set(NodeState.DOWNLOADING, "Catching up with the run (" + plan.getCommitsCount() + " rounds)", "");
        fetchStoredCommit(plan, 0);
    }

    private void fetchStoredCommit(dev.hearth.protocol.wire.CommitCatchUp plan, int index) {
        var ref = plan.getCommits(index);
        if (ref.getVersion() != version + 1 || ref.getBytes() < 1
                || ref.getBytes() > dev.hearth.protocol.ProtocolLimits.MAX_ROUND_COMMIT_FRAME_BYTES) {
            refuseCatchUp("stored commit " + index + " is for version " + ref.getVersion() + " of " + ref.getBytes()
                    + " bytes; version " + (version + 1) + " of at most "
                    + dev.hearth.protocol.ProtocolLimits.MAX_ROUND_COMMIT_FRAME_BYTES + " bytes was expected");
            return;
        }
        Runnable fetch = () -> storage.range(ref.getUrl(), 0, (int) ref.getBytes(), ref.getBytes())
                .whenComplete((bytes, error) -> post(() -> {
                    if (catchingUp != plan) return; // superseded (left, disconnected)
                    if (error != null) {
                        Throwable why = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                                ? error.getCause() : error;
                        refuseCatchUp("commit for version " + ref.getVersion() + " could not be fetched from storage: "
                                + why.getMessage());
                        return;
                    }
                    traffic.daily().record(0, bytes.length);
                    if (!Arrays.equals(dev.hearth.protocol.Fingerprints.sha256(bytes), ref.getSha256().toByteArray())) {
                        refuseCatchUp("commit for version " + ref.getVersion() + " from storage is refused: its "
                                + bytes.length + " bytes do not match its SHA-256");
                        return;
                    }
                    String problem = applyStoredCommit(ref.getVersion(), bytes);
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
    private String applyStoredCommit(long expectedVersion, byte[] bytes) {
        RoundCommit c;
        try {
            c = RoundCommit.parseFrom(bytes);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            return "commit for version " + expectedVersion + " from storage does not decode: " + e.getMessage();
        }
        if (c.getNewVersion() != expectedVersion) {
            return "commit from storage says version " + c.getNewVersion() + ", " + expectedVersion + " was expected";
        }
        try {
            outer.applyCommit(blocking(), params, c);
        } catch (dev.hearth.engine.demo.MalformedUpdateException | IllegalArgumentException e) {
            params = null;
            version = -1;
            return "commit for version " + expectedVersion + " from storage is unusable: " + e.getMessage();
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
        catchingUp = null;
        try {
            Checkpoint.ofParams(model, welcome.getRunId(), version, params).write(paramsFile());
        } catch (IOException e) {
            log.warn("could not save the model locally: " + e.getMessage());
        }
        log.info("caught up to version " + version + " from " + plan.getCommitsCount() + " commit(s); model SHA-256 "
                + dev.hearth.protocol.Fingerprints.hex(ParamsDigest.sha256(params)));
        if (liveVersionSeen > version) {
            requestCheckpoint(); // the run moved on meanwhile: catch up the rest
            return;
        }
        set(decision.running() ? NodeState.WAITING_FOR_ROUND : NodeState.PAUSED,
                decision.running() ? "Waiting for the round to open" : decision.reason(), "");
        if (pendingRound != null) maybeTrain(pendingRound);
    }

    /// A catch-up from commits failed: say why and fetch the checkpoint instead.
    private void refuseCatchUp(String why) {
        catchingUp = null;
        checkpointOnly = true;
        log.warn(why + "; downloading the checkpoint instead");
        requestCheckpoint();
    }

    private void message(Envelope e) {
        switch (e.getPayloadCase()) {
            case CHECKPOINT_MANIFEST -> manifest(e.getCheckpointManifest());
            case CHUNK -> chunk(e.getChunk());
            case COMMIT_CATCH_UP -> catchUp(e.getCommitCatchUp());
            case DATASET_MANIFEST -> dataset.onManifest(e.getDatasetManifest());
            case SHARD_CHUNK -> {
                traffic.daily().record(0, e.getSerializedSize());
                dataset.onChunk(e.getShardChunk());
            }
            case ROUND_START -> roundStart(e.getRoundStart());
            case UPDATE_RECEIPT -> receipt(e.getUpdateReceipt());
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
        set(NodeState.DOWNLOADING, "Downloading the model (" + (int) Math.round(download.progress() * 100) + "%)", "");
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
            checkpointOnly = false;
            Checkpoint.ofParams(model, welcome.getRunId(), version, params).write(paramsFile());
            savedVersion = version;
            log.info("model version " + version + " downloaded and verified");
        } catch (IOException ex) {
            log.warn(ex.getMessage());
            requestCheckpoint();
            return;
        }
        set(decision.running() ? NodeState.WAITING_FOR_ROUND : NodeState.PAUSED,
                decision.running() ? "Waiting for the round to open" : decision.reason(), "");
        if (pendingRound != null) maybeTrain(pendingRound);
    }

    private void roundStart(RoundStart rs) {
        round = rs.getRound();
        if (!decision.running()) {
            // Opened before the coordinator heard this node pause: hearing it, the coordinator gives the batches back
            // to its pool, so an upload for this round would be refused. The next round is ours once we run again.
            log.info("round " + rs.getRound() + " opened while paused; leaving it to the others");
            pendingRound = null;
            return;
        }
        pendingRound = rs;
        maybeTrain(rs);
    }

    private void maybeTrain(RoundStart rs) {
        if (!decision.running() || trainingRound != null || worker == null) return;
        if (welcome == null) return;
        ensureWorker(); // the owner may have changed the device since the welcome
        if (clock.millis() >= rs.getDeadlineUnixMillis()) {
            log.info("round " + rs.getRound() + " closed before it could start here");
            pendingRound = null;
            return;
        }
        if (version != rs.getBaseVersion()) {
            if (download == null && catchingUp == null) {
                log.info("round " + rs.getRound() + " needs model version " + rs.getBaseVersion() + "; have " + version);
                requestCheckpoint();
            }
            return;
        }
        long[] ids = rs.getBatchIdsList().stream().mapToLong(Long::longValue).toArray();
        if (!dataset.ensure(ids, model.context())) return; // fetching the shards these batches read (or failed)
        pendingRound = null;
        trainingRound = rs;
        stoppingWorker = null; // the worker trains again: a later pause must stop it again
        progress = 0;
        set(NodeState.TRAINING, "Training round " + rs.getRound(), "");
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
                    if (trainingRound == rs) {
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
            if (trainingRound == rs && m != null) m.sample(probes.hardware());
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
        if (trainingRound != rs) return; // paused or superseded meanwhile
        trainingRound = null;
        lastRoundEnergy = stopMeteringEnergy();
        if (error != null) {
            log.warn("round " + rs.getRound() + " failed in the trainer: " + rootMessage(error));
            set(decision.running() ? NodeState.WAITING_FOR_ROUND : NodeState.PAUSED,
                    decision.running() ? "Waiting for the round to open" : decision.reason(), "");
            return;
        }
        localLoss = result.loss();
        tokensPerSecond = result.computeMillis() > 0 ? result.tokens() * 1000.0 / result.computeMillis() : 0;
        if (clock.millis() > rs.getDeadlineUnixMillis()) {
            log.info("round " + rs.getRound() + " finished after its deadline; uploading anyway (the coordinator decides)");
        }
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
        set(NodeState.UPLOADING, "Uploading " + humanBytes(result.payload().length), "");
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
    }

    private void receipt(UpdateReceipt r) {
        PendingReceipt p = pendingReceipt;
        if (p == null || p.round() != r.getRound()) return;
        pendingReceipt = null;
        if (!r.getAccepted()) log.warn("round " + r.getRound() + " update rejected: " + r.getReason());
        RoundRecord record = new RoundRecord(welcome.getRunId(), r.getRound(), clock.instant(), p.result().tokens(),
                p.result().computeMillis() / 1000.0, p.bytesUp(), p.bytesDown(), r.getAccepted(),
                r.getAccepted() ? "" : r.getReason(), r.getCredits(), p.result().loss(), p.energy());
        try {
            history.recordRound(record);
        } catch (RuntimeException e) {
            log.error("could not record round " + r.getRound() + " in the history: " + e.getMessage());
        }
        if (state == NodeState.UPLOADING) {
            set(decision.running() ? NodeState.WAITING_FOR_ROUND : NodeState.PAUSED,
                    decision.running() ? "Waiting for the round to open" : decision.reason(), "");
        }
        roundRecorded.accept(record);
    }

    /// The run's DCT blocking (what its steps are laid out by), made once per joined run.
    private DemoBlocking blocking() {
        if (blocking == null) blocking = recipe.blocking(layout);
        return blocking;
    }

    private void commit(RoundCommit c, int bytes) {
        lastCommitBytes = bytes;
        traffic.daily().record(0, bytes);
        if (catchingUp != null) {
            liveVersionSeen = Math.max(liveVersionSeen, c.getNewVersion()); // applied after the catch-up, or fetched
            return;
        }
        if (params == null || version != c.getNewVersion() - 1) {
            if (download == null && version < c.getNewVersion() && welcome != null) {
                log.info("behind the run (have version " + version + ", run is at " + c.getNewVersion() + ")");
                requestCheckpoint();
            }
            return;
        }
        try {
            outer.applyCommit(blocking(), params, c);
        } catch (dev.hearth.engine.demo.MalformedUpdateException | IllegalArgumentException e) {
            log.warn("round " + c.getRound() + " commit unusable (" + e.getMessage() + "); downloading the model");
            params = null;
            version = -1;
            requestCheckpoint();
            return;
        }
        version = c.getNewVersion();
        if (!Arrays.equals(ParamsDigest.sha256(params), c.getParamsSha256().toByteArray())) {
            log.warn("model checksum differs from the coordinator's after round " + c.getRound() + "; downloading it again");
            params = null;
            version = -1;
            requestCheckpoint();
            return;
        }
        forwardCommit(c);
        if (pendingRound != null) maybeTrain(pendingRound);
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
        trainingRound = null;
        pendingRound = null;
        if (download != null) download.resetRequests();
        catchingUp = null; // asked again after the next welcome (the fetch in flight is dropped)
        dataset.disconnected();
        if (d.reconnectIn().isEmpty()) {
            fail(d.reason());
        } else if (decision.running() || state != NodeState.PAUSED) {
            // one sentence where the owner looks ("connection refused; retrying in 5 s"); the whole reason is logged
            log.debug("disconnected: " + d.reason());
            set(NodeState.CONNECTING, "Connecting to the " + label, RunProbe.cause(d.reason()) + "; retrying in "
                    + Math.max(1, d.reconnectIn().get().toSeconds()) + " s");
        }
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

    private void set(NodeState s, String headline, String reason) {
        this.state = s;
        this.headline = headline;
        this.reason = reason;
        reportWireState();
        publishSnapshot();
    }

    private void publishSnapshot() {
        Instant now = clock.instant();
        String backend = worker == null ? "" : worker.backendDescription();
        if (!backend.equals(reportedBackend)) reportWireState();
        publish.accept(new NodeSnapshot(now, state, headline, reason, welcome == null ? "" : welcome.getRunId(), label,
                round, state == NodeState.TRAINING ? progress : (state == NodeState.UPLOADING ? 1 : 0),
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

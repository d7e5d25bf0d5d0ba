package dev.hearth.coordinator.service;

import com.google.protobuf.ByteString;
import dev.hearth.coordinator.config.ConfigException;
import dev.hearth.coordinator.config.RunConfig;
import dev.hearth.coordinator.dashboard.DashboardServer;
import dev.hearth.coordinator.health.ModelHealth;
import dev.hearth.coordinator.health.UnhealthyStepException;
import dev.hearth.coordinator.health.ValidationWatch;
import dev.hearth.coordinator.ledger.Ledger;
import dev.hearth.coordinator.ledger.RoundStats;
import dev.hearth.coordinator.run.RunAction;
import dev.hearth.coordinator.run.RunPhase;
import dev.hearth.coordinator.run.Verdict;
import dev.hearth.coordinator.storage.CommitLog;
import dev.hearth.coordinator.validation.SpotCheckPolicy;
import dev.hearth.coordinator.validation.UpdateAgreement;
import dev.hearth.coordinator.validation.UpdateView;
import dev.hearth.engine.backend.BackendSelector;
import dev.hearth.engine.data.Corpus;
import dev.hearth.engine.demo.DemoBlocking;
import dev.hearth.engine.demo.DemoConfig;
import dev.hearth.engine.demo.MalformedUpdateException;
import dev.hearth.engine.demo.OuterRule;
import dev.hearth.engine.demo.RobustMode;
import dev.hearth.engine.demo.RoundAggregation;
import dev.hearth.engine.demo.SparseUpdate;
import dev.hearth.engine.demo.UpdateCodec;
import dev.hearth.engine.recipe.RunRecipe;
import dev.hearth.engine.model.GptInit;
import dev.hearth.engine.model.ParameterLayout;
import dev.hearth.engine.model.TrainingBackend;
import dev.hearth.protocol.CheckpointManifests;
import dev.hearth.protocol.ProtocolLimits;
import dev.hearth.protocol.Envelopes;
import dev.hearth.protocol.RunAddress;
import dev.hearth.protocol.framing.EncodedFrame;
import dev.hearth.protocol.identity.UpdateSignatures;
import dev.hearth.protocol.server.HearthServer;
import dev.hearth.protocol.server.Peer;
import dev.hearth.protocol.server.PeerHandler;
import dev.hearth.protocol.server.ServerConfig;
import dev.hearth.protocol.tls.CoordinatorCertificate;
import dev.hearth.protocol.wire.Chunk;
import dev.hearth.protocol.wire.ChunkRequest;
import dev.hearth.protocol.wire.Envelope;
import dev.hearth.protocol.wire.Hello;
import dev.hearth.protocol.wire.NodeState;
import dev.hearth.protocol.wire.RoundStart;
import dev.hearth.protocol.wire.UpdateReceipt;
import dev.hearth.protocol.wire.UpdateUpload;
import dev.hearth.protocol.wire.Welcome;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/// The coordinator's I/O layer: Netty peers in, {@link RunService} (state machine + ledger + checkpoints +
/// validation) decisions out, with decoding, aggregation, the outer step and validation loss around it.
///
/// Threads: Netty event loops only post; run state changes on `hearth-run` (one thread, so the run needs no
/// locks and SQLite writes never block an event loop); aggregation, spot checks and validation loss run on
/// `hearth-aggregate` and post their result back.
public final class CoordinatorService implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CoordinatorService.class);

    /// Mean training losses kept for status replies.
    static final int LOSS_HISTORY = 1_000;
    /// The run state machine's tick: rounds react to uploads within 100 ms.
    static final Duration TICK = Duration.ofMillis(100);
    /// Validation windows: 32 × 128 tokens is a stable estimate in about a second on `nano`.
    static final int VALIDATION_WINDOWS = 32;
    /// Windows per validation forward pass (bounds activation memory).
    static final int VALIDATION_BATCH = 8;
    /// The health probe's windows: the first 8 of the validation windows (one forward pass, ¼ of the full
    /// validation loss), scored on every candidate version before it is published, whatever `loss_every_rounds`
    /// says. Always the same windows, so consecutive versions are compared on the same text; a model-breaking step
    /// moves the loss by a factor (about 10× for a 20 × ‖θ‖ update), far beyond what 8 windows' noise could hide.
    /// Its cost is in docs/reliability.md ("The model's health").
    public static final int PROBE_WINDOWS = 8;

    private final RunConfig config;
    private final Clock clock;
    private final ParameterLayout layout;
    private final DemoConfig demo;
    private final DemoBlocking blocking;
    /// The run's outer step: what is aggregated, how it is encoded and applied, which rate the commit carries.
    private final OuterRule outer;
    /// The round's aggregation: spot checks, the rule's step, the new parameters and their SHA-256.
    private final RoundAggregation aggregation;
    /// Largest outer step a RoundCommit may carry: its frame cap less 64 KiB for the other fields and framing.
    static final long MAX_STEP_BYTES = ProtocolLimits.MAX_ROUND_COMMIT_FRAME_BYTES - 64 * 1024;
    /// Largest outer step a commit in storage may carry (a larger round's commit is announced as `live_commit`).
    static final long MAX_STORED_STEP_BYTES = ProtocolLimits.MAX_STORED_COMMIT_BYTES - 64 * 1024;
    /// A RoundCommit frame larger than this (kind tag + body) is not broadcast: the commit goes to storage and nodes
    /// are handed it by reference. Tests lower it to send every commit that way.
    private final long inlineCommitLimit;
    /// run thread: the round's commit is being written to storage to be announced; no round opens meanwhile (its
    /// nodes would not hold its base version).
    private boolean announcing;
    private final RobustMode robust;
    private final Corpus corpus;
    /// The run's recipe with its data's identity, as `Welcome.config` carries it (made once: it does not change).
    private final dev.hearth.protocol.wire.RunConfig wireRecipe;
    private final ServedDataset dataset;
    /// `[storage] kind = "s3"`: where checkpoints go for nodes to fetch; null = this process serves them.
    private final dev.hearth.coordinator.storage.S3ObjectStore objects;
    /// Checkpoint bytes this process sent in `Chunk`s (with object storage: only when a node fell back to it).
    private final java.util.concurrent.atomic.AtomicLong checkpointBytesServed = new java.util.concurrent.atomic.AtomicLong();
    /// Stored commit bytes this process sent in `CommitChunk`s (a catch-up on `local` storage).
    private final java.util.concurrent.atomic.AtomicLong commitBytesServed = new java.util.concurrent.atomic.AtomicLong();
    private long uploadedVersion = -1; // run thread: the checkpoint version now in the bucket
    /// run thread: the checkpoint version being written to the bucket (-1: none), and who waits for its manifest
    private long uploadingVersion = -1;
    private final List<Peer> awaitingCheckpoint = new ArrayList<>();
    /// Checkpoints and commits go to storage on this writer's thread, in order, never on the run thread.
    private final dev.hearth.coordinator.storage.StorageWriter writer = new dev.hearth.coordinator.storage.StorageWriter();
    /// Every round's commit, in the bucket or under the data dir; nodes behind catch up from it.
    private final dev.hearth.coordinator.storage.CommitLog commits;
    private final TrainingBackend evaluator;
    private final RunService run;
    private final ScheduledExecutorService runThread;
    private final ExecutorService computeThread;
    private final HearthServer server;
    private final DashboardServer dashboard;
    private final Map<String, Peer> peers = new ConcurrentHashMap<>();
    /// What each connected node said it trains on (Hello, then Heartbeat); read by the dashboard's thread.
    private final Map<String, String> backends = new ConcurrentHashMap<>();
    private final List<Consumer<CommitEvent>> commitListeners = new CopyOnWriteArrayList<>();
    private final RunStats stats = new RunStats(LOSS_HISTORY);
    private final TextSampler sampler;
    /// The spot-check sampler's seed, from the coordinator's secret (never the run's public seed, which every node
    /// gets as `data_seed`): see [CoordinatorSecret].
    private final long spotCheckSeed;
    /// Validation losses of the recent published versions (run thread): a candidate far above them is not published.
    private final ValidationWatch validationWatch;
    /// Health-probe losses ([#PROBE_WINDOWS]) of the recent published versions (run thread): every candidate is
    /// probed, and one far above them (or above the ceiling) is not published.
    private final ValidationWatch probeWatch;
    /// run thread: the health-probe loss of the version the run is at (every published version passed the probe)
    private double publishedProbeLoss;

    // run thread only
    private final Set<String> ready = new HashSet<>();
    private OpenRound open;
    private ServedCheckpoint served;
    private boolean aggregating;
    private volatile RunPhase phase = RunPhase.WAITING_FOR_NODES;
    private volatile boolean finished;
    private volatile boolean closing;

    /// A round as the I/O layer sees it: what was sent and the traffic it drew. Who uploaded is the state machine's
    /// (its `Aggregate` action carries the accepted uploads, decoded).
    private static final class OpenRound {
        final RunAction.OpenRound action;
        /// the rate the commit applies its step with (RoundCommit.lr, {@link OuterRule#commitLr})
        final float stepLr;
        /// the accepted uploads, from the state machine's `Aggregate` (empty until then)
        List<RunAction.AcceptedUpload> uploads = List.of();
        int rejected;
        long bytesIn;
        /// node → why the norm bound dropped its update (struck with the round's health strikes)
        Map<String, String> normDropped = Map.of();
        /// the probe watch as it was when the round was handed to aggregation (a copy: the aggregation thread
        /// judges the candidate with it)
        ValidationWatch probe;
        /// node → why the agreement screen dropped its update ([UpdateAgreement#screen]; struck like the norm
        /// drops). Written by the aggregation thread before it hands the round back to the run thread.
        volatile Map<String, String> disagreeing = Map.of();

        OpenRound(RunAction.OpenRound action, float stepLr) {
            this.action = action;
            this.stepLr = stepLr;
        }
    }

    /// Published after every commit (tests and the CLI listen).
    ///
    /// @param probeLoss the new version's health-probe loss ([#PROBE_WINDOWS] validation windows)
    public record CommitEvent(long round, long version, int updates, long tokens, double meanLoss, double valLoss,
                              long bytesIn, long bytesOut, double probeLoss) {}

    private CoordinatorService(RunConfig rc, Clock clock, long inlineCommitLimit) throws IOException {
        this.config = rc;
        this.clock = clock;
        RunRecipe recipe = rc.recipe();
        this.layout = ParameterLayout.gpt(recipe.model());
        this.demo = recipe.demo();
        this.blocking = recipe.blocking(layout);
        this.outer = recipe.outer();
        this.inlineCommitLimit = inlineCommitLimit;
        long worstCommit = worstCommitBytes(recipe, outer, blocking);
        if (worstCommit > MAX_STEP_BYTES) {
            LOG.info("a round's commit can take {} bytes, more than a RoundCommit frame carries ({}): such a commit goes"
                    + " to storage and nodes are handed it by reference", worstCommit, MAX_STEP_BYTES);
        }
        this.robust = recipe.robust().mode();
        this.aggregation = new RoundAggregation(outer, blocking, robust);
        Files.createDirectories(rc.dataDir());
        this.spotCheckSeed = CoordinatorSecret.loadOrCreate(rc.dataDir()).spotCheckSeed(rc.runId());
        this.corpus = rc.bundledCorpus()
                ? Corpus.bundled(rc.dataDir().resolve("corpus"))
                : Corpus.fromTextFiles(List.of(Path.of(rc.corpus())), rc.dataDir().resolve("corpus"),
                        rc.storage().shardTokens());
        this.dataset = ServedDataset.of(corpus);
        this.wireRecipe = recipe.withData(new RunRecipe.DataIdentity(corpus.id(),
                com.google.protobuf.ByteString.copyFrom(dataset.manifestSha256()))).toWire();
        this.objects = rc.storage().objects() == null ? null
                : dev.hearth.coordinator.storage.S3ObjectStore.open(rc.storage().objects());
        if (objects != null) {
            long t0 = System.nanoTime();
            int written = dataset.publish(objects);
            LOG.info("run's data in storage: {} shard(s) written, {} already there ({} ms)", written,
                    dataset.shardCount() - written, (System.nanoTime() - t0) / 1_000_000);
        }
        this.commits = new dev.hearth.coordinator.storage.CommitLog(rc.dataDir(), objects);
        long trainWindows = corpus.trainWindows(recipe.model().context());
        this.evaluator = BackendSelector.select(recipe.model()).backend();
        this.sampler = new TextSampler(evaluator, recipe.model());
        this.run = RunService.open(rc, trainWindows, () -> GptInit.init(recipe.model(), recipe.dataSeed()),
                clock.instant());
        run.startupNotes().forEach(n -> LOG.info("{}", n));
        rebuildCommitIndex();
        stats.restore(run.ledger().recentRounds(LOSS_HISTORY)); // a restarted run keeps its curves
        double lossCeiling = ValidationWatch.ceilingFor(recipe.model().vocab());
        this.validationWatch = new ValidationWatch("validation loss", lossCeiling);
        run.ledger().recentRounds(LOSS_HISTORY).stream() // oldest first
                .filter(row -> "COMMITTED".equals(row.status())).forEach(row -> validationWatch.published(row.valLoss()));
        // The probe's history starts at the version the run is at (probe losses are not stored; after a restart
        // the jump rule waits for MIN_HISTORY probes again, the ceiling holds at once).
        this.probeWatch = new ValidationWatch("health-probe loss", lossCeiling, ValidationWatch.PROBE_JUMP_FACTOR);
        this.runThread = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "hearth-run"));
        this.computeThread = Executors.newSingleThreadExecutor(r -> daemon(r, "hearth-aggregate"));
        float[] current = run.params();
        try { // on the thread that evaluates every later probe
            this.publishedProbeLoss = computeThread.submit(() -> probeLoss(current)).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while probing version " + run.version(), e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("the health probe of version " + run.version() + " failed", e.getCause());
        }
        probeWatch.published(publishedProbeLoss);
        LOG.info(String.format(java.util.Locale.ROOT, "version %d's health-probe loss: %.4f (%d validation windows)",
                run.version(), publishedProbeLoss, PROBE_WINDOWS));
        InetAddress bind = InetAddress.getByName(rc.bind());
        CoordinatorCertificate cert = CoordinatorCertificate.loadOrCreate(rc.tlsDir());
        this.server = HearthServer.start(ServerConfig.loopback(rc.port(), cert).withBindAddress(bind), new Handler());
        this.dashboard = DashboardServer.start(rc.bind(), rc.httpPort(), run.dashboardSource(clock), stats::sample,
                this::devices);
        runThread.scheduleWithFixedDelay(this::tick, 0, TICK.toMillis(), TimeUnit.MILLISECONDS);
        LOG.info("run {} serving at {} (model {}, {} training windows, version {}; data: corpus {} in {} shards, manifest {})",
                rc.runId(), address(), recipe.model().name(), trainWindows, run.version(), corpus.id(), dataset.shardCount(),
                dev.hearth.protocol.Fingerprints.hex(dataset.manifestSha256()).substring(0, 16));
    }

    /// A restarted coordinator finds the commits of the versions before its restart in storage again, so a node behind
    /// it still catches up from them (the index would otherwise start empty and every such node fetch the checkpoint).
    private void rebuildCommitIndex() {
        if (run.version() < 1) return;
        long t0 = System.nanoTime();
        try {
            long checkpointBytes = (long) Float.BYTES * run.params().length;
            var rebuilt = commits.rebuild(run.version(), checkpointBytes,
                    run.ledger().committedRoundsFrom(Math.max(1, run.version() - CommitLog.MAX_CATCH_UP_COMMITS)));
            if (rebuilt.commits() == 0) {
                LOG.info("no commit of version {} in storage: a node behind it fetches the checkpoint", run.version());
            } else {
                LOG.info("commits of versions {} to {} found in storage for catch-up ({} KiB read in {} ms)",
                        rebuilt.fromVersion(), run.version(), rebuilt.bytesRead() / 1024,
                        (System.nanoTime() - t0) / 1_000_000);
            }
        } catch (RuntimeException e) {
            LOG.warn("the stored commits could not be read back ({}); nodes behind version {} fetch the checkpoint",
                    e.getMessage(), run.version());
        }
    }

    /// The largest step a round of this run can commit (its rule's worst case), checked against what a commit in
    /// storage may carry; a step over a RoundCommit frame's [#MAX_STEP_BYTES] is handed out by reference.
    ///
    /// @throws ConfigException when even storage's cap is exceeded (before anything is written)
    static long worstCommitBytes(RunRecipe recipe, OuterRule outer, DemoBlocking blocking) {
        long worstCommit = outer.maxStepBytes(blocking);
        if (worstCommit > MAX_STORED_STEP_BYTES) {
            throw new ConfigException("model " + recipe.model().name() + " with demo.block " + recipe.demo().blockSize()
                    + ": a round's"
                    + " step can take " + worstCommit + " bytes (the " + outer.name() + " outer step), more"
                    + " than the " + MAX_STORED_STEP_BYTES + " a commit in storage may carry; use a smaller model (its "
                    + blocking.layout().size() + " parameters)");
        }
        return worstCommit;
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /// Starts a coordinator: opens (or resumes) the run in `config.dataDir()` and starts serving.
    public static CoordinatorService start(RunConfig config, Clock clock) {
        return start(config, clock, ProtocolLimits.MAX_ROUND_COMMIT_FRAME_BYTES);
    }

    /// The same, with every RoundCommit frame over `inlineCommitLimit` bytes announced by reference instead (tests).
    static CoordinatorService start(RunConfig config, Clock clock, long inlineCommitLimit) {
        try {
            return new CoordinatorService(config, clock, inlineCommitLimit);
        } catch (IOException e) {
            throw new UncheckedIOException("the coordinator could not open " + config.dataDir() + ": " + e.getMessage(), e);
        }
    }

    /// Open node connections right now (the server's count, authenticated or not).
    public int connectionCount() {
        return server.connectionCount();
    }

    public RunAddress address() {
        return server.runAddress(advertisedHost());
    }

    /// The dashboard's address.
    public String dashboardUrl() {
        return "http://" + advertisedHost() + ":" + dashboard.port() + "/";
    }

    /// Where the node protocol listens (its bound address and port).
    public java.net.InetSocketAddress nodeListenAddress() {
        return server.localAddress();
    }

    /// Where the dashboard listens (its bound address and port).
    public java.net.InetSocketAddress dashboardListenAddress() {
        return dashboard.localAddress();
    }

    private String advertisedHost() {
        return "0.0.0.0".equals(config.bind()) || "::".equals(config.bind()) ? "127.0.0.1" : config.bind();
    }

    public RunConfig config() {
        return config;
    }

    /// The run's corpus as this coordinator reads it (what it publishes to nodes).
    public Corpus corpus() {
        return corpus;
    }

    public Ledger ledger() {
        return run.ledger();
    }

    public RunStats stats() {
        return stats;
    }

    public boolean finished() {
        return finished;
    }

    public RunPhase phase() {
        return phase;
    }

    public void onCommit(Consumer<CommitEvent> listener) {
        commitListeners.add(listener);
    }

    // ---- peers (event loop → run thread) ---------------------------------------------------------------------

    private final class Handler implements PeerHandler {
        @Override
        public void onAuthenticated(Peer peer, Hello hello) {
            onRunThread(() -> authenticated(peer, hello));
        }

        @Override
        public void onMessage(Peer peer, Envelope envelope) {
            Instant at = clock.instant();
            onRunThread(() -> message(peer, envelope, at));
        }

        @Override
        public void onClosed(Peer peer, String reason) {
            onRunThread(() -> closed(peer, reason));
        }
    }

    private void authenticated(Peer peer, Hello hello) {
        RunService.Admission admission = run.admit(peer.nodeId(), peer.publicKey(), clock.instant());
        if (!admission.admitted()) {
            peer.reject("Run " + config.runId() + " does not accept this node: " + admission.reason(), 0);
            return;
        }
        Peer previous = peers.put(peer.nodeId(), peer);
        if (previous != null && previous != peer) previous.close("replaced by a new connection of the same node");
        peer.send(Envelope.newBuilder().setWelcome(Welcome.newBuilder()
                .setRunId(config.runId())
                .setNodeId(peer.nodeId())
                .setConfig(wireRecipe)
                .setCurrentVersion(run.version())
                .setCurrentRound(run.ledger().position().lastRound())).build());
        NodeText.NodeDescription said = NodeText.NodeDescription.of(hello); // node text: only ever logged cleaned
        LOG.info("node {} joined (Hearth {}, {} on {}, {} nodes online)", shortId(peer.nodeId()), said.clientVersion(),
                said.backend(), said.device(), peers.size());
        if (!said.backend().isEmpty()) backends.put(peer.nodeId(), said.backend());
    }

    private void message(Peer peer, Envelope e, Instant at) {
        if (peers.get(peer.nodeId()) != peer) return; // a replaced connection
        switch (e.getPayloadCase()) {
            case HEARTBEAT -> {
                heartbeat(peer, e.getHeartbeat().getState());
                backend(peer, e.getHeartbeat().getBackend());
            }
            case CHECKPOINT_MANIFEST_REQUEST -> catchUp(peer, e.getCheckpointManifestRequest());
            case CHUNK_REQUEST -> chunk(peer, e.getChunkRequest());
            case COMMIT_CHUNK_REQUEST -> commitChunk(peer, e.getCommitChunkRequest());
            case DATASET_MANIFEST_REQUEST -> peer.send(Envelope.newBuilder().setDatasetManifest(dataset.manifest()).build());
            case SHARD_CHUNK_REQUEST -> peer.send(Envelope.newBuilder().setShardChunk(dataset.chunk(e.getShardChunkRequest()))
                    .build());
            case UPDATE_UPLOAD -> upload(peer, e.getUpdateUpload(), e.getSerializedSize(), at);
            case RUN_STATUS_REQUEST -> peer.send(Envelope.newBuilder().setRunStatus(
                    stats.toWire(config.runId(), run.ledger().position().lastRound(), peers.size(),
                            run.ledger().leaderboard(100))).build());
            case LEAVE -> peer.close("left: " + NodeText.clean(e.getLeave().getReason(), NodeText.MAX_REASON_CHARS));
            default -> LOG.debug("node {} sent {}: ignored", shortId(peer.nodeId()), e.getPayloadCase());
        }
    }

    private void heartbeat(Peer peer, NodeState state) {
        String id = peer.nodeId();
        run.ledger().nodeActive(id, clock.instant()); // buffered: one batched write per ~2 s for all nodes
        boolean wantsWork = state != NodeState.PAUSED && state != NodeState.FETCHING;
        if (wantsWork && ready.add(id)) {
            run.nodeReady(id, peer.hello().getTokensPerSecond(), clock.instant());
        } else if (state == NodeState.PAUSED && ready.remove(id)) {
            var withdrawn = run.nodeLeft(id, clock.instant());
            LOG.info("node {} paused; its batches went back to the pool", shortId(id));
            // its RoundStart may have crossed this heartbeat (the node runs again already): tell it the round is gone
            withdrawn.ifPresent(round -> peer.send(Envelopes.of(dev.hearth.protocol.wire.RoundWithdrawn.newBuilder()
                    .setRound(round).setReason("the node reported PAUSED; its batches of round " + round
                            + " went back to the pool").build())));
        }
    }

    /// A node says where it trains (its trainer chose, or left the GPU after running out of memory).
    private void backend(Peer peer, String said) {
        String backend = NodeText.clean(said, NodeText.MAX_BACKEND_CHARS); // node text: only ever kept cleaned
        if (backend.isEmpty()) return;
        String before = backends.put(peer.nodeId(), backend);
        if (!backend.equals(before)) LOG.info("node {} trains: {}", shortId(peer.nodeId()), backend);
    }

    /// Each connected node and what it trains on, for the dashboard: `3f2a9c1b: training on … at micro-batch 8: …`.
    List<String> devices() {
        return backends.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .map(en -> shortId(en.getKey()) + ": " + en.getValue()).toList();
    }

    private void closed(Peer peer, String reason) {
        if (!peers.remove(peer.nodeId(), peer)) return;
        backends.remove(peer.nodeId());
        ready.remove(peer.nodeId());
        run.nodeLeft(peer.nodeId(), clock.instant());
        LOG.info("node {} left ({})", shortId(peer.nodeId()), reason);
    }

    /// A node asks for the model: the commits it missed when it holds a version and they are fewer bytes than the
    /// checkpoint's parameters (4 bytes each, the checkpoint's lower bound), else the checkpoint's manifest.
    private void catchUp(Peer peer, dev.hearth.protocol.wire.CheckpointManifestRequest r) {
        if (r.hasHaveVersion() && r.getHaveVersion() < run.version()) {
            long checkpointBytes = (long) Float.BYTES * run.params().length;
            var plan = commits.plan(r.getHaveVersion(), run.version(), checkpointBytes);
            if (plan.isPresent()) {
                long bytes = plan.get().getCommitsList().stream().mapToLong(c -> c.getBytes()).sum();
                LOG.info("node {} catches up from version {} to {} from {} commit(s) in storage ({} KiB; the checkpoint"
                                + " is at least {} KiB)", shortId(peer.nodeId()), r.getHaveVersion(), run.version(),
                        plan.get().getCommitsCount(), bytes / 1024, checkpointBytes / 1024);
                peer.send(Envelope.newBuilder().setCommitCatchUp(plan.get()).build());
                return;
            }
        }
        sendCheckpointManifest(peer);
    }

    /// The stored commits (tests read and alter their objects).
    dev.hearth.coordinator.storage.CommitLog commits() {
        return commits;
    }

    /// SHA-256 of the run's current parameters (what a RoundCommit's params_sha256 says).
    byte[] paramsSha256() {
        return dev.hearth.engine.checkpoint.ParamsDigest.sha256(run.params());
    }

    /// Sends the current checkpoint's manifest. With object storage it carries a presigned URL of the same bytes in
    /// the bucket (written once per version), so nodes fetch them there and this process sends none; the first
    /// request of a version has the checkpoint written on the storage writer's thread and is answered when it is in
    /// the bucket (with every request that came meanwhile), or without the URL when it could not be written. Run thread.
    private void sendCheckpointManifest(Peer peer) {
        ServedCheckpoint cp = servedCheckpoint();
        if (objects == null) {
            peer.send(manifestEnvelope(cp.manifest()));
            return;
        }
        String name = checkpointObject(cp);
        if (uploadedVersion == cp.version()) {
            peer.send(manifestEnvelope(withUrl(cp, name)));
            return;
        }
        if (!awaitingCheckpoint.contains(peer)) awaitingCheckpoint.add(peer); // a node asking twice is answered once
        if (uploadingVersion == cp.version()) return; // its write is under way: answered with the others
        uploadingVersion = cp.version();
        long t0 = System.nanoTime();
        writer.submit("checkpoint of version " + cp.version(), () -> objects.put(name, cp.bytes()))
                .whenComplete((ok, error) -> onRunThread(() -> checkpointWritten(cp, name, error, t0)));
    }

    /// The checkpoint's write finished (run thread): answer whoever waited for its manifest.
    private void checkpointWritten(ServedCheckpoint cp, String name, Throwable error, long t0) {
        if (uploadingVersion == cp.version()) uploadingVersion = -1;
        if (error == null) {
            uploadedVersion = cp.version();
            LOG.info("checkpoint version {} written to storage as {} ({} KiB in {} ms)", cp.version(),
                    objects.key(name), cp.bytes().length / 1024, (System.nanoTime() - t0) / 1_000_000);
        } else {
            LOG.warn("object storage unusable ({}); nodes fetch checkpoint version {} from this coordinator",
                    error.getMessage(), cp.version());
        }
        List<Peer> waiting = new ArrayList<>(awaitingCheckpoint);
        awaitingCheckpoint.clear();
        for (Peer p : waiting) {
            if (peers.get(p.nodeId()) != p) continue; // left meanwhile
            if (error != null && servedCheckpoint().version() == cp.version()) {
                p.send(manifestEnvelope(cp.manifest())); // this process serves the chunks
            } else {
                sendCheckpointManifest(p); // written, or the model moved on meanwhile: the current version's
            }
        }
    }

    private dev.hearth.protocol.wire.CheckpointManifest withUrl(ServedCheckpoint cp, String name) {
        try {
            return cp.manifest().toBuilder().setUrl(objects.presignGet(name).toString()).build();
        } catch (RuntimeException e) { // signing is local; a broken configuration still leaves the coordinator's chunks
            LOG.warn("cannot sign a URL for {} ({}); nodes fetch it from this coordinator", name, e.getMessage());
            return cp.manifest();
        }
    }

    private static Envelope manifestEnvelope(dev.hearth.protocol.wire.CheckpointManifest m) {
        return Envelope.newBuilder().setCheckpointManifest(m).build();
    }

    /// The object name of a checkpoint: its version and the start of its SHA-256 (a version rewritten after a
    /// rollback gets another name, so no node is handed bytes it will refuse).
    static String checkpointObject(ServedCheckpoint cp) {
        return "checkpoints/" + cp.version() + "-"
                + dev.hearth.protocol.Fingerprints.hex(cp.manifest().getSha256().toByteArray()).substring(0, 16) + ".hck";
    }

    /// Data shard bytes this process has sent itself (0 while every node fetches them from object storage).
    public long dataBytesServed() {
        return dataset.bytesServed();
    }

    /// Checkpoint bytes this process has sent itself (0 while every node fetches from object storage).
    public long checkpointBytesServed() {
        return checkpointBytesServed.get();
    }

    private ServedCheckpoint servedCheckpoint() {
        if (served == null || served.version() != run.version()) {
            int bad = ModelHealth.firstNonFinite(run.params());
            if (bad >= 0) { // never reached through a commit (ModelHealth); a checkpoint restored from elsewhere could
                throw new IllegalStateException("version " + run.version() + " has parameter " + bad + " = "
                        + run.params()[bad] + ": a non-finite checkpoint is never served");
            }
            served = ServedCheckpoint.of(config.recipe().model(), config.runId(), run.version(), run.params());
        }
        return served;
    }

    private void chunk(Peer peer, ChunkRequest r) {
        ServedCheckpoint cp = servedCheckpoint();
        if (r.getVersion() != cp.version() || r.getIndex() < 0 || r.getIndex() >= cp.chunks()) {
            // The model moved on mid-download: send the new manifest; the node restarts its download.
            sendCheckpointManifest(peer);
            return;
        }
        checkpointBytesServed.addAndGet(CheckpointManifests.chunkLength(cp.manifest(), r.getIndex()));
        peer.send(Envelope.newBuilder().setChunk(Chunk.newBuilder().setVersion(cp.version()).setIndex(r.getIndex())
                .setData(cp.chunk(r.getIndex()))).build());
    }

    /// A node catching up on `local` storage asks for a stored commit's bytes (one chunk at a time, at most 1 MiB).
    private void commitChunk(Peer peer, dev.hearth.protocol.wire.CommitChunkRequest r) {
        int length = Math.min(r.getLength(), ProtocolLimits.MAX_CHUNK_DATA_BYTES);
        byte[] data;
        try {
            data = commits.chunk(r.getVersion(), r.getOffset(), length);
        } catch (RuntimeException e) {
            LOG.warn("stored commit of version {} cannot be served: {}", r.getVersion(), e.getMessage());
            data = new byte[0];
        }
        commitBytesServed.addAndGet(data.length);
        peer.send(Envelope.newBuilder().setCommitChunk(dev.hearth.protocol.wire.CommitChunk.newBuilder()
                .setVersion(r.getVersion()).setOffset(r.getOffset()).setData(ByteString.copyFrom(data))).build());
    }

    /// Stored commit bytes this process has sent itself (`local` storage's catch-up; 0 with a bucket).
    public long commitBytesServed() {
        return commitBytesServed.get();
    }

    // ---- uploads ---------------------------------------------------------------------------------------------

    private void upload(Peer peer, UpdateUpload u, int bytes, Instant at) {
        String id = peer.nodeId();
        stats.bytesIn(bytes);
        SparseUpdate decoded = null;
        String capsProblem = "";
        long nonFinite = 0;
        double norm = Double.NaN;
        try {
            decoded = UpdateCodec.decode(u.getPayload().toByteArray(), layout, demo);
            norm = decoded.l2Norm();
            if (!decoded.isFinite()) nonFinite = 1;
        } catch (MalformedUpdateException ex) {
            capsProblem = ex.getMessage();
        }
        String runId = NodeText.clean(u.getRunId(), NodeText.MAX_RUN_ID_CHARS); // goes into reasons: ledger, log
        UpdateView view = new UpdateView(runId, id, u.getRound(), u.getBaseVersion(),
                UpdateSignatures.verify(peer.publicKey(), u), at, decoded != null, capsProblem, nonFinite, norm);
        Verdict verdict = run.upload(view, u.getTokens(), bytes, decoded, u.getLocalLoss());
        OpenRound round = open;
        boolean thisRound = round != null && round.action.round() == u.getRound();
        if (thisRound) round.bytesIn += bytes;
        if (!verdict.accepted()) {
            if (thisRound) round.rejected++;
            LOG.info("round {}: update from {} rejected: {}", u.getRound(), shortId(id), verdict.reason());
            peer.send(receipt(u.getRound(), false, verdict.reason(), 0));
        }
        // An accepted update's receipt, with credits, goes out at commit, when it is known whether it counted.
    }

    private static Envelope receipt(long round, boolean accepted, String reason, double credits) {
        return Envelope.newBuilder().setUpdateReceipt(UpdateReceipt.newBuilder().setRound(round).setAccepted(accepted)
                .setReason(reason).setCredits(credits)).build();
    }

    // ---- rounds ----------------------------------------------------------------------------------------------

    private void tick() {
        try {
            if (aggregating || announcing || finished) return;
            for (RunAction a : run.tick(clock.instant(), spotCheckSeed)) perform(a);
            phase = run.phase();
        } catch (RuntimeException e) {
            LOG.error("run tick failed: {}", e.getMessage(), e);
        }
    }

    private void perform(RunAction action) {
        switch (action) {
            case RunAction.OpenRound o -> openRound(o);
            case RunAction.Aggregate a -> aggregate(a);
            case RunAction.RoundFailed f -> {
                LOG.info("round {} failed: {} ({} batches back to the pool)", f.round(), f.reason(), f.returned().size());
                open = null;
            }
            case RunAction.RunPaused p -> LOG.info("run paused: {}", p.reason());
            case RunAction.RunFinished f -> {
                finished = true;
                LOG.info("run finished at version {}: {}", f.version(), f.reason());
            }
        }
    }

    private void openRound(RunAction.OpenRound o) {
        float lr = (float) config.lrSchedule().at(o.baseVersion()); // RoundStart carries the scheduled rate
        open = new OpenRound(o, outer.commitLr(lr));
        for (var e : o.batches().entrySet()) {
            Peer p = peers.get(e.getKey());
            if (p == null) continue;
            RoundStart.Builder rs = RoundStart.newBuilder().setRound(o.round()).setBaseVersion(o.baseVersion())
                    .setDeadlineUnixMillis(o.deadline().toEpochMilli()).setLr(lr);
            for (long id : e.getValue()) rs.addBatchIds(id);
            p.send(Envelope.newBuilder().setRoundStart(rs).build());
        }
        LOG.info("round {} open: {} node(s), deadline in {} s ({})", o.round(), o.batches().size(),
                Duration.between(o.opened(), o.deadline()).toSeconds(), o.deadlineReason());
    }

    private void aggregate(RunAction.Aggregate a) {
        OpenRound round = open;
        if (round == null || round.action.round() != a.round()) {
            throw new IllegalStateException("aggregate for round " + a.round() + " without its open round");
        }
        List<RunAction.AcceptedUpload> uploads = a.uploads();
        round.uploads = uploads;
        Map<String, String> dropped = new TreeMap<>();
        run.normOutliers(a).forEach((id, v) -> dropped.put(id, v.reason()));
        // A norm beyond the bound (5× the round's median) is never an honest update's (honest norms of a round differ
        // by well under 2×; no honest update was dropped by it in the Byzantine runs), so the drop is also a strike,
        // like a health strike (two in the window quarantine): scaled or maximal uploads then stop costing the
        // coordinator a decode per round. Struck when the round ends (committed or refused), with its health strikes.
        round.normDropped = Map.copyOf(dropped);
        round.probe = probeWatch.copy();
        aggregating = true;
        float[] base = run.params();
        long newVersion = run.version() + 1;
        boolean validate = config.validationEvery() > 0 && newVersion % config.validationEvery() == 0;
        computeThread.execute(() -> {
            try {
                Aggregated result = aggregateOffThread(round, uploads, a.spotCheck(), dropped, base, validate);
                onRunThread(() -> committed(round, result));
            } catch (UnhealthyStepException e) { // no step of this round is healthy: it is not committed
                onRunThread(() -> {
                    aggregating = false;
                    strike(round, round.normDropped);
                    strike(round, round.disagreeing);
                    strike(round, e.culprits());
                    healthFault(round, e.getMessage());
                });
            } catch (RuntimeException | LinkageError | OutOfMemoryError e) {
                // Anything that ends this task must end the round too, or the run waits in AGGREGATING forever.
                LOG.error("aggregation of round {} failed", a.round(), e);
                onRunThread(() -> {
                    aggregating = false;
                    run.aggregationFailed(a.round(), e.getMessage(), clock.instant());
                    open = null;
                });
            }
        });
    }

    private record SpotResult(String nodeId, double before, double after, double afterNegated) {}

    /// @param unhealthy node → why its update broke the model's health (dropped and struck; see [ModelHealth])
    /// @param validated whether `valLoss` was measured this round
    /// @param relativeStep `‖θ' − θ‖ / ‖θ‖` of the step
    /// @param agreements node → its update's agreement with the round's others ([UpdateAgreement]; NaN: not compared)
    private record Aggregated(float[] params, byte[] step, byte[] sha, Map<String, String> dropped,
                              List<SpotResult> spots, double meanLoss, double valLoss, String sample, int used,
                              Map<String, String> unhealthy, boolean validated, double relativeStep,
                              double largestUpdateStep, Probed probe, Map<String, Double> agreements) {}

    private Aggregated aggregateOffThread(OpenRound round, List<RunAction.AcceptedUpload> uploads, Set<String> spotCheck,
                                          Map<String, String> droppedByNorm, float[] base, boolean validate) {
        int n = uploads.size();
        Map<String, String> dropped = new TreeMap<>(droppedByNorm);
        // The model's health, first per update (whatever the number of updates in the round): an update whose step
        // alone would move the model further than an honest one is dropped and struck before anything else.
        Map<String, String> unhealthy = new TreeMap<>();
        double thetaNorm = ModelHealth.l2(base);
        double bound = outer.stepBound(round.stepLr, config.recipe().lrMax(), base.length, thetaNorm);
        double largestUpdateStep = 0; // relative to ‖θ‖, for the log (how far honest updates go)
        for (RunAction.AcceptedUpload r : uploads) {
            if (dropped.containsKey(r.nodeId())) continue;
            double alone = outer.aloneStepNorm(r.update(), round.stepLr);
            if (Double.isNaN(alone)) { // the rule bounds each update's share itself (the sign step) but not overflow
                ModelHealth.overflowProblem(r.update().l2Norm()).ifPresent(p -> unhealthy.put(r.nodeId(), p));
                continue;
            }
            largestUpdateStep = Math.max(largestUpdateStep, alone / thetaNorm);
            ModelHealth.updateProblem(alone, thetaNorm, bound).ifPresent(problem -> unhealthy.put(r.nodeId(), problem));
        }
        dropped.putAll(unhealthy);
        List<SparseUpdate> updates = new ArrayList<>(n);
        for (RunAction.AcceptedUpload r : uploads) updates.add(r.update());
        // The agreement screen (issue 14, point 3), on every update left after the norm bound and the health check:
        // its cosine with the sum of the round's other such updates (one vote each). Not only the sampled ones.
        boolean[] screened = new boolean[n];
        for (int i = 0; i < n; i++) screened[i] = !dropped.containsKey(uploads.get(i).nodeId());
        UpdateAgreement.Screen screen = UpdateAgreement.screen(updates, screened, outer.agreementFraction());
        double[] agreement = screen.agreements();
        Map<String, Double> agreements = new TreeMap<>();
        for (int i = 0; i < n; i++) if (screened[i]) agreements.put(uploads.get(i).nodeId(), agreement[i]);
        Map<String, String> disagreeing = new TreeMap<>();
        screen.dropped().forEach((i, why) -> disagreeing.put(uploads.get(i).nodeId(), why));
        round.disagreeing = Map.copyOf(disagreeing); // struck when the round ends, committed or not, as the norm drops
        dropped.putAll(disagreeing);
        if (!agreements.isEmpty()) {
            LOG.info("round {} agreement: {}", round.action.round(),
                    agreements.entrySet().stream().map(e -> shortId(e.getKey()) + " " + UpdateAgreement.format(e.getValue())
                            + (disagreeing.containsKey(e.getKey()) ? " (dropped)" : "")).toList());
        }
        long[] tokens = new long[n];
        boolean[] excluded = new boolean[n];
        boolean[] chosen = new boolean[n];
        for (int i = 0; i < n; i++) {
            RunAction.AcceptedUpload r = uploads.get(i);
            tokens[i] = r.tokens();
            excluded[i] = dropped.containsKey(r.nodeId());
            chosen[i] = spotCheck.contains(r.nodeId());
        }
        RoundAggregation.Result result = aggregation.run(
                new RoundAggregation.Input(base, round.stepLr, updates, tokens, excluded, chosen),
                new RoundAggregation.SpotCheck() {
                    @Override
                    public RoundAggregation.Loss lossOn(int update) {
                        var batch = corpus.batch(uploads.get(update).batchIds(), config.recipe().model().context());
                        return p -> evaluator.loss(p, batch);
                    }

                    @Override
                    public boolean passes(float before, float after, float afterNegated) {
                        return SpotCheckPolicy.passes(before, after, afterNegated);
                    }

                    @Override
                    public boolean[] passRound(float[] before, float[] after, float[] afterNegated) {
                        return SpotCheckPolicy.passRound(before, after, afterNegated, outer.comparesSpotCheckGaps());
                    }
                });
        List<SpotResult> spots = new ArrayList<>();
        for (RoundAggregation.SpotResult s : result.spots()) {
            String id = uploads.get(s.update()).nodeId();
            spots.add(new SpotResult(id, s.before(), s.after(), s.afterNegated()));
            if (!s.passed()) {
                dropped.put(id, String.format(java.util.Locale.ROOT,
                        "spot check: its update alone (at a quarter of its share of the round) took the loss on its own batch from %.4f"
                                + " to %.4f (its negation: %.4f)",
                        s.before(), s.after(), s.afterNegated()));
            }
        }
        if (result.usedCount() == 0 && !unhealthy.isEmpty()) {
            throw new UnhealthyStepException("every update of the round was dropped, " + unhealthy.size()
                    + " for the model's health", unhealthy);
        }
        // Then the round's step, before it is published: leave-one-out finds the update that breaks it; that update
        // is dropped and struck, and the step is made again without it (spot checks are not repeated).
        java.util.Optional<String> problem = ModelHealth.commitProblem(base, result.params(), bound);
        while (problem.isPresent()) {
            String why = problem.get();
            boolean[] counted = result.used().clone();
            List<Integer> candidates = new ArrayList<>();
            for (int i = 0; i < n; i++) if (counted[i]) candidates.add(i);
            int culprit = ModelHealth.culprit(candidates,
                            others -> ModelHealth.commitProblem(base, stepOver(round, base, updates, tokens, others).params(),
                                    bound))
                    .orElseThrow(() -> new UnhealthyStepException(why + " and no single update's removal heals it",
                            unhealthy));
            String id = uploads.get(culprit).nodeId();
            unhealthy.put(id, why + "; without its update the step is healthy");
            dropped.put(id, unhealthy.get(id));
            candidates.remove(Integer.valueOf(culprit));
            result = stepOver(round, base, updates, tokens, candidates);
            problem = ModelHealth.commitProblem(base, result.params(), bound);
        }
        Probed probed = probe(round, base, updates, tokens, uploads, result, unhealthy, dropped);
        result = probed.result();
        // The displayed mean leaves out reported losses no model over the vocabulary plausibly has (they are only
        // reports: the update still counts); non-finite and negative ones were refused on arrival.
        double plausibleLoss = ValidationWatch.ceilingFor(config.recipe().model().vocab());
        double lossSum = 0;
        long tokenSum = 0;
        for (int i = 0; i < n; i++) {
            if (!result.used()[i] || !(uploads.get(i).localLoss() <= plausibleLoss)) continue;
            lossSum += uploads.get(i).localLoss() * tokens[i];
            tokenSum += tokens[i];
        }
        float[] next = result.params();
        double valLoss = validate ? validationLoss(next) : Double.NaN;
        String sample = validate ? sampler.sample(next, corpus) : null;
        return new Aggregated(next, result.step(), result.sha256(), dropped, spots,
                tokenSum == 0 ? Double.NaN : lossSum / tokenSum, valLoss, sample, result.usedCount(), unhealthy,
                validate, ModelHealth.stepNorm(base, next) / thetaNorm, largestUpdateStep, probed,
                Map.copyOf(agreements));
    }

    /// The health probe's verdict on a round: the step to publish, its probe loss, how many probes it took and their
    /// time.
    private record Probed(RoundAggregation.Result result, double loss, int probes, long millis) {}

    /// The health probe, on every candidate version: its loss on the [#PROBE_WINDOWS] windows, judged by the
    /// round's copy of the probe watch. When it fails, the update whose removal heals it is searched
    /// ([ModelHealth#findCulprit]: leave-one-out over the round's counted updates, bisection in large rounds); that
    /// update is dropped (earns nothing) and the step is made without it. It is also put in `unhealthy` (struck) when
    /// the probe's loss is absurd ([ValidationWatch#absurd]: non-finite or above the ceiling); a jump over the recent
    /// median may be an honest spike, so then it is only dropped. When no single update explains the fault, or none
    /// is left, the round is refused ([UnhealthyStepException]); a round's only update is struck only for an absurd
    /// loss.
    private Probed probe(OpenRound round, float[] base, List<SparseUpdate> updates, long[] tokens,
                         List<RunAction.AcceptedUpload> uploads, RoundAggregation.Result result,
                         Map<String, String> unhealthy, Map<String, String> dropped) {
        long t0 = System.nanoTime();
        double loss = probeLoss(result.params());
        java.util.Optional<String> problem = round.probe.problem(loss, true);
        if (problem.isEmpty()) return new Probed(result, loss, 1, (System.nanoTime() - t0) / 1_000_000);
        String why = problem.get();
        List<Integer> counted = new ArrayList<>();
        for (int i = 0; i < updates.size(); i++) if (result.used()[i]) counted.add(i);
        if (counted.size() == 1 && !round.probe.absurd(loss)) {
            // Leave-one-out needs another update to compare with: alone, a jump over the recent median may be an
            // honest spike (a high rate on a small batch), so the round is refused and no one is struck.
            throw new UnhealthyStepException(why + "; the round's only update, so no one is blamed", unhealthy);
        }
        int[] probes = {1};
        java.util.function.ToDoubleFunction<List<Integer>> lossOver = group -> { // one probe of the step over `group`
            probes[0]++;
            return probeLoss(stepOver(round, base, updates, tokens, group).params());
        };
        java.util.Optional<Integer> culprit = ModelHealth.findCulprit(counted, others -> others.isEmpty()
                ? java.util.Optional.empty() // the base version: published, so healthy
                : round.probe.problem(lossOver.applyAsDouble(others), true));
        if (culprit.isEmpty() && round.probe.absurd(loss)) {
            // No single removal heals it: two or more updates each break it (colluders). Each one that is absurd on
            // its own is found by halving (ModelHealth.badMembers), dropped and struck, and the rest is tried.
            List<Integer> bad = ModelHealth.badMembers(counted,
                    group -> round.probe.absurd(lossOver.applyAsDouble(group)));
            for (int i : bad) {
                String id = uploads.get(i).nodeId();
                unhealthy.put(id, why + "; its update alone breaks the health probe (with " + (bad.size() - 1)
                        + " other(s) that do)");
                dropped.put(id, unhealthy.get(id));
            }
            List<Integer> rest = new ArrayList<>(counted);
            rest.removeAll(bad);
            if (!bad.isEmpty() && !rest.isEmpty()) {
                return probedWithout(round, base, updates, tokens, rest, unhealthy, probes[0], t0);
            }
        }
        if (culprit.isEmpty()) {
            throw new UnhealthyStepException(why + "; no single update's removal heals it (" + probes[0]
                    + " probes)", unhealthy);
        }
        String id = uploads.get(culprit.get()).nodeId();
        if (round.probe.absurd(loss)) { // no honest step does that: the update that causes it is struck
            unhealthy.put(id, why + "; without its update the health probe passes");
            dropped.put(id, unhealthy.get(id));
        } else { // a jump may be an honest spike: the update that causes it is left out and earns nothing, unstruck
            dropped.put(id, why + "; without its update the health probe passes (a jump, not struck)");
        }
        counted.remove(culprit.get());
        if (counted.isEmpty()) {
            throw new UnhealthyStepException("its last counted update was dropped (" + why + ")", unhealthy);
        }
        return probedWithout(round, base, updates, tokens, counted, unhealthy, probes[0], t0);
    }

    /// The round's step over `rest` (its culprits left out), probed once more: published if healthy, else the round
    /// is refused ([UnhealthyStepException], striking `unhealthy`).
    private Probed probedWithout(OpenRound round, float[] base, List<SparseUpdate> updates, long[] tokens,
                                 List<Integer> rest, Map<String, String> unhealthy, int probesSoFar, long t0) {
        RoundAggregation.Result without = stepOver(round, base, updates, tokens, rest);
        double lossWithout = probeLoss(without.params());
        java.util.Optional<String> still = round.probe.problem(lossWithout, true);
        if (still.isPresent()) throw new UnhealthyStepException(still.get(), unhealthy);
        return new Probed(without, lossWithout, probesSoFar + 1, (System.nanoTime() - t0) / 1_000_000);
    }

    /// Mean loss over the health probe's [#PROBE_WINDOWS] validation windows (one forward pass).
    private double probeLoss(float[] p) {
        return evaluator.loss(p, corpus.validationBatch(0, PROBE_WINDOWS, config.recipe().model().context()));
    }

    /// The median antithetic gap of a round's checks where the run's outer rule compares gaps
    /// ([OuterRule#comparesSpotCheckGaps]), else NaN: the relative rule is not applied.
    private double roundMedianGap(double[] before, double[] after, double[] afterNegated) {
        return outer.comparesSpotCheckGaps() ? SpotCheckPolicy.roundMedianGap(before, after, afterNegated) : Double.NaN;
    }

    /// The round's step over the updates at `counted` alone (no spot checks: they were made), `base` unchanged.
    private RoundAggregation.Result stepOver(OpenRound round, float[] base, List<SparseUpdate> updates, long[] tokens,
                                             List<Integer> counted) {
        int n = updates.size();
        boolean[] excluded = new boolean[n];
        java.util.Arrays.fill(excluded, true);
        for (int i : counted) excluded[i] = false;
        return aggregation.run(new RoundAggregation.Input(base, round.stepLr, updates, tokens, excluded, new boolean[n]),
                RoundAggregation.SpotCheck.NONE);
    }

    /// Mean loss over the run's fixed validation windows.
    private double validationLoss(float[] p) {
        int batches = VALIDATION_WINDOWS / VALIDATION_BATCH;
        double sum = 0;
        for (int i = 0; i < batches; i++) {
            sum += evaluator.loss(p, corpus.validationBatch(i, VALIDATION_BATCH, config.recipe().model().context()));
        }
        return sum / batches;
    }

    private void committed(OpenRound round, Aggregated r) {
        aggregating = false;
        Instant now = clock.instant();
        try { // a record for the operator, not a verdict: a ledger error here must not leave the round hanging
            run.ledger().recordAgreements(round.action.round(), r.agreements());
        } catch (RuntimeException e) {
            LOG.warn("round {}: the updates' agreements could not be written to the ledger: {}", round.action.round(),
                    e.getMessage());
        }
        strike(round, round.normDropped);
        strike(round, round.disagreeing);
        strike(round, r.unhealthy());
        java.util.Optional<String> fault = validationWatch.problem(r.valLoss(), r.validated());
        if (fault.isPresent()) {
            healthFault(round, fault.get());
            return;
        }
        // The same median the round's checks were judged with (aggregateOffThread), so a strike is exactly a drop.
        double medianGap = roundMedianGap(r.spots().stream().mapToDouble(SpotResult::before).toArray(),
                r.spots().stream().mapToDouble(SpotResult::after).toArray(),
                r.spots().stream().mapToDouble(SpotResult::afterNegated).toArray());
        for (SpotResult s : r.spots()) {
            SpotCheckPolicy.Outcome o = run.spotCheck(s.nodeId(), round.action.round(), s.before(), s.after(),
                    s.afterNegated(), medianGap, now);
            if (o.strike()) {
                LOG.warn("round {}: update from {} struck by its spot check: {}", round.action.round(),
                        shortId(s.nodeId()), o.reason());
            }
            if (o.quarantine()) {
                LOG.warn("node {} quarantined: {}", shortId(s.nodeId()), o.reason());
                Peer p = peers.get(s.nodeId());
                if (p != null) p.reject("quarantined: " + o.reason(), 0);
            }
        }
        long newVersion = run.version() + 1;
        Envelope commitMsg = Envelope.newBuilder().setRoundCommit(outer.putStep(dev.hearth.protocol.wire.RoundCommit
                        .newBuilder(), r.step())
                .setRound(round.action.round())
                .setNewVersion(newVersion)
                .setParamsSha256(ByteString.copyFrom(r.sha()))
                .setLr(round.stepLr)
                .setMeanLoss(Double.isNaN(r.meanLoss()) ? 0 : r.meanLoss())
                .setAcceptedUpdates(r.used())
                .setTokens(round.uploads.stream().filter(x -> !r.dropped().containsKey(x.nodeId()))
                        .mapToLong(RunAction.AcceptedUpload::tokens).sum())).build();
        boolean byReference = 1L + commitMsg.getSerializedSize() > inlineCommitLimit; // the frame: kind tag + body
        EncodedFrame frame = byReference ? null : EncodedFrame.of(commitMsg); // encoded once for every peer
        long bytesOut = (long) (byReference ? LIVE_COMMIT_ESTIMATE_BYTES : commitMsg.getSerializedSize()) * peers.size();
        RunService.Committed c;
        try {
            c = run.commit(round.action.round(), r.params(), Map.of(),
                    new RoundStats(r.meanLoss(), r.valLoss(), round.rejected, round.bytesIn, bytesOut), r.dropped(), now);
        } catch (RuntimeException e) {
            LOG.error("round {} could not be persisted; the run stops: {}", round.action.round(), e.getMessage(), e);
            finished = true;
            return;
        }
        if (frame != null) for (Peer p : peers.values()) p.send(frame);
        byte[] storedCommit = commitMsg.getRoundCommit().toByteArray();
        announcing = byReference;
        // Offered for catch-up only once it is in storage (CommitLog.store indexes it after its write succeeded).
        writer.submit("commit of version " + newVersion, () -> commits.store(newVersion, storedCommit))
                .whenComplete((ok, e) -> {
                    if (e != null) {
                        LOG.warn("commit of version {} not stored ({}); nodes behind it fetch the checkpoint",
                                newVersion, e.getMessage());
                    }
                    if (byReference) onRunThread(() -> announce(newVersion));
                });
        Set<String> quarantined = run.quarantinedNodes();
        for (RunAction.AcceptedUpload up : round.uploads) {
            Peer p = peers.get(up.nodeId());
            String why = r.dropped().get(up.nodeId());
            boolean counted = why == null && !quarantined.contains(up.nodeId());
            if (p != null) p.send(receipt(round.action.round(), counted, counted ? "accepted" : why == null
                    ? "the node is quarantined" : why, counted ? up.tokens() : 0));
        }
        stats.bytesOut(bytesOut);
        if (r.validated()) validationWatch.published(r.valLoss());
        probeWatch.published(r.probe().loss());
        publishedProbeLoss = r.probe().loss();
        run.healthFault(null); // a healthy version was published
        if (r.sample() != null) stats.sample(r.sample());
        stats.committed(newVersion, r.meanLoss(), r.valLoss(), c.commit().totalTokens(),
                Duration.between(round.action.opened(), now));
        open = null;
        LOG.info(String.format(java.util.Locale.ROOT, "round %d committed as version %d: %d update(s), %d tokens, step %.3g"
                + " of the model's norm%s, mean loss %.4f, health probe %.4f (%d probe(s), %d ms)%s%s",
                round.action.round(), newVersion, r.used(), c.commit().totalTokens(), r.relativeStep(),
                r.largestUpdateStep() > 0 ? String.format(java.util.Locale.ROOT, " (largest update alone %.3g)",
                        r.largestUpdateStep()) : "", r.meanLoss(), r.probe().loss(), r.probe().probes(),
                r.probe().millis(),
                Double.isNaN(r.valLoss()) ? "" : String.format(java.util.Locale.ROOT, ", validation loss %.4f", r.valLoss()),
                r.dropped().isEmpty() ? "" : ", dropped " + r.dropped().keySet().stream().map(CoordinatorService::shortId).toList()));
        CommitEvent ev = new CommitEvent(round.action.round(), newVersion, r.used(), c.commit().totalTokens(), r.meanLoss(),
                r.valLoss(), round.bytesIn, bytesOut, r.probe().loss());
        commitListeners.forEach(l -> l.accept(ev));
    }

    /// Bytes of a `live_commit` announcement, for the round's traffic figure: a presigned URL and a few fields.
    private static final int LIVE_COMMIT_ESTIMATE_BYTES = 1024;

    /// The round's commit, too large for a frame, is in storage (or could not be written): hand every node its
    /// reference, then let the next round open. Run thread.
    private void announce(long version) {
        announcing = false;
        var ref = commits.ref(version);
        if (ref.isEmpty()) {
            LOG.error("commit of version {} is not in storage and too large for a frame; nodes fetch the checkpoint",
                    version);
            return;
        }
        EncodedFrame frame = EncodedFrame.of(dev.hearth.protocol.Envelopes.liveCommit(ref.get()));
        for (Peer p : peers.values()) p.send(frame);
        LOG.info("commit of version {} ({} KiB) announced by reference to {} node(s)", version,
                ref.get().getBytes() / 1024, peers.size());
    }

    /// The spot-check seed in use (tests compare it across restarts; it is never sent or logged).
    long spotCheckSeed() {
        return spotCheckSeed;
    }

    /// Strikes the senders of updates that broke the model's health (quarantined on a repeat). Run thread.
    private void strike(OpenRound round, Map<String, String> culprits) {
        culprits.forEach((id, why) -> {
            SpotCheckPolicy.Outcome o = run.healthStrike(id, round.action.round(), why, clock.instant());
            LOG.warn("round {}: update from {} dropped and struck: {}", round.action.round(), shortId(id), why);
            if (o.quarantine()) {
                LOG.warn("node {} quarantined: {}", shortId(id), o.reason());
                Peer p = peers.get(id);
                if (p != null) p.reject("quarantined: " + o.reason(), 0);
            }
        });
    }

    /// The round is not committed because the version it would publish is unhealthy: the version does not advance,
    /// nobody earns credit for the round (its batches go back to the pool), and the fault shows in /api/status and
    /// on the dashboard until a healthy version is published. Run thread.
    private void healthFault(OpenRound round, String why) {
        long at = run.version();
        LOG.warn("round {} not committed: {}; the run stays at version {}", round.action.round(), why, at);
        run.aggregationFailed(round.action.round(), why, clock.instant());
        run.healthFault("round " + round.action.round() + " was not committed: " + why + ". The run stays at version "
                + at + String.format(java.util.Locale.ROOT, ", the last healthy one (every published version passed the"
                + " health probe; version %d's loss on its %d windows is %.4f), and the next round starts from it.",
                at, PROBE_WINDOWS, publishedProbeLoss));
        for (RunAction.AcceptedUpload up : round.uploads) {
            Peer p = peers.get(up.nodeId());
            if (p != null) p.send(receipt(round.action.round(), false, "the round was not committed: " + why, 0));
        }
        open = null;
    }

    static String shortId(String nodeId) {
        return nodeId.length() > 12 ? nodeId.substring(0, 12) : nodeId;
    }

    /// Stops serving: first the network (no more callbacks), then the run thread and the aggregation in
    /// flight (its result is dropped: the round was not committed and is retried after a restart), then the
    /// ledger.
    @Override
    public void close() {
        closing = true;
        server.close();
        dashboard.close();
        computeThread.shutdownNow();
        runThread.shutdown();
        try {
            computeThread.awaitTermination(30, TimeUnit.SECONDS);
            runThread.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        writer.close(); // the commits of the last rounds reach storage: a restart finds them there
        if (objects != null) objects.close();
        evaluator.close();
        run.close();
    }

    /// Storage writes that failed every attempt, and the last one's reason (tests; the log says the same).
    long storageWriteFailures() {
        return writer.failures();
    }

    String lastStorageWriteFailure() {
        return writer.lastFailure();
    }

    /// Posts to the run thread unless the service is closing (then the work is moot).
    private void onRunThread(Runnable task) {
        if (closing) return;
        try {
            runThread.execute(task);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            if (!closing) throw e;
        }
    }
}

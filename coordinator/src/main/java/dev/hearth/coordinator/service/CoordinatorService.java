package dev.hearth.coordinator.service;

import com.google.protobuf.ByteString;
import dev.hearth.coordinator.checkpoint.Checkpoint;
import dev.hearth.coordinator.checkpoint.CheckpointStore;
import dev.hearth.coordinator.ledger.Ledger;
import dev.hearth.coordinator.ledger.RoundStats;
import dev.hearth.coordinator.ledger.UpdateRecord;
import dev.hearth.coordinator.run.BatchPool;
import dev.hearth.coordinator.run.DeadlinePolicy;
import dev.hearth.coordinator.run.RoundCommit;
import dev.hearth.coordinator.run.RunAction;
import dev.hearth.coordinator.run.RunPhase;
import dev.hearth.coordinator.run.RunRules;
import dev.hearth.coordinator.run.RunStateMachine;
import dev.hearth.coordinator.run.UploadDecision;
import dev.hearth.coordinator.validation.RoundContext;
import dev.hearth.coordinator.validation.SpotCheckPolicy;
import dev.hearth.coordinator.validation.UpdateValidator;
import dev.hearth.coordinator.validation.UpdateView;
import dev.hearth.coordinator.validation.Verdict;
import dev.hearth.engine.backend.BackendSelector;
import dev.hearth.engine.checkpoint.ParamsFile;
import dev.hearth.engine.data.Corpus;
import dev.hearth.engine.demo.DemoAggregator;
import dev.hearth.engine.demo.MalformedUpdateException;
import dev.hearth.engine.demo.OuterStep;
import dev.hearth.engine.demo.SparseUpdate;
import dev.hearth.engine.demo.UpdateCodec;
import dev.hearth.engine.demo.ValueEncoding;
import dev.hearth.engine.model.GptInit;
import dev.hearth.engine.model.ParameterLayout;
import dev.hearth.engine.train.TrainingBackend;
import dev.hearth.protocol.CoordinatorCertificate;
import dev.hearth.protocol.HearthServer;
import dev.hearth.protocol.Peer;
import dev.hearth.protocol.PeerHandler;
import dev.hearth.protocol.ProtocolLimits;
import dev.hearth.protocol.RunAddress;
import dev.hearth.protocol.ServerConfig;
import dev.hearth.protocol.UpdateSignatures;
import dev.hearth.protocol.wire.Chunk;
import dev.hearth.protocol.wire.ChunkRequest;
import dev.hearth.protocol.wire.Envelope;
import dev.hearth.protocol.wire.Hello;
import dev.hearth.protocol.wire.NodeState;
import dev.hearth.protocol.wire.RoundStart;
import dev.hearth.protocol.wire.RunConfig;
import dev.hearth.protocol.wire.UpdateReceipt;
import dev.hearth.protocol.wire.UpdateUpload;
import dev.hearth.protocol.wire.Welcome;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/// The coordinator's I/O layer: Netty peers in, {@link RunStateMachine} decisions out, with the ledger,
/// checkpoints, validation, aggregation and the outer step around it.
///
/// Threads: Netty event loops only decode and post; all run state lives on `hearth-run` (one thread, so
/// the state machine needs no locks); aggregation, spot checks, validation loss and checkpoint writes run
/// on `hearth-aggregate` and post their result back. Nothing here blocks an event loop.
public final class CoordinatorService implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CoordinatorService.class);

    /// Mean training losses kept for status replies and the dashboard.
    static final int LOSS_HISTORY = 1_000;

    private final ServiceSettings settings;
    private final Clock clock;
    private final ParameterLayout layout;
    private final Corpus corpus;
    private final TrainingBackend evaluator;
    private final Ledger ledger;
    private final CheckpointStore checkpoints;
    private final UpdateValidator validator = new UpdateValidator();
    private final SpotCheckPolicy spotChecks;
    private final RunStateMachine run;
    private final ScheduledExecutorService runThread;
    private final ExecutorService computeThread;
    private final HearthServer server;
    private final Map<String, Peer> peers = new ConcurrentHashMap<>();
    private final Set<String> ready = new HashSet<>();
    private final List<Consumer<CommitEvent>> commitListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final RunStats stats = new RunStats(LOSS_HISTORY);

    // run thread only
    private float[] params;
    private long version;
    private OpenRound open;
    private ServedCheckpoint served;
    private boolean aggregating;
    private volatile boolean finished;

    /// A round as the I/O layer sees it: what was sent, what came back decoded.
    private static final class OpenRound {
        final RunAction.OpenRound action;
        final float lr;
        final Map<String, Received> accepted = new LinkedHashMap<>();
        final Set<String> uploaded = new HashSet<>();
        int rejected;
        long bytesIn;

        OpenRound(RunAction.OpenRound action, float lr) {
            this.action = action;
            this.lr = lr;
        }
    }

    private record Received(String nodeId, SparseUpdate update, long tokens, double localLoss, long bytes, long[] batchIds) {}

    /// Published after every commit (tests and the CLI listen).
    public record CommitEvent(long round, long version, int updates, long tokens, double meanLoss, double valLoss,
                              long bytesIn, long bytesOut) {}

    private CoordinatorService(ServiceSettings s, Clock clock) throws IOException {
        this.settings = s;
        this.clock = clock;
        this.layout = ParameterLayout.gpt(s.model());
        Files.createDirectories(s.dataDir());
        this.corpus = "bundled".equals(s.corpus())
                ? Corpus.bundled(s.dataDir().resolve("corpus"))
                : Corpus.fromTextFiles(List.of(Path.of(s.corpus())), s.dataDir().resolve("corpus"));
        long trainWindows = corpus.trainWindows(s.model().context());
        this.evaluator = BackendSelector.select(s.model()).backend();
        this.ledger = Ledger.open(s.dataDir().resolve("ledger.db"));
        ledger.bindRun(s.runId(), s.runName(), trainWindows, s.seed(), clock.instant());
        this.checkpoints = new CheckpointStore(s.dataDir().resolve("checkpoints"));
        this.spotChecks = SpotCheckPolicy.withFraction(s.spotCheckFraction());
        RunRules rules = new RunRules(s.minNodes(), s.minUploads(), s.sequencesPerNode(), s.model().context(),
                s.totalRounds(), trainWindows, s.seed(), s.spotCheckFraction(),
                new DeadlinePolicy(DeadlinePolicy.DEFAULT_SAFETY_FACTOR, DeadlinePolicy.DEFAULT_SLACK,
                        s.deadlineMin(), s.deadlineMax()));
        this.run = restore(rules, trainWindows);
        this.runThread = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "hearth-run"));
        this.computeThread = Executors.newSingleThreadExecutor(r -> daemon(r, "hearth-aggregate"));
        CoordinatorCertificate cert = CoordinatorCertificate.loadOrCreate(s.dataDir().resolve("tls"));
        this.server = HearthServer.start(new ServerConfig(s.bind(), s.port(), cert, ServerConfig.DEFAULT_WORKER_THREADS,
                clock), new Handler());
        runThread.scheduleWithFixedDelay(this::tick, 0, s.tickPeriod().toMillis(), TimeUnit.MILLISECONDS);
        LOG.info("run {} serving at {} (model {}, {} training windows, version {})", s.runId(), address(), s.model().name(),
                trainWindows, version);
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /// Starts a coordinator: opens (or resumes) the run in `settings.dataDir()` and starts serving.
    public static CoordinatorService start(ServiceSettings settings, Clock clock) {
        try {
            return new CoordinatorService(settings, clock);
        } catch (IOException e) {
            throw new UncheckedIOException("the coordinator could not open " + settings.dataDir() + ": " + e.getMessage(), e);
        }
    }

    /// Resumes from the newest good checkpoint, rolling the ledger back to it (rounds committed after the
    /// last checkpoint are trained again; their batches return to the pool).
    private RunStateMachine restore(RunRules rules, long trainWindows) {
        var recovered = checkpoints.loadLatest(settings.runId());
        Ledger.Position pos = ledger.position();
        ledger.abandonOpenRounds(clock.instant());
        if (recovered.isPresent()) {
            Checkpoint cp = recovered.get().checkpoint();
            recovered.get().skipped().forEach(why -> LOG.warn("skipped checkpoint: {}", why));
            params = cp.params();
            version = cp.version();
            if (params.length != layout.size()) {
                throw new IllegalStateException("checkpoint holds " + params.length + " parameters, model "
                        + settings.model().name() + " has " + layout.size() + ": use another data dir");
            }
            int rolled = ledger.rollbackAfter(version);
            if (rolled > 0) LOG.warn("rolled back {} round(s) committed after the last checkpoint (version {})", rolled, version);
            BatchPool pool = BatchPool.restore(trainWindows, settings.seed(), ledger.committedBatchesForRestore(trainWindows));
            LOG.info("resumed run {} at version {} (last round {})", settings.runId(), version, pos.lastRound());
            return new RunStateMachine(rules, pool, Math.max(pos.lastRound(), version), version);
        }
        if (pos.lastVersion() > 0) {
            LOG.warn("ledger says version {} but no checkpoint survived; restarting from the initial model", pos.lastVersion());
            ledger.rollbackAfter(0);
        }
        params = GptInit.init(settings.model(), settings.seed());
        version = 0;
        checkpoints.write(new Checkpoint(settings.runId(), 0, 0, params));
        BatchPool pool = BatchPool.restore(trainWindows, settings.seed(), ledger.committedBatchesForRestore(trainWindows));
        return new RunStateMachine(rules, pool, Math.max(0, pos.lastRound()), 0);
    }

    public RunAddress address() {
        String host = settings.bind().isAnyLocalAddress() ? "127.0.0.1" : settings.bind().getHostAddress();
        return server.runAddress(host);
    }

    /// The dashboard's address, or empty when this run has none.
    public String dashboardUrl() {
        return "";
    }

    public ServiceSettings settings() {
        return settings;
    }

    public Ledger ledger() {
        return ledger;
    }

    public RunStats stats() {
        return stats;
    }

    public boolean finished() {
        return finished;
    }

    public void onCommit(Consumer<CommitEvent> listener) {
        commitListeners.add(listener);
    }

    /// A copy of the current parameters and their version (taken on the run thread).
    public CompletableFuture<ParamsFile.Loaded> currentParams() {
        return CompletableFuture.supplyAsync(() -> new ParamsFile.Loaded(version, params.clone()), runThread);
    }

    // ---- peers (event loop → run thread) ---------------------------------------------------------------------

    private final class Handler implements PeerHandler {
        @Override
        public void onAuthenticated(Peer peer, Hello hello) {
            runThread.execute(() -> authenticated(peer, hello));
        }

        @Override
        public void onMessage(Peer peer, Envelope envelope) {
            Instant at = clock.instant();
            runThread.execute(() -> message(peer, envelope, at));
        }

        @Override
        public void onClosed(Peer peer, String reason) {
            runThread.execute(() -> closed(peer, reason));
        }
    }

    private void authenticated(Peer peer, Hello hello) {
        var quarantine = ledger.quarantineReason(peer.nodeId());
        if (quarantine.isPresent()) {
            peer.reject("This node is quarantined in run " + settings.runId() + ": " + quarantine.get(), 0);
            return;
        }
        if (finished) {
            peer.reject("Run " + settings.runId() + " has finished.", 0);
            return;
        }
        ledger.nodeSeen(peer.nodeId(), peer.publicKey(), clock.instant());
        Peer previous = peers.put(peer.nodeId(), peer);
        if (previous != null && previous != peer) previous.close("replaced by a new connection of the same node");
        peer.send(Envelope.newBuilder().setWelcome(Welcome.newBuilder()
                .setRunId(settings.runId())
                .setNodeId(peer.nodeId())
                .setConfig(runConfig())
                .setCurrentVersion(version)
                .setCurrentRound(run.lastRound())).build());
        LOG.info("node {} joined ({} on {}, {} nodes online)", shortId(peer.nodeId()), hello.getBackend(), hello.getDevice(),
                peers.size());
    }

    private RunConfig runConfig() {
        var s = settings;
        return RunConfig.newBuilder()
                .setModel(s.model().name())
                .setSequencesPerBatch(s.sequencesPerNode())
                .setDemoBeta(s.demo().beta())
                .setDemoBlockSize(s.demo().blockSize())
                .setDemoTopK(s.demo().topK())
                .setValueEncoding(s.demo().encoding() == ValueEncoding.FP16
                        ? dev.hearth.protocol.wire.ValueEncoding.FP16 : dev.hearth.protocol.wire.ValueEncoding.SIGN_1BIT)
                .setLrMax(s.lr().lrMax())
                .setLrMin(s.lr().lrMin())
                .setWarmupRounds(s.lr().warmupRounds())
                .setTotalRounds(s.totalRounds())
                .setWeightDecay(s.weightDecay())
                .setDataSeed(s.seed())
                .setCorpusId(corpus.id())
                .build();
    }

    private void message(Peer peer, Envelope e, Instant at) {
        if (peers.get(peer.nodeId()) != peer) return; // a replaced connection
        switch (e.getPayloadCase()) {
            case HEARTBEAT -> heartbeat(peer, e.getHeartbeat().getState());
            case CHECKPOINT_MANIFEST_REQUEST -> peer.send(Envelope.newBuilder()
                    .setCheckpointManifest(servedCheckpoint().manifest()).build());
            case CHUNK_REQUEST -> chunk(peer, e.getChunkRequest());
            case UPDATE_UPLOAD -> upload(peer, e.getUpdateUpload(), e.getSerializedSize(), at);
            case RUN_STATUS_REQUEST -> peer.send(Envelope.newBuilder().setRunStatus(
                    stats.toWire(settings.runId(), run.lastRound(), peers.size(), ledger.leaderboard(100))).build());
            case LEAVE -> peer.close("left: " + e.getLeave().getReason());
            default -> LOG.debug("node {} sent {} — ignored", shortId(peer.nodeId()), e.getPayloadCase());
        }
    }

    private void heartbeat(Peer peer, NodeState state) {
        String id = peer.nodeId();
        boolean wantsWork = state != NodeState.PAUSED && state != NodeState.FETCHING;
        if (wantsWork && ready.add(id)) {
            run.nodeReady(id, peer.hello().getTokensPerSecond(), clock.instant());
        } else if (state == NodeState.PAUSED && ready.remove(id)) {
            var returned = run.nodeLeft(id, clock.instant());
            if (!returned.isEmpty()) LOG.info("node {} paused; {} batches back to the pool", shortId(id), returned.size());
        }
    }

    private void closed(Peer peer, String reason) {
        if (!peers.remove(peer.nodeId(), peer)) return;
        ready.remove(peer.nodeId());
        var returned = run.nodeLeft(peer.nodeId(), clock.instant());
        LOG.info("node {} left ({}){}", shortId(peer.nodeId()), reason,
                returned.isEmpty() ? "" : "; " + returned.size() + " batches back to the pool");
    }

    private ServedCheckpoint servedCheckpoint() {
        if (served == null || served.version() != version) served = ServedCheckpoint.of(version, params);
        return served;
    }

    private void chunk(Peer peer, ChunkRequest r) {
        ServedCheckpoint cp = servedCheckpoint();
        if (r.getVersion() != cp.version() || r.getIndex() < 0 || r.getIndex() >= cp.chunks()) {
            // The model moved on mid-download: send the new manifest, the node restarts its download.
            peer.send(Envelope.newBuilder().setCheckpointManifest(cp.manifest()).build());
            return;
        }
        peer.send(Envelope.newBuilder().setChunk(Chunk.newBuilder().setVersion(cp.version()).setIndex(r.getIndex())
                .setData(cp.chunk(r.getIndex()))).build());
    }

    // ---- uploads ---------------------------------------------------------------------------------------------

    private void upload(Peer peer, UpdateUpload u, int bytes, Instant at) {
        String id = peer.nodeId();
        stats.bytesIn(bytes);
        OpenRound round = open;
        boolean signatureValid = UpdateSignatures.verify(peer.publicKey(), u);
        SparseUpdate decoded = null;
        String capsProblem = "";
        long nonFinite = 0;
        double norm = Double.NaN;
        try {
            decoded = UpdateCodec.decode(u.getPayload().toByteArray(), layout, settings.demo());
            norm = decoded.l2Norm();
            if (!decoded.isFinite()) nonFinite = 1;
        } catch (MalformedUpdateException ex) {
            capsProblem = ex.getMessage();
        }
        UpdateView view = new UpdateView(ProtocolLimits.PROTOCOL_VERSION, u.getRunId(), id, u.getRound(),
                u.getBaseVersion(), signatureValid, at, decoded != null, capsProblem, nonFinite, norm);
        RoundContext ctx = round == null
                ? new RoundContext(ProtocolLimits.PROTOCOL_VERSION, settings.runId(), -1, version, at, Set.of(), Set.of(),
                ledger.quarantinedNodes())
                : new RoundContext(ProtocolLimits.PROTOCOL_VERSION, settings.runId(), round.action.round(),
                round.action.baseVersion(), round.action.deadline(), round.action.batches().keySet(), round.uploaded,
                ledger.quarantinedNodes());
        Verdict verdict = validator.validate(view, ctx);
        String reason = verdict.reason();
        boolean accepted = verdict.accepted();
        if (accepted) {
            UploadDecision d = run.uploadReceived(id, u.getRound(), u.getTokens(), at);
            accepted = d.accepted();
            reason = d.reason();
        }
        if (round != null && round.action.round() == u.getRound()) {
            round.uploaded.add(id);
            round.bytesIn += bytes;
        }
        ledger.recordUpdate(new UpdateRecord(u.getRound(), id, accepted, reason, bytes, u.getTokens(), norm, at));
        if (!accepted) {
            if (round != null && round.action.round() == u.getRound()) round.rejected++;
            LOG.info("round {}: update from {} rejected: {}", u.getRound(), shortId(id), reason);
            peer.send(receipt(u.getRound(), false, reason, 0));
            return;
        }
        round.accepted.put(id, new Received(id, decoded, u.getTokens(), u.getLocalLoss(), bytes,
                round.action.batches().get(id)));
        // The receipt with credits goes out at commit, when it is known whether the update counted.
    }

    private static Envelope receipt(long round, boolean accepted, String reason, double credits) {
        return Envelope.newBuilder().setUpdateReceipt(UpdateReceipt.newBuilder().setRound(round).setAccepted(accepted)
                .setReason(reason).setCredits(credits)).build();
    }

    // ---- rounds ----------------------------------------------------------------------------------------------

    private void tick() {
        try {
            if (aggregating || finished) return;
            for (RunAction a : run.tick(clock.instant(), settings.seed())) perform(a);
        } catch (RuntimeException e) {
            LOG.error("run tick failed", e);
        }
    }

    private void perform(RunAction action) {
        switch (action) {
            case RunAction.OpenRound o -> openRound(o);
            case RunAction.Aggregate a -> aggregate(a);
            case RunAction.RoundFailed f -> {
                ledger.roundFailed(f.round(), f.reason(), clock.instant());
                LOG.info("round {} failed: {} ({} batches back to the pool)", f.round(), f.reason(), f.returned().size());
                open = null;
            }
            case RunAction.RunPaused p -> LOG.info("run paused: {}", p.reason());
            case RunAction.RunFinished f -> {
                finished = true;
                LOG.info("run finished at version {}: {}", f.version(), f.reason());
                writeCheckpoint(version, params.clone(), run.lastRound());
            }
        }
    }

    private void openRound(RunAction.OpenRound o) {
        float lr = settings.lr().lr(o.baseVersion());
        open = new OpenRound(o, lr);
        ledger.roundOpened(o.round(), o.baseVersion(), o.opened(), o.deadline());
        for (var e : o.batches().entrySet()) {
            Peer p = peers.get(e.getKey());
            if (p == null) continue;
            RoundStart.Builder rs = RoundStart.newBuilder().setRound(o.round()).setBaseVersion(o.baseVersion())
                    .setDeadlineUnixMillis(o.deadline().toEpochMilli()).setLr(lr);
            for (long id : e.getValue()) rs.addBatchIds(id);
            p.send(Envelope.newBuilder().setRoundStart(rs).build());
        }
        LOG.info("round {} open: {} node(s), deadline in {} s ({})", o.round(), o.batches().size(),
                java.time.Duration.between(o.opened(), o.deadline()).toSeconds(), o.deadlineReason());
    }

    private void aggregate(RunAction.Aggregate a) {
        OpenRound round = open;
        if (round == null || round.action.round() != a.round()) {
            throw new IllegalStateException("aggregate for round " + a.round() + " without its open round");
        }
        List<Received> uploads = new ArrayList<>();
        for (RunAction.AcceptedUpload up : a.uploads()) {
            Received r = round.accepted.get(up.nodeId());
            if (r != null) uploads.add(r);
        }
        aggregating = true;
        float[] base = params;
        long baseVersion = version;
        long newVersion = version + 1;
        boolean validate = settings.validateEvery() > 0 && newVersion % settings.validateEvery() == 0;
        computeThread.execute(() -> {
            Aggregated result;
            try {
                result = aggregateOffThread(round, uploads, a.spotCheck(), base, validate);
            } catch (RuntimeException e) {
                LOG.error("aggregation of round " + a.round() + " failed", e);
                runThread.execute(() -> {
                    aggregating = false;
                    run.aggregationFailed(a.round(), "aggregation failed: " + e.getMessage());
                    ledger.roundFailed(a.round(), "aggregation failed: " + e.getMessage(), clock.instant());
                    open = null;
                });
                return;
            }
            runThread.execute(() -> committed(round, result, baseVersion, newVersion));
        });
    }

    private record Aggregated(float[] params, byte[] step, byte[] sha, Map<String, String> dropped,
                              Map<String, String> quarantined, double meanLoss, double valLoss, int used) {}

    private Aggregated aggregateOffThread(OpenRound round, List<Received> uploads, Set<String> spotCheck, float[] base,
                                          boolean validate) {
        Map<String, String> dropped = new TreeMap<>();
        Map<String, String> quarantined = new TreeMap<>();
        Map<String, Double> norms = new HashMap<>();
        for (Received r : uploads) norms.put(r.nodeId(), r.update().l2Norm());
        validator.normOutliers(norms).forEach((id, v) -> dropped.put(id, v.reason()));
        for (Received r : uploads) {
            if (!spotCheck.contains(r.nodeId()) || dropped.containsKey(r.nodeId())) continue;
            var batch = corpus.batch(r.batchIds(), settings.model().context());
            float before = evaluator.loss(base, batch);
            float[] alone = OuterStep.applyAlone(layout, settings.demo(), base, r.update(), round.lr, settings.weightDecay());
            float after = evaluator.loss(alone, batch);
            SpotCheckPolicy.Outcome o = spotChecks.record(r.nodeId(), round.action.round(), before, after);
            if (o.strike()) {
                dropped.put(r.nodeId(), String.format("spot check: its update raised the loss on its own batch from %.4f to %.4f",
                        before, after));
            }
            if (o.quarantine()) quarantined.put(r.nodeId(), o.reason());
        }
        List<SparseUpdate> used = new ArrayList<>();
        List<Long> weights = new ArrayList<>();
        double lossSum = 0;
        long tokenSum = 0;
        for (Received r : uploads) {
            if (dropped.containsKey(r.nodeId())) continue;
            used.add(r.update());
            weights.add(r.tokens());
            lossSum += r.localLoss() * r.tokens();
            tokenSum += r.tokens();
        }
        float[] next = base.clone();
        byte[] step;
        if (used.isEmpty()) {
            step = OuterStep.ternary(new float[base.length]); // all zero: decay only
        } else {
            float[] direction = DemoAggregator.aggregate(layout, settings.demo(), used,
                    weights.stream().mapToLong(Long::longValue).toArray(), settings.robust());
            step = OuterStep.ternary(direction);
        }
        try {
            OuterStep.apply(layout, next, step, round.lr, settings.weightDecay());
        } catch (MalformedUpdateException e) {
            throw new IllegalStateException("the step packed here failed its own check", e);
        }
        double valLoss = validate ? validationLoss(next) : Double.NaN;
        return new Aggregated(next, step, ParamsFile.sha256(next), dropped, quarantined,
                tokenSum == 0 ? Double.NaN : lossSum / tokenSum, valLoss, used.size());
    }

    /// Mean loss over the run's fixed validation windows.
    private double validationLoss(float[] p) {
        int perBatch = 8;
        int batches = Math.max(1, settings.validationBatches() / perBatch);
        double sum = 0;
        for (int i = 0; i < batches; i++) {
            sum += evaluator.loss(p, corpus.validationBatch(i, perBatch, settings.model().context()));
        }
        return sum / batches;
    }

    private void committed(OpenRound round, Aggregated r, long baseVersion, long newVersion) {
        aggregating = false;
        r.quarantined().forEach((id, why) -> {
            ledger.quarantine(id, why, clock.instant());
            LOG.warn("node {} quarantined: {}", shortId(id), why);
        });
        RoundCommit commit = run.committed(round.action.round(), newVersion, r.dropped().keySet(), clock.instant());
        params = r.params();
        version = newVersion;
        Envelope commitMsg = Envelope.newBuilder().setRoundCommit(dev.hearth.protocol.wire.RoundCommit.newBuilder()
                .setRound(round.action.round())
                .setNewVersion(newVersion)
                .setStep(ByteString.copyFrom(r.step()))
                .setParamsSha256(ByteString.copyFrom(r.sha()))
                .setLr(round.lr)
                .setMeanLoss(Double.isNaN(r.meanLoss()) ? 0 : r.meanLoss())
                .setAcceptedUpdates(r.used())
                .setTokens(commit.totalTokens())).build();
        long bytesOut = 0;
        for (Peer p : peers.values()) {
            if (p.send(commitMsg)) bytesOut += commitMsg.getSerializedSize();
        }
        Set<String> quarantinedNow = ledger.quarantinedNodes();
        for (Received up : round.accepted.values()) {
            Peer p = peers.get(up.nodeId());
            String why = r.dropped().get(up.nodeId());
            boolean counted = why == null;
            long credits = counted && !quarantinedNow.contains(up.nodeId()) ? up.tokens() : 0;
            if (p != null) p.send(receipt(round.action.round(), counted, counted ? "accepted" : why, credits));
        }
        stats.bytesOut(bytesOut);
        ledger.commitRound(commit, new RoundStats(r.meanLoss(), r.valLoss(), round.rejected, round.bytesIn, bytesOut),
                r.dropped());
        stats.committed(newVersion, r.meanLoss(), r.valLoss(), commit.totalTokens(),
                java.time.Duration.between(round.action.opened(), clock.instant()));
        open = null;
        LOG.info(String.format("round %d committed as version %d: %d update(s), %d tokens, mean loss %.4f%s",
                round.action.round(), newVersion, r.used(), commit.totalTokens(), r.meanLoss(),
                Double.isNaN(r.valLoss()) ? "" : String.format(", validation loss %.4f", r.valLoss())));
        if (newVersion % Math.max(1, settings.checkpointEvery()) == 0) {
            writeCheckpoint(newVersion, params, round.action.round());
        }
        CommitEvent ev = new CommitEvent(round.action.round(), newVersion, r.used(), commit.totalTokens(), r.meanLoss(),
                r.valLoss(), round.bytesIn, bytesOut);
        commitListeners.forEach(l -> l.accept(ev));
    }

    private void writeCheckpoint(long v, float[] p, long round) {
        computeThread.execute(() -> {
            try {
                checkpoints.write(new Checkpoint(settings.runId(), round, v, p));
            } catch (RuntimeException e) {
                LOG.error("checkpoint of version " + v + " failed: " + e.getMessage(), e);
            }
        });
    }

    public RunPhase phase() {
        return CompletableFuture.supplyAsync(run::phase, runThread).join();
    }

    static String shortId(String nodeId) {
        return nodeId.length() > 12 ? nodeId.substring(0, 12) : nodeId;
    }

    @Override
    public void close() {
        runThread.shutdown();
        computeThread.shutdown();
        try {
            runThread.awaitTermination(5, TimeUnit.SECONDS);
            computeThread.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        server.close();
        evaluator.close();
        ledger.close();
    }
}

package dev.hearth.coordinator.bench;

import com.google.protobuf.ByteString;
import dev.hearth.engine.backend.BackendSelector;
import dev.hearth.engine.checkpoint.ParamsDigest;
import dev.hearth.engine.data.Corpus;
import dev.hearth.engine.demo.DemoBlocking;
import dev.hearth.engine.demo.DemoCompressor;
import dev.hearth.engine.demo.DemoConfig;
import dev.hearth.engine.demo.MalformedUpdateException;
import dev.hearth.engine.demo.OuterRule;
import dev.hearth.engine.demo.SparseUpdate;
import dev.hearth.engine.demo.UpdateCodec;
import dev.hearth.engine.model.GptInit;
import dev.hearth.engine.model.ModelConfig;
import dev.hearth.engine.model.ParameterLayout;
import dev.hearth.engine.model.TrainingBackend;
import dev.hearth.engine.recipe.RunRecipe;
import dev.hearth.engine.train.HostLocalTrainer;
import dev.hearth.engine.train.LocalRound;
import dev.hearth.protocol.RunAddress;
import dev.hearth.protocol.client.ClientConfig;
import dev.hearth.protocol.client.ClientListener;
import dev.hearth.protocol.client.Disconnect;
import dev.hearth.protocol.client.HearthClient;
import dev.hearth.protocol.identity.NodeIdentity;
import dev.hearth.protocol.identity.UpdateSignatures;
import dev.hearth.protocol.wire.Envelope;
import dev.hearth.protocol.wire.Heartbeat;
import dev.hearth.protocol.wire.Hello;
import dev.hearth.protocol.wire.NodeState;
import dev.hearth.protocol.wire.RoundCommit;
import dev.hearth.protocol.wire.RoundStart;
import dev.hearth.protocol.wire.UpdateReceipt;
import dev.hearth.protocol.wire.UpdateUpload;
import dev.hearth.protocol.wire.Welcome;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/// A node reduced to the protocol and the engine, for the Byzantine scenario: it joins at version 0, trains
/// its assigned batches with the real trainer's round ({@link LocalRound} over a {@link HostLocalTrainer}, the run's
/// local steps, DeMo compression with a kept residual, the run's value encoding; all windows in one pass), then —
/// if it is a cheater — corrupts the compressed update before signing and uploading it. It applies every `RoundCommit` step itself and checks the
/// SHA-256 of its parameters against the coordinator's.
///
/// It cannot download a checkpoint, so it must join before the first round (the scenario's quorum waits for
/// every node). The coordinator may not depend on the node host (`ArchitectureTest`), so this lives on the
/// engine and protocol alone.
public final class ProtocolNode implements AutoCloseable {

    /// How a node treats its honest update before uploading it.
    public enum Behaviour {
        /// Uploads the real update.
        HONEST,
        /// Uploads the real update negated: it pushes the model uphill.
        SIGN_FLIP,
        /// Uploads the real update times {@link #SCALE}: it tries to dominate the mean.
        SCALED,
        /// Uploads random values at the real update's indices, with the real update's per-value magnitude.
        RANDOM,
        /// Uploads the real update negated with every value at the largest finite float ({@link Float#MAX_VALUE}):
        /// well-formed and finite, the largest update the codec carries (issue 14's attack that made every parameter
        /// NaN, at its limit).
        MAXIMAL,
        /// Tries to be honest while checked and to cheat otherwise. It cannot know when it is checked (the draw comes
        /// from the coordinator's secret, `CoordinatorSecret`), so it flips its update's sign in a random
        /// {@link #ATTACK_SHARE} of its rounds and is honest in the others.
        INTERMITTENT;

        /// Whether the node ever corrupts its update.
        public boolean cheats() {
            return this != HONEST;
        }
    }

    /// 100×: far beyond the norm bound (5× the median) and enough to dominate a plain mean of 8 updates.
    static final float SCALE = 100f;
    /// 1/4 of its rounds: an [Behaviour#INTERMITTENT] node that attacked more often would reach the quarantine's 3
    /// strikes in 10 rounds within its first 10 rounds when every update is checked; a quarter keeps it below that
    /// on average, so the scenario measures what the defences do about a cheater that paces itself.
    static final double ATTACK_SHARE = 0.25;
    /// Reported speed: sets the coordinator's first deadline estimate (nano trains about this fast on one core).
    static final double TOKENS_PER_SECOND = 2_000;
    /// Micro-batch of "all the round's windows": the scenario's rounds are a few windows of `nano`.
    static final int ONE_PASS = Integer.MAX_VALUE;

    private final String name;
    private final Behaviour behaviour;
    private final NodeIdentity identity = NodeIdentity.generate();
    private final ModelConfig model;
    private final ParameterLayout layout;
    private final Corpus corpus;
    private final TrainingBackend backend;
    private final ExecutorService work;
    private final SplittableRandom random;
    private final HearthClient client;
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicInteger rejected = new AtomicInteger();
    private final AtomicInteger shaMismatches = new AtomicInteger();
    private final AtomicInteger uploads = new AtomicInteger();
    private final List<Long> attackedRounds = new CopyOnWriteArrayList<>();
    private final List<String> rejections = new CopyOnWriteArrayList<>();
    private volatile double credits;
    private volatile String failure;
    private volatile boolean welcomed;
    private volatile boolean wantsWork;

    // work thread only
    private float[] params;
    private long version;
    private DemoCompressor compressor;
    private DemoConfig demo;
    private String runId;
    private DemoBlocking blocking;
    private OuterRule outer;
    private LocalRound round;

    /// @param corpus the run's corpus (shared read-only with other nodes of the scenario)
    /// @param seed   the run's seed: the initial parameters are `GptInit.init(model, seed)`, as the coordinator's
    public ProtocolNode(String name, Behaviour behaviour, RunAddress address, ModelConfig model, long seed, Corpus corpus) {
        this.name = name;
        this.behaviour = behaviour;
        this.model = model;
        this.layout = ParameterLayout.gpt(model);
        this.corpus = corpus;
        this.backend = BackendSelector.select(model).backend();
        this.params = GptInit.init(model, seed);
        this.random = new SplittableRandom(name.hashCode());
        this.work = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "bench-node-" + name);
            t.setDaemon(true);
            return t;
        });
        Hello hello = Hello.newBuilder().setClientVersion("reliability-bench").setBackend("cpu").setDevice(name)
                .setTokensPerSecond(TOKENS_PER_SECOND).build();
        this.client = new HearthClient(ClientConfig.of(address, hello), identity, new Listener());
    }

    /// Connects, reporting PAUSED until {@link #ready()} so that a scenario can let every node in at once.
    public void start() {
        client.setState(NodeState.PAUSED);
        client.start();
    }

    /// Whether the coordinator welcomed this node.
    public boolean welcomed() {
        return welcomed;
    }

    /// Asks for work from now on.
    public void ready() {
        work.execute(() -> {
            wantsWork = true;
            client.setState(NodeState.IDLE);
            client.send(Envelope.newBuilder().setHeartbeat(Heartbeat.newBuilder()
                    .setUnixMillis(System.currentTimeMillis()).setState(NodeState.IDLE)).build());
        });
    }

    public String name() {
        return name;
    }

    public Behaviour behaviour() {
        return behaviour;
    }

    public String nodeId() {
        return identity.nodeId();
    }

    public int acceptedUpdates() {
        return accepted.get();
    }

    public int rejectedUpdates() {
        return rejected.get();
    }

    public double credits() {
        return credits;
    }

    public int shaMismatches() {
        return shaMismatches.get();
    }

    /// Updates uploaded.
    public int uploads() {
        return uploads.get();
    }

    /// Of those, how many were corrupted (every one for a cheater other than [Behaviour#INTERMITTENT]).
    public int attacks() {
        return attackedRounds.size();
    }

    /// The rounds whose upload it corrupted.
    public List<Long> attackedRounds() {
        return List.copyOf(attackedRounds);
    }

    public List<String> rejections() {
        return List.copyOf(rejections);
    }

    /// Why the node stopped working, or `null`.
    public String failure() {
        return failure;
    }

    private final class Listener implements ClientListener {
        @Override
        public void onWelcome(Welcome w) {
            work.execute(() -> welcomed(w));
        }

        @Override
        public void onMessage(Envelope e) {
            switch (e.getPayloadCase()) {
                case ROUND_START -> work.execute(() -> train(e.getRoundStart()));
                case ROUND_COMMIT -> work.execute(() -> commit(e.getRoundCommit()));
                case UPDATE_RECEIPT -> receipt(e.getUpdateReceipt());
                default -> { }
            }
        }

        @Override
        public void onDisconnected(Disconnect d) {
            if (d.rejected() && d.reconnectIn().isEmpty()) failure = "refused: " + d.reason();
        }
    }

    private void welcomed(Welcome w) {
        if (w.getCurrentVersion() != version) {
            failure = "joined at version " + w.getCurrentVersion() + " but holds " + version
                    + " (this bench node cannot download checkpoints)";
            return;
        }
        var recipe = RunRecipe.fromWire(w.getConfig());
        runId = w.getRunId();
        blocking = recipe.blocking(layout);
        outer = recipe.outer();
        if (round == null) {
            round = new LocalRound(new HostLocalTrainer(backend, LocalRound.innerSettings((float) outer.innerWeightDecay())),
                    ONE_PASS);
        }
        demo = recipe.demo();
        if (compressor == null) compressor = new DemoCompressor(layout, demo);
        welcomed = true;
        if (wantsWork) ready();
    }

    /// One local round as the run's outer step says (a gradient, or local AdamW steps), compressed.
    private void train(RoundStart rs) {
        if (failure != null || compressor == null) return;
        if (rs.getBaseVersion() != version) {
            failure = "round " + rs.getRound() + " trains from version " + rs.getBaseVersion() + ", this node holds " + version;
            return;
        }
        try {
            long[] ids = rs.getBatchIdsList().stream().mapToLong(Long::longValue).toArray();
            LocalRound.Result r = round.run(new LocalRound.Input(params, ids, outer.localSteps(), (float) rs.getLr()),
                    compressor, windows -> corpus.batch(windows, model.context()), LocalRound.Progress.NONE);
            double loss = r.meanLoss();
            SparseUpdate honest = r.update();
            SparseUpdate sent = corrupt(honest);
            if (sent != honest) attackedRounds.add(rs.getRound());
            byte[] payload = UpdateCodec.encode(sent, demo.encoding());
            UpdateUpload u = UpdateSignatures.signed(identity, UpdateUpload.newBuilder()
                    .setRunId(runId).setRound(rs.getRound()).setBaseVersion(version)
                    .setPayload(ByteString.copyFrom(payload)).setTokens((long) ids.length * model.context())
                    .setLocalLoss(loss).setTrainMillis(1).build());
            client.send(Envelope.newBuilder().setUpdateUpload(u).build());
            uploads.incrementAndGet();
        } catch (RuntimeException e) {
            failure = "training round " + rs.getRound() + " failed: " + e;
        }
    }

    /// The cheat, applied to a real compressed update (indices kept, so it passes every shape check).
    SparseUpdate corrupt(SparseUpdate u) {
        if (behaviour == Behaviour.HONEST) return u;
        if (behaviour == Behaviour.INTERMITTENT && random.nextDouble() >= ATTACK_SHARE) return u;
        int n = u.entryCount();
        short[] idx = new short[n];
        float[] val = new float[n];
        for (int i = 0; i < n; i++) {
            idx[i] = (short) u.index(i);
            float v = u.value(i);
            val[i] = switch (behaviour) {
                case SIGN_FLIP, INTERMITTENT -> -v;
                case SCALED -> SCALE * v;
                case RANDOM -> (float) (Math.abs(v) * random.nextGaussian());
                case MAXIMAL -> v == 0f ? 0f : Math.copySign(Float.MAX_VALUE, -v);
                case HONEST -> v;
            };
        }
        return new SparseUpdate(u.blocking(), idx, val);
    }

    private void commit(RoundCommit c) {
        if (failure != null) return;
        if (c.getNewVersion() != version + 1) {
            failure = "commit of version " + c.getNewVersion() + " while holding " + version;
            return;
        }
        try {
            outer.applyCommit(blocking, params, c);
        } catch (MalformedUpdateException e) {
            failure = "commit " + c.getNewVersion() + " has a malformed step: " + e.getMessage();
            return;
        }
        version = c.getNewVersion();
        if (!Arrays.equals(ParamsDigest.sha256(params), c.getParamsSha256().toByteArray())) shaMismatches.incrementAndGet();
    }

    private void receipt(UpdateReceipt r) {
        if (r.getAccepted()) {
            accepted.incrementAndGet();
            credits += r.getCredits();
        } else {
            rejected.incrementAndGet();
            rejections.add("round " + r.getRound() + ": " + r.getReason());
        }
    }

    @Override
    public void close() {
        client.close();
        work.shutdownNow();
        try {
            work.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        backend.close();
    }
}

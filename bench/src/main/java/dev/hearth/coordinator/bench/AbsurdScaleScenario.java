package dev.hearth.coordinator.bench;

import com.google.protobuf.ByteString;
import dev.hearth.coordinator.config.RunConfig;
import dev.hearth.coordinator.health.ModelHealth;
import dev.hearth.coordinator.ledger.LeaderboardEntry;
import dev.hearth.coordinator.service.CoordinatorService;
import dev.hearth.engine.checkpoint.ParamsDigest;
import dev.hearth.engine.demo.DemoBlocking;
import dev.hearth.engine.demo.DemoCompressor;
import dev.hearth.engine.demo.DemoConfig;
import dev.hearth.engine.demo.MeanStep;
import dev.hearth.engine.demo.RobustMode;
import dev.hearth.engine.demo.SparseUpdate;
import dev.hearth.engine.demo.UpdateCodec;
import dev.hearth.engine.model.GptInit;
import dev.hearth.engine.model.ParameterLayout;
import dev.hearth.protocol.identity.NodeIdentity;
import dev.hearth.protocol.identity.UpdateSignatures;
import dev.hearth.protocol.wire.Envelope;
import dev.hearth.protocol.wire.RoundCommit;
import dev.hearth.protocol.wire.RoundStart;
import dev.hearth.protocol.wire.UpdateReceipt;
import dev.hearth.protocol.wire.UpdateUpload;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;

/// Issue 14's attack that destroyed a run: a well-formed, finite update whose block scales are absurd (1e30),
/// over the real protocol, in rounds of two updates (one honest scripted client and the attacker), where the
/// median norm rule (three updates at least) does not apply. With the mean step, the default, it used to make
/// every parameter NaN. The scenario checks each round's commit against the honest update's step alone (recomputed
/// here, bit for bit), the published parameters' finiteness and SHA-256, the attacker's receipt and credits, and
/// its quarantine after the second offence.
public final class AbsurdScaleScenario {

    /// What came of the attack.
    ///
    /// @param rejected       the attacker's first receipt said "not accepted", with 0 credits
    /// @param reason         that receipt's reason
    /// @param quarantined    the second offence quarantined the attacker
    /// @param attackerCredits what the ledger credits the attacker with
    /// @param finite         every published version's parameters are finite
    /// @param honestStep     every commit is exactly the honest update's step (so the model, and its validation
    ///                       loss, are those of the honest-only run)
    /// @param validationLosses the coordinator's validation loss of each published version
    public record Outcome(boolean rejected, String reason, boolean quarantined, long attackerCredits, boolean finite,
                          boolean honestStep, List<Double> validationLosses) {
        public boolean passed() {
            return rejected && quarantined && attackerCredits == 0 && finite && honestStep
                    && validationLosses.stream().allMatch(Double::isFinite);
        }
    }

    /// Rounds attacked: the second offence quarantines.
    static final int ROUNDS = 2;
    static final Duration STEP = Duration.ofSeconds(60);
    /// The honest update alone moves the model by this share of its norm (inside what measured honest ones do).
    public static final double HONEST_RELATIVE_STEP = 0.01;
    /// The attack: every block scale (finite: the codec accepts it).
    public static final float ABSURD_SCALE = 1e30f;

    private AbsurdScaleScenario() {}

    /// Runs the attack against a fresh coordinator in `dir`.
    public static Outcome run(Path dir) throws Exception {
        RunConfig config = RunConfig.parse("""
                [run]
                id = "absurd"
                total_rounds = 100
                [validation]
                spot_check_fraction = 0.0
                loss_every_rounds = 1
                [quorum]
                min_nodes = 2
                min_uploads = 2
                [deadline]
                min_seconds = 60
                max_seconds = 120
                [checkpoint]
                every_rounds = 1000
                [server]
                port = 0
                http_port = 0
                """, "absurd", Map.of("server.data_dir", new RunConfig.Override("data dir", dir.resolve("coordinator"))));
        if (!config.recipe().outer().name().equals(dev.hearth.engine.demo.OuterRule.runDefault().name())) {
            throw new IllegalStateException("the attack is on the run's default outer step");
        }
        ParameterLayout layout = ParameterLayout.gpt(config.recipe().model());
        DemoConfig demo = demo(config);
        DemoBlocking blocking = new DemoBlocking(layout, demo);
        float[] params = GptInit.init(config.recipe().model(), config.recipe().dataSeed());
        SplittableRandom random = new SplittableRandom(14);
        List<CoordinatorService.CommitEvent> commits = new CopyOnWriteArrayList<>();
        boolean finite = true;
        boolean honestStep = true;
        UpdateReceipt first = null;
        try (CoordinatorService coordinator = CoordinatorService.start(config, Clock.systemUTC());
             WireClient honest = new WireClient(coordinator.address(), NodeIdentity.generate());
             WireClient attacker = new WireClient(coordinator.address(), NodeIdentity.generate())) {
            coordinator.onCommit(commits::add);
            honest.join(STEP);
            attacker.join(STEP);
            for (int round = 1; round <= ROUNDS; round++) {
                RoundStart hs = honest.next(Envelope::hasRoundStart, STEP).getRoundStart();
                RoundStart as = attacker.next(Envelope::hasRoundStart, STEP).getRoundStart();
                SparseUpdate u = scaledTo(compress(layout, demo, random),
                        HONEST_RELATIVE_STEP * ModelHealth.l2(params) / config.recipe().outer().outerLr());
                UpdateUpload up = upload(config, honest.identity(), hs, u, demo);
                honest.send(Envelope.newBuilder().setUpdateUpload(up).build());
                attacker.send(Envelope.newBuilder().setUpdateUpload(upload(config, attacker.identity(), as,
                        withScale(compress(layout, demo, random), ABSURD_SCALE), demo)).build());
                RoundCommit commit = honest.next(Envelope::hasRoundCommit, STEP).getRoundCommit();
                byte[] got = commit.getMeanStep().toByteArray();
                SparseUpdate asReceived = UpdateCodec.decode(up.getPayload().toByteArray(), layout, demo);
                honestStep &= Arrays.equals(MeanStep.aggregate(blocking, List.of(asReceived),
                        new long[] {up.getTokens()}, RobustMode.NONE), got) && commit.getAcceptedUpdates() == 1;
                MeanStep.apply(blocking, params, got, (float) commit.getLr(), 0f);
                finite &= ModelHealth.firstNonFinite(params) < 0;
                honestStep &= Arrays.equals(ParamsDigest.sha256(params), commit.getParamsSha256().toByteArray());
                honest.next(Envelope::hasUpdateReceipt, STEP);
                // in round 2 the quarantine's Reject closes the attacker's connection before its receipt
                if (round == 1) first = attacker.next(Envelope::hasUpdateReceipt, STEP).getUpdateReceipt();
            }
            String attackerId = attacker.identity().nodeId();
            long deadline = System.nanoTime() + STEP.toNanos();
            while (!coordinator.ledger().quarantinedNodes().contains(attackerId) && System.nanoTime() < deadline) {
                LockSupport.parkNanos(10_000_000); // polls for the ledger row (bounded)
            }
            long credits = 0;
            for (LeaderboardEntry e : coordinator.ledger().leaderboard(100)) {
                if (e.nodeId().equals(attackerId)) credits = e.credits();
            }
            return new Outcome(!first.getAccepted() && first.getCredits() == 0, first.getReason(),
                    coordinator.ledger().quarantinedNodes().contains(attackerId), credits, finite, honestStep,
                    commits.stream().map(CoordinatorService.CommitEvent::valLoss).toList());
        }
    }

    static DemoConfig demo(RunConfig config) {
        return config.recipe().demo();
    }

    /// A real compressed update of a Gaussian "gradient" (a fresh compressor: no residual).
    public static SparseUpdate compress(ParameterLayout layout, DemoConfig demo, SplittableRandom random) {
        float[] grad = new float[layout.size()];
        for (int i = 0; i < grad.length; i++) grad[i] = (float) random.nextGaussian();
        return new DemoCompressor(layout, demo).compress(grad);
    }

    /// `u` with its values scaled so that its L2 norm is `norm` (the sign encoding keeps one scale per block).
    public static SparseUpdate scaledTo(SparseUpdate u, double norm) {
        float factor = (float) (norm / u.l2Norm());
        return map(u, v -> v * factor);
    }

    /// `u` with every block scale set to `scale` (signs kept): the attack.
    public static SparseUpdate withScale(SparseUpdate u, float scale) {
        return map(u, v -> Math.copySign(scale, v));
    }

    private static SparseUpdate map(SparseUpdate u, java.util.function.DoubleUnaryOperator f) {
        short[] idx = new short[u.entryCount()];
        float[] val = new float[u.entryCount()];
        for (int i = 0; i < val.length; i++) {
            idx[i] = (short) u.index(i);
            val[i] = (float) f.applyAsDouble(u.value(i));
        }
        return new SparseUpdate(u.blocking(), idx, val);
    }

    /// A signed upload of `u` for the round `rs` announced.
    public static UpdateUpload upload(RunConfig config, NodeIdentity who, RoundStart rs, SparseUpdate u, DemoConfig demo) {
        byte[] payload = UpdateCodec.encode(u, demo.encoding());
        return UpdateSignatures.signed(who, UpdateUpload.newBuilder().setRunId(config.runId()).setRound(rs.getRound())
                .setBaseVersion(rs.getBaseVersion()).setPayload(ByteString.copyFrom(payload))
                .setTokens((long) rs.getBatchIdsCount() * config.recipe().model().context()).setLocalLoss(5).build());
    }
}

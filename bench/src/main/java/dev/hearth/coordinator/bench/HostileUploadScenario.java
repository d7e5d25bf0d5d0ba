package dev.hearth.coordinator.bench;

import com.google.protobuf.ByteString;
import dev.hearth.coordinator.config.RunConfig;
import dev.hearth.coordinator.health.ModelHealth;
import dev.hearth.coordinator.service.CoordinatorService;
import dev.hearth.engine.checkpoint.ParamsDigest;
import dev.hearth.engine.demo.DemoBlocking;
import dev.hearth.engine.demo.DemoCompressor;
import dev.hearth.engine.demo.DemoConfig;
import dev.hearth.engine.demo.MalformedUpdateException;
import dev.hearth.engine.demo.OuterRule;
import dev.hearth.engine.demo.RobustMode;
import dev.hearth.engine.demo.RoundAggregation;
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
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/// Issue 8's hostile updates: three honest scripted clients and one attacker, all speaking the real protocol to an
/// in-process coordinator. Each round the attacker sends one or more crafted `UpdateUpload`s; each must come back
/// rejected with its reason in the `UpdateReceipt`, and the round's `RoundCommit` must be exactly the outer step of
/// the updates that should count (recomputed here from their payloads) — so the global model is what it would be
/// without the attacker, bit for bit (its SHA-256 is recomputed and compared too).
public final class HostileUploadScenario {

    /// One attack: what was sent, what the receipt said, and whether the model stayed clean.
    ///
    /// @param kind         the attack
    /// @param expected     words the receipt's reason must contain
    /// @param rejected     the receipt said "not accepted"
    /// @param reason       the receipt's reason
    /// @param modelClean   the round's commit equals the outer step of the honest updates alone and the parameters'
    ///                     SHA-256 matches
    /// @param struck       the ledger holds a strike for the attacker in the round: only a norm-bound drop is one (an
    ///                     update rejected on arrival never reaches the round's checks)
    /// @param credits      what the receipt credited the attacker's upload with (withheld: 0)
    /// @param finite       every parameter of the published version is finite (what the honest-only step gives, when
    ///                     `modelClean`; checked on its own so that the bench says so)
    public record Attack(String kind, String expected, boolean rejected, String reason, boolean modelClean,
                         boolean struck, double credits, boolean finite) {
        public boolean passed() {
            return rejected && modelClean && credits == 0 && finite && reason.toLowerCase(java.util.Locale.ROOT)
                    .contains(expected.toLowerCase(java.util.Locale.ROOT));
        }

        /// The bench's line for it: rejected / caught (struck) / credits, and the model's health after it.
        public String summary() {
            return String.format(java.util.Locale.ROOT, "rejected %s, struck %s, credits %s; model after it: finite %s,"
                    + " bit-identical to the honest-only step %s (so its validation loss is the honest-only run's); %s",
                    rejected, struck, credits == 0 ? "0 (withheld)" : Double.toString(credits), finite, modelClean,
                    reason);
        }
    }

    /// Honest clients: three, so the norm rule (which needs 3 updates) applies with the attacker's.
    static final int HONEST = 3;
    /// The huge-norm attack multiplies a real update by this (the bound is 5× the round's median).
    static final float HUGE = 10_000f;
    /// Honest uploads go this long after the attacker's, so the attacker's messages are handled while the round
    /// still waits for them (the order on the wire is per connection only).
    static final Duration HONEST_DELAY = Duration.ofMillis(300);
    static final Duration STEP_TIMEOUT = Duration.ofSeconds(60);
    /// 1e-3: the scripted "gradients" are Gaussian with this deviation, so that an honest update alone moves the
    /// model by about 1.3 % of its norm, as real ones do (ModelHealth drops an update beyond its bound, 8.5 % here).
    static final double GRADIENT_STD = 1e-3;
    /// Offsets in the update header (see `UpdateCodec`): top-k (u16) and parameter count (u32), little-endian.
    static final int TOP_K_OFFSET = 10;
    static final int PARAMS_OFFSET = 12;

    private final RunConfig config;
    private final ParameterLayout layout;
    private final DemoConfig demo;
    private final SplittableRandom random = new SplittableRandom(8);
    private float[] params;

    private HostileUploadScenario(RunConfig config) {
        this.config = config;
        this.layout = ParameterLayout.gpt(config.recipe().model());
        this.demo = config.recipe().demo();
        this.params = GptInit.init(config.recipe().model(), config.recipe().dataSeed());
    }

    /// Runs every attack against a fresh coordinator in `dir` and returns one result per attack.
    public static List<Attack> run(Path dir) throws Exception {
        RunConfig config = RunConfig.parse("""
                [run]
                id = "hostile"
                total_rounds = 100
                [data]
                sequences_per_node = 2
                [validation]
                spot_check_fraction = 0.0
                loss_every_rounds = 0
                [optimizer]
                local_steps = 2
                robust = "mean"
                [quorum]
                min_nodes = 4
                min_uploads = 4
                [deadline]
                min_seconds = 60
                max_seconds = 120
                [checkpoint]
                every_rounds = 1000
                [server]
                port = 0
                http_port = 0
                """, "hostile", Map.of("server.data_dir", new RunConfig.Override("data dir", dir.resolve("coordinator"))));
        return new HostileUploadScenario(config).attack();
    }

    private List<Attack> attack() throws Exception {
        List<Attack> results = new ArrayList<>();
        List<WireClient> clients = new ArrayList<>();
        try (CoordinatorService coordinator = CoordinatorService.start(config, Clock.systemUTC())) {
            List<DemoCompressor> compressors = new ArrayList<>();
            for (int i = 0; i <= HONEST; i++) {
                WireClient c = new WireClient(coordinator.address(), NodeIdentity.generate());
                clients.add(c);
                c.join(STEP_TIMEOUT);
                compressors.add(new DemoCompressor(layout, demo));
            }
            WireClient attacker = clients.get(HONEST);
            NodeIdentity stranger = NodeIdentity.generate();
            UpdateUpload previous = null;
            String[] rounds = {"duplicate", "nan", "inf", "shape", "topk", "norm", "replay+wrong-round+forged"};
            for (String plan : rounds) {
                List<RoundStart> starts = new ArrayList<>();
                for (WireClient c : clients) starts.add(c.next(Envelope::hasRoundStart, STEP_TIMEOUT).getRoundStart());
                RoundStart rs = starts.get(HONEST);
                // Every client trains "something": a random gradient through the real DeMo compressor.
                List<UpdateUpload> uploads = new ArrayList<>();
                for (int i = 0; i <= HONEST; i++) {
                    uploads.add(upload(clients.get(i).identity(), starts.get(i), compressors.get(i), 1f));
                }
                UpdateUpload valid = uploads.get(HONEST);
                List<UpdateUpload> counted = new ArrayList<>(uploads.subList(0, HONEST));
                List<String[]> sent = new ArrayList<>(); // kind, expected reason
                switch (plan) {
                    case "duplicate" -> {
                        attacker.send(wrap(valid));
                        attacker.send(wrap(upload(attacker.identity(), rs, compressors.get(HONEST), 1f)));
                        counted.add(valid);
                        sent.add(new String[] {"second upload in a round", "already uploaded"});
                    }
                    case "nan", "inf" -> {
                        float bad = plan.equals("nan") ? Float.NaN : Float.POSITIVE_INFINITY;
                        SparseUpdate u = UpdateCodec.decode(valid.getPayload().toByteArray(), layout, demo);
                        attacker.send(wrap(resign(attacker.identity(), valid, UpdateCodec.encode(poison(u, bad),
                                demo.encoding()))));
                        // The codec refuses a non-finite block scale before the finite-values rule is reached.
                        sent.add(new String[] {plan.equals("nan") ? "NaN values" : "infinite values",
                                plan.equals("nan") ? "scale NaN is not a finite" : "scale Infinity is not a finite"});
                    }
                    case "shape" -> {
                        byte[] p = valid.getPayload().toByteArray();
                        ByteBuffer.wrap(p).order(ByteOrder.LITTLE_ENDIAN).putInt(PARAMS_OFFSET, layout.size() + 1);
                        attacker.send(wrap(resign(attacker.identity(), valid, p)));
                        sent.add(new String[] {"wrong shape", "another layout"});
                    }
                    case "topk" -> {
                        byte[] p = valid.getPayload().toByteArray();
                        ByteBuffer.wrap(p).order(ByteOrder.LITTLE_ENDIAN).putShort(TOP_K_OFFSET,
                                (short) (DemoConfig.MAX_TOP_K + 1));
                        attacker.send(wrap(resign(attacker.identity(), valid, p)));
                        sent.add(new String[] {"top-k over the cap", "over the cap"});
                    }
                    case "norm" -> {
                        attacker.send(wrap(upload(attacker.identity(), rs, compressors.get(HONEST), HUGE)));
                        sent.add(new String[] {"huge norm", "median"});
                    }
                    default -> {
                        attacker.send(wrap(previous)); // its own signed upload of an earlier round, byte for byte
                        sent.add(new String[] {"replayed update", "open round is " + rs.getRound()});
                        attacker.send(wrap(UpdateSignatures.signed(attacker.identity(), valid.toBuilder()
                                .setRound(rs.getRound() + 1).build())));
                        sent.add(new String[] {"wrong round", "open round is " + rs.getRound()});
                        attacker.send(wrap(UpdateSignatures.signed(stranger, valid)));
                        sent.add(new String[] {"forged signature", "signature does not verify"});
                    }
                }
                Thread.sleep(HONEST_DELAY.toMillis());
                for (int i = 0; i < HONEST; i++) clients.get(i).send(wrap(uploads.get(i)));
                RoundCommit commit = attacker.next(Envelope::hasRoundCommit, STEP_TIMEOUT).getRoundCommit();
                for (int i = 0; i < HONEST; i++) clients.get(i).next(Envelope::hasRoundCommit, STEP_TIMEOUT);
                boolean clean = commitIsExactly(commit, counted);
                boolean finite = ModelHealth.firstNonFinite(params) < 0;
                for (String[] s : sent) {
                    UpdateReceipt r = attacker.next(e -> e.hasUpdateReceipt() && !e.getUpdateReceipt().getAccepted()
                            || e.hasUpdateReceipt() && !plan.equals("duplicate"), STEP_TIMEOUT).getUpdateReceipt();
                    // The coordinator strikes before it sends the commit, so the strike is in the ledger by now.
                    long round = rs.getRound();
                    boolean struck = coordinator.ledger().strikesAfter(round - 1).stream()
                            .anyMatch(k -> k.round() == round && k.nodeId().equals(attacker.identity().nodeId()));
                    results.add(new Attack(s[0], s[1], !r.getAccepted(), r.getReason(), clean, struck, r.getCredits(),
                            finite));
                }
                if (plan.equals("duplicate")) { // its first upload counted: that receipt comes at the commit
                    attacker.next(e -> e.hasUpdateReceipt() && e.getUpdateReceipt().getAccepted(), STEP_TIMEOUT);
                }
                previous = valid;
            }
        } finally {
            clients.forEach(WireClient::close);
        }
        return results;
    }

    private UpdateUpload upload(NodeIdentity who, RoundStart rs, DemoCompressor compressor, float scale) {
        float[] grad = new float[layout.size()];
        for (int i = 0; i < grad.length; i++) grad[i] = (float) (random.nextGaussian() * GRADIENT_STD * scale);
        byte[] payload = UpdateCodec.encode(compressor.compress(grad), demo.encoding());
        return UpdateSignatures.signed(who, UpdateUpload.newBuilder().setRunId(config.runId()).setRound(rs.getRound())
                .setBaseVersion(rs.getBaseVersion()).setPayload(ByteString.copyFrom(payload))
                .setTokens((long) rs.getBatchIdsCount() * config.recipe().model().context()).setLocalLoss(5).build());
    }

    private static UpdateUpload resign(NodeIdentity who, UpdateUpload u, byte[] payload) {
        return UpdateSignatures.signed(who, u.toBuilder().setPayload(ByteString.copyFrom(payload)).build());
    }

    private static Envelope wrap(UpdateUpload u) {
        return Envelope.newBuilder().setUpdateUpload(u).build();
    }

    /// The update with every value of its first block replaced by `bad` (the sign encoding carries it in the
    /// block's scale, which is what a diverged trainer would produce).
    private static SparseUpdate poison(SparseUpdate u, float bad) {
        int n = u.entryCount();
        short[] idx = new short[n];
        float[] val = new float[n];
        for (int i = 0; i < n; i++) {
            idx[i] = (short) u.index(i);
            val[i] = i < u.blocking().topK() ? bad : u.value(i);
        }
        return new SparseUpdate(u.blocking(), idx, val);
    }

    /// Whether the commit's step is the outer step of exactly `counted` (in some arrival order: the token-weighted
    /// mean is a float sum) and the parameters after it hash as the commit says; advances the local parameters.
    private boolean commitIsExactly(RoundCommit commit, List<UpdateUpload> counted) throws MalformedUpdateException {
        List<SparseUpdate> decoded = new ArrayList<>();
        for (UpdateUpload u : counted) decoded.add(UpdateCodec.decode(u.getPayload().toByteArray(), layout, demo));
        long[] tokens = counted.stream().mapToLong(UpdateUpload::getTokens).toArray();
        OuterRule outer = config.recipe().outer();
        DemoBlocking blocking = new DemoBlocking(layout, demo);
        // the coordinator's own aggregation (no spot checks in this scenario, a plain mean)
        RoundAggregation aggregation = new RoundAggregation(outer, blocking, RobustMode.NONE);
        byte[] step = outer.stepOf(commit);
        byte[] sha = commit.getParamsSha256().toByteArray();
        RoundAggregation.Result matched = null;
        for (int[] order : permutations(decoded.size())) {
            List<SparseUpdate> ordered = new ArrayList<>();
            long[] w = new long[order.length];
            for (int i = 0; i < order.length; i++) {
                ordered.add(decoded.get(order[i]));
                w[i] = tokens[order[i]];
            }
            RoundAggregation.Result expected = aggregation.run(RoundAggregation.Input.all(params,
                    (float) commit.getLr(), ordered, w), RoundAggregation.SpotCheck.NONE);
            if (Arrays.equals(expected.step(), step)) {
                matched = expected;
                break;
            }
        }
        boolean stepMatches = matched != null;
        if (stepMatches) {
            params = matched.params();
        } else {
            outer.applyStep(blocking, params, step, (float) commit.getLr()); // keep following the run
        }
        boolean shaMatches = Arrays.equals(stepMatches ? matched.sha256() : ParamsDigest.sha256(params), sha);
        return stepMatches && shaMatches && commit.getAcceptedUpdates() == counted.size();
    }

    private static List<int[]> permutations(int n) {
        List<int[]> out = new ArrayList<>();
        permute(new int[n], new boolean[n], 0, out);
        return out;
    }

    private static void permute(int[] a, boolean[] used, int k, List<int[]> out) {
        if (k == a.length) {
            out.add(a.clone());
            return;
        }
        for (int i = 0; i < a.length; i++) {
            if (used[i]) continue;
            used[i] = true;
            a[k] = i;
            permute(a, used, k + 1, out);
            used[i] = false;
        }
    }
}
